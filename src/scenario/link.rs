//! Share links: a scenario and the moment being looked at, in a URL fragment.
//!
//! A link reads `#v2.<data>`: the format version in clear text (so a link from a newer release is told
//! apart from a damaged one), then URL-safe base64 (no padding) of
//! `CRC-32 (4 bytes, big-endian) ‖ JSON length (4 bytes, little-endian) ‖ LZ4 block of the JSON` of a
//! [`SharedRun`]. Format 2 compresses against a frozen dictionary (`link-v2.dict`), format 1 without one. The checksum covers everything after it, so a link cut short or altered in a chat app is
//! reported as damaged before anything is decompressed, and the length is checked before any allocation.
//!
//! Every later release keeps a decoder for every version (`decode` dispatches on it), and
//! `tests/links/` keeps a corpus of links from each version that must keep opening.
use super::model::Scenario;
use super::validate::{parse_located, validate, ScenarioError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The version new links are written in.
pub const LINK_VERSION: u32 = 2;

/// Format 2's LZ4 dictionary: the twelve presets of 2026-12-06, their names and stories emptied,
/// serialized as links serialize them. The first occurrence of every field name and usual value then
/// costs a few bytes instead of its letters: links come out 2.5–3 times shorter, and their QR codes half
/// as dense. Frozen: every format-2 link ever made decodes against exactly these bytes (a test pins them).
const DICTIONARY_V2: &[u8] = include_bytes!("link-v2.dict");
/// A longer fragment is refused before decoding (the largest valid scenario compresses far below this).
pub const MAX_LINK_CHARS: usize = 256 * 1024;
/// Decompression stops here: a small link must not inflate into gigabytes (a "zip bomb").
pub const MAX_JSON_BYTES: usize = 1 << 20;

/// CRC-32 (ISO-HDLC, the one zlib and PNG use).
const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

fn checksum(bytes: &[u8]) -> [u8; 4] {
    CRC32.checksum(bytes).to_be_bytes()
}

/// The checksum, then the bytes it covers.
fn seal(body: &[u8]) -> Vec<u8> {
    let mut bytes = checksum(body).to_vec();
    bytes.extend_from_slice(body);
    bytes
}

/// What a link carries: the whole scenario (topology, settings, seed, scripted faults) and the view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedRun {
    pub scenario: Scenario,
    #[serde(default)]
    pub view: View,
}

/// Where the person who made the link was looking. New fields must come with a default, so that links
/// made before them keep opening.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct View {
    /// The scrubber's virtual time.
    pub at_ms: u64,
    /// How many engine events had run: pins the moment exactly even inside a millisecond (after
    /// stepping). Without it, the run is shown with every event up to `at_ms` done.
    pub events: Option<u64>,
    /// Playback speed (virtual ms per wall ms).
    pub speed: f64,
    /// The lesson open when the link was made (its file stem) and its step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lesson: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub step: usize,
    /// Lane B of a comparison, when one was on screen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare: Option<Scenario>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Default for View {
    fn default() -> Self {
        View { at_ms: 0, events: None, speed: 1.0, lesson: None, step: 0, compare: None }
    }
}

/// Why a link could not be opened; `Display` is the sentence shown on the page.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkError {
    /// Not of the form `v<number>.<data>`.
    NotALink,
    /// Made by a newer release than this one.
    FromTheFuture {
        version: u64,
    },
    TooLong {
        chars: usize,
    },
    /// Not base64, a wrong checksum, or a DEFLATE stream that does not decode: cut short or altered.
    Damaged(&'static str),
    /// Decodes to more than `MAX_JSON_BYTES`.
    TooLarge,
    /// Intact, but not a scenario this release can run (the located error says where).
    Invalid(ScenarioError),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::NotALink => write!(f, "This is not a Brokerscope link: it should start with #v{LINK_VERSION}."),
            LinkError::FromTheFuture { version } => write!(
                f,
                "This link was made by a newer Brokerscope (link format {version}); this release opens formats 1 to \
                 {LINK_VERSION}. Open it with the latest release."
            ),
            LinkError::TooLong { chars } => write!(
                f,
                "This link is {} KB long: a link is at most {} KB. Share the scenario as a JSON file instead.",
                chars / 1024,
                MAX_LINK_CHARS / 1024
            ),
            LinkError::Damaged(why) => {
                write!(f, "This link is damaged ({why}): it was probably cut short or altered when it was copied.")
            }
            LinkError::TooLarge => {
                write!(f, "This link unpacks to more than {} KB: it is refused.", MAX_JSON_BYTES / 1024)
            }
            LinkError::Invalid(e) => write!(f, "This link holds a scenario this release cannot run: {e}"),
        }
    }
}

impl std::error::Error for LinkError {}

/// The fragment for a run if `decode` will open it again: within `MAX_JSON_BYTES` of JSON and
/// `MAX_LINK_CHARS` of link (a run opened from a file or a link at the limit can re-encode past them).
pub fn encode_within_limits(run: &SharedRun) -> Result<String, LinkError> {
    let json = to_json(run);
    if json.len() > MAX_JSON_BYTES {
        return Err(LinkError::TooLarge);
    }
    let fragment = seal_json(&json);
    if fragment.len() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong { chars: fragment.len() });
    }
    Ok(fragment)
}

/// The fragment (without `#`) for a run.
pub fn encode(run: &SharedRun) -> String {
    seal_json(&to_json(run))
}

fn to_json(run: &SharedRun) -> Vec<u8> {
    // Serializing plain data cannot fail (no maps with non-string keys, no custom impls). The pretty
    // formatter with no indent, because Export JSON already carries the pretty serializer in the wasm and
    // a compact one would add 20 KB; the line breaks it writes cost a few bytes after compression.
    let mut json = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut json, serde_json::ser::PrettyFormatter::with_indent(b""));
    let _ = run.serialize(&mut serializer);
    json
}

/// A link around any JSON bytes: compressed, checksummed, versioned. (`encode` without the serializer;
/// the fuzzer uses it to reach the validator behind an intact link.)
pub fn seal_json(json: &[u8]) -> String {
    let mut body = (json.len() as u32).to_le_bytes().to_vec();
    body.extend_from_slice(&lz4_flex::block::compress_with_dict(json, DICTIONARY_V2));
    format!("v{LINK_VERSION}.{}", URL_SAFE_NO_PAD.encode(seal(&body)))
}

/// Opens a fragment (with or without its leading `#`). Never panics, whatever the input.
pub fn decode(fragment: &str) -> Result<SharedRun, LinkError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if fragment.len() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong { chars: fragment.len() });
    }
    let (version, data) = split_version(fragment)?;
    match version {
        1 => decode_sealed(data, b""),
        2 => decode_sealed(data, DICTIONARY_V2),
        v if v > u64::from(LINK_VERSION) => Err(LinkError::FromTheFuture { version: v }),
        _ => Err(LinkError::NotALink),
    }
}

fn split_version(fragment: &str) -> Result<(u64, &str), LinkError> {
    let rest = fragment.strip_prefix('v').ok_or(LinkError::NotALink)?;
    let (number, data) = rest.split_once('.').ok_or(LinkError::NotALink)?;
    if number.is_empty() || number.len() > 9 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LinkError::NotALink);
    }
    number.parse().map(|v| (v, data)).map_err(|_| LinkError::NotALink)
}

/// Formats 1 and 2: the same envelope, the JSON compressed without or with `dictionary`.
fn decode_sealed(data: &str, dictionary: &[u8]) -> Result<SharedRun, LinkError> {
    let data = data.trim_end();
    let bytes = URL_SAFE_NO_PAD.decode(data).map_err(|_| {
        let alphabet = data.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        LinkError::Damaged(if alphabet { "cut short" } else { "not base64url" })
    })?;
    if bytes.len() < 9 {
        return Err(LinkError::Damaged("too short"));
    }
    let (crc, body) = bytes.split_at(4);
    if checksum(body) != crc {
        return Err(LinkError::Damaged("wrong checksum"));
    }
    let (length, compressed) = body.split_at(4);
    let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
    if length > MAX_JSON_BYTES {
        return Err(LinkError::TooLarge);
    }
    let json = lz4_flex::block::decompress_with_dict(compressed, length, dictionary)
        .map_err(|_| LinkError::Damaged("it does not unpack"))?;
    if json.len() != length {
        return Err(LinkError::Damaged("it does not unpack"));
    }
    let json = std::str::from_utf8(&json).map_err(|_| LinkError::Damaged("not text"))?;
    crate::scenario::validate::named_fields_only(json).map_err(LinkError::Invalid)?;
    let run: SharedRun = parse_located(json).map_err(LinkError::Invalid)?;
    validate(&run.scenario)
        .map_err(|e| LinkError::Invalid(ScenarioError { path: format!("scenario.{}", e.path), ..e }))?;
    if let Some(b) = &run.view.compare {
        validate(b).map_err(|e| LinkError::Invalid(ScenarioError { path: format!("view.compare.{}", e.path), ..e }))?;
    }
    if !(run.view.speed.is_finite() && run.view.speed > 0.0) {
        return Err(LinkError::Invalid(ScenarioError {
            path: "view.speed".into(),
            message: format!("{} is not a speed: expected a number above 0", crate::number::written(run.view.speed)),
        }));
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> SharedRun {
        let scenario = crate::scenario::parse_scenario(crate::scenario::presets::PRESETS[4].1).unwrap();
        SharedRun {
            scenario,
            view: View {
                at_ms: 6_000,
                events: Some(1_234),
                speed: 2.0,
                lesson: Some("03-idempotency-strategies".into()),
                step: 2,
                compare: None,
            },
        }
    }

    #[test]
    fn a_link_round_trips_and_is_short() {
        let r = run();
        let link = encode(&r);
        assert!(link.starts_with("v2."));
        assert!(link.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "URL-safe: {link}");
        // Preset 5 at a moment, in a lesson (its story is 380 letters of free text): 1,900 characters in
        // format 1, under 750 now, so its QR code is version 18 or less (89 modules a side, not 177).
        assert!(link.len() < 750, "{} chars", link.len());
        assert_eq!(decode(&format!("#{link}")), Ok(r.clone()));
        assert_eq!(decode(&link), Ok(r));
    }

    #[test]
    fn each_kind_of_damage_has_its_own_sentence() {
        let link = encode(&run());
        for end in 0..link.len() {
            let e = decode(&link[..end]).unwrap_err();
            assert!(matches!(e, LinkError::Damaged(_) | LinkError::NotALink), "cut at {end}: {e:?}");
        }
        let mut flipped = link.clone().into_bytes();
        let i = flipped.len() / 2;
        flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
        assert_eq!(decode(std::str::from_utf8(&flipped).unwrap()), Err(LinkError::Damaged("wrong checksum")));
        assert_eq!(decode("v1.@@@"), Err(LinkError::Damaged("not base64url")));
        assert_eq!(decode("v7.AAAA"), Err(LinkError::FromTheFuture { version: 7 }));
        assert!(decode("v7.AAAA").unwrap_err().to_string().contains("newer Brokerscope"));
        assert_eq!(decode("hello"), Err(LinkError::NotALink));
        assert_eq!(decode(""), Err(LinkError::NotALink));
        assert_eq!(decode("v0.AAAA"), Err(LinkError::NotALink));
        assert_eq!(decode("v99999999999999999999.AA"), Err(LinkError::NotALink));
        let huge = format!("v1.{}", "A".repeat(MAX_LINK_CHARS));
        assert_eq!(decode(&huge), Err(LinkError::TooLong { chars: huge.len() }));
    }

    #[test]
    fn an_intact_link_with_a_bad_scenario_names_the_field() {
        let mut v = serde_json::to_value(run()).unwrap();
        v["scenario"]["groups"][0]["batch_size"] = 0.into();
        let link = seal_json(v.to_string().as_bytes());
        let e = decode(&link).unwrap_err().to_string();
        assert!(e.contains("scenario.groups[0].batch_size: 0 is out of range"), "{e}");
        v["scenario"]["groups"][0]["batch_size"] = 1.into();
        v["view"]["speed"] = (-1.0).into();
        let link = seal_json(v.to_string().as_bytes());
        assert!(decode(&link).unwrap_err().to_string().contains("view.speed"));
    }

    #[test]
    fn the_format_2_dictionary_is_the_one_every_format_2_link_was_made_with() {
        assert_eq!((DICTIONARY_V2.len(), CRC32.checksum(DICTIONARY_V2)), (29_742, 0xa4c4_c2b1));
    }

    #[test]
    fn format_1_links_still_open() {
        let r = run();
        let mut body = (to_json(&r).len() as u32).to_le_bytes().to_vec();
        body.extend_from_slice(&lz4_flex::block::compress(&to_json(&r)));
        let v1 = format!("v1.{}", URL_SAFE_NO_PAD.encode(seal(&body)));
        assert_eq!(decode(&v1), Ok(r.clone()));
        assert!(v1.len() > 2 * encode(&r).len(), "format 2 is well over twice shorter: {} chars in format 1", v1.len());
    }

    #[test]
    fn a_zip_bomb_is_refused_without_unpacking_it() {
        let bomb = vec![b' '; MAX_JSON_BYTES * 4];
        let link = seal_json(&bomb);
        assert!(link.len() < 40_000);
        assert_eq!(decode(&link), Err(LinkError::TooLarge));
        // A length that understates the content does not unpack either.
        let mut body = 10u32.to_le_bytes().to_vec();
        body.extend_from_slice(&lz4_flex::block::compress(&[b' '; 5_000]));
        let link = format!("v1.{}", URL_SAFE_NO_PAD.encode(seal(&body)));
        assert_eq!(decode(&link), Err(LinkError::Damaged("it does not unpack")));
    }
}
