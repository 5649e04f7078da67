//! Sharing with a room: the QR code of a link (so 40 phones open it), and the `<iframe>` snippet of an
//! embed with its options, read back by the embedded page from its address. Pure, tested natively.
use crate::ui::state::Theme;
use qrcodegen::{QrCode, QrCodeEcc, QrSegment, Version};

/// The most a QR code holds in byte mode (version 40, error correction L).
pub const QR_MAX_BYTES: usize = 2953;

/// A QR code as the picture draws it: `size` modules a side, and one SVG path (unit squares, in module
/// coordinates) covering exactly its dark modules. The quiet zone is the caller's margin.
#[derive(Clone, Debug, PartialEq)]
pub struct QrPicture {
    pub size: u32,
    pub path: String,
}

/// The QR code of `text` in byte mode, at the lowest error correction that fits (boosted when the same
/// version allows more); `Err(bytes)` when `text` is longer than any QR code holds.
pub fn qr_picture(text: &str) -> Result<QrPicture, usize> {
    let segment = [QrSegment::make_bytes(text.as_bytes())];
    let code = QrCode::encode_segments_advanced(&segment, QrCodeEcc::Low, Version::MIN, Version::MAX, None, true)
        .map_err(|_| text.len())?;
    let size = code.size();
    let mut path = String::new();
    for y in 0..size {
        // One rectangle per run of dark modules in a row: a few hundred path commands, not 10,000 rects.
        let mut x = 0;
        while x < size {
            if !code.get_module(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < size && code.get_module(x, y) {
                x += 1;
            }
            path.push_str(&format!("M{start} {y}h{}v1H{start}z", x - start));
        }
    }
    Ok(QrPicture { size: size as u32, path })
}

/// How an embedded page shows itself, read from its address's query (`?embed=1&autoplay=1&theme=dark&
/// controls=0`); where the run starts, its speed and its lesson step travel in the link's fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmbedOptions {
    /// Play as soon as the page opens (unless the reader asks for reduced motion).
    pub autoplay: bool,
    /// `System`: the reader's own choice, else their system's.
    pub theme: Theme,
    /// The playback controls under the picture; hidden, the picture alone (with "Open in the full app").
    pub controls: bool,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions { autoplay: false, theme: Theme::System, controls: true }
    }
}

impl EmbedOptions {
    /// The options in a query string (with or without its `?`); unknown pairs are ignored.
    pub fn from_query(query: &str) -> EmbedOptions {
        let mut options = EmbedOptions::default();
        for (key, value) in query.trim_start_matches('?').split('&').filter_map(|pair| pair.split_once('=')) {
            match key {
                "autoplay" => options.autoplay = value == "1",
                "theme" => options.theme = Theme::from_name(value),
                "controls" => options.controls = value != "0",
                _ => {}
            }
        }
        options
    }

    /// The query an embed with these options is opened with (defaults left out).
    pub fn query(&self) -> String {
        let mut query = String::from("?embed=1");
        if self.autoplay {
            query.push_str("&autoplay=1");
        }
        if self.theme != Theme::System {
            query.push_str("&theme=");
            query.push_str(self.theme.as_str());
        }
        if !self.controls {
            query.push_str("&controls=0");
        }
        query
    }
}

/// The snippet a trainer pastes into a slide or a page: an `<iframe>` of `page` (the app's address,
/// without query or fragment) embedding the run in `fragment`, titled for screen readers.
pub fn iframe_snippet(page: &str, fragment: &str, options: &EmbedOptions, title: &str) -> String {
    let src = format!("{page}{}#{fragment}", options.query());
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"960\" height=\"600\" style=\"border: 0\" loading=\"lazy\"></iframe>",
        attribute(&src),
        attribute(&format!("Brokerscope: {title}"))
    )
}

/// Text as an HTML attribute's value in double quotes: a scenario's name may hold any character.
fn attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dark modules the path covers, read back from its commands.
    fn covered(picture: &QrPicture) -> Vec<(u32, u32)> {
        let mut cells = vec![];
        for command in picture.path.split('M').filter(|c| !c.is_empty()) {
            let (x, rest) = command.split_once(' ').expect("M x y");
            let (y, rest) = rest.split_once('h').expect("h width");
            let width = rest.split_once('v').expect("v1").0;
            let (x, y, width): (u32, u32, u32) = (x.parse().unwrap(), y.parse().unwrap(), width.parse().unwrap());
            cells.extend((x..x + width).map(|x| (x, y)));
        }
        cells
    }

    #[test]
    fn the_path_covers_exactly_the_dark_modules_of_the_code() {
        let text = "https://example.org/brokerscope/#v1.abc";
        let picture = qr_picture(text).expect("fits");
        let code = QrCode::encode_segments_advanced(
            &[QrSegment::make_bytes(text.as_bytes())],
            QrCodeEcc::Low,
            Version::MIN,
            Version::MAX,
            None,
            true,
        )
        .unwrap();
        let dark: Vec<(u32, u32)> = (0..code.size())
            .flat_map(|y| (0..code.size()).map(move |x| (x, y)))
            .filter(|&(x, y)| code.get_module(x, y))
            .map(|(x, y)| (x as u32, y as u32))
            .collect();
        assert_eq!(picture.size, code.size() as u32);
        assert_eq!(covered(&picture), dark);
        // A version 3 code (29 modules) holds 53 bytes at L: the smallest that fits this link.
        assert_eq!(picture.size, 29);
    }

    #[test]
    fn a_link_longer_than_any_qr_code_says_how_long_it_is() {
        assert_eq!(qr_picture(&"a".repeat(QR_MAX_BYTES)).map(|p| p.size), Ok(177));
        assert_eq!(qr_picture(&"a".repeat(QR_MAX_BYTES + 1)), Err(QR_MAX_BYTES + 1));
    }

    #[test]
    fn embed_options_travel_in_the_query_and_come_back() {
        let options = EmbedOptions { autoplay: true, theme: Theme::Dark, controls: false };
        assert_eq!(options.query(), "?embed=1&autoplay=1&theme=dark&controls=0");
        assert_eq!(EmbedOptions::from_query(&options.query()), options);
        assert_eq!(EmbedOptions::default().query(), "?embed=1");
        assert_eq!(EmbedOptions::from_query("?embed=1&theme=purple&autoplay=yes&x"), EmbedOptions::default());
    }

    #[test]
    fn the_snippet_quotes_what_it_embeds() {
        let options = EmbedOptions { theme: Theme::Light, ..EmbedOptions::default() };
        let snippet = iframe_snippet("https://t.example/app/", "v1.xyz", &options, "Emails \"twice\" & <more>");
        assert_eq!(
            snippet,
            "<iframe src=\"https://t.example/app/?embed=1&amp;theme=light#v1.xyz\" \
             title=\"Brokerscope: Emails &quot;twice&quot; &amp; &lt;more&gt;\" width=\"960\" height=\"600\" \
             style=\"border: 0\" loading=\"lazy\"></iframe>"
        );
    }
}
