//! Decimal numbers as the page writes and reads them ("12.5", "0.25"), without core's float formatting
//! and parsing, whose tables would weigh several KB of the download. Shared by the UI and the scenario
//! edits' messages.

/// A decimal number typed in a field or read from an attribute ("5", "0.25", ".5", "1e-3"), through
/// serde_json's number parser, which the build has anyway: `str::parse::<f64>` would add core's 10 KB
/// table of powers of five to the download.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    let text = match (text.strip_prefix('.'), text.strip_prefix("-.")) {
        (Some(rest), _) => format!("0.{rest}"),
        (_, Some(rest)) => format!("-0.{rest}"),
        _ => text.to_string(),
    };
    serde_json::from_str::<f64>(&text).ok()
}

/// A number for the page (an SVG coordinate, a speed, a percentage): `x` to two decimals, trailing zeros
/// dropped ("12", "12.5", "0.25", "-3.07"). Written out by hand, like `parse_decimal`: the app then
/// formats no float with core's formatter, whose shortest and fixed-precision algorithms and their tables
/// weigh several KB of the download.
pub fn decimal(x: f64) -> String {
    let hundredths = if x.is_finite() { (x * 100.0).round() as i64 } else { 0 };
    let sign = if hundredths < 0 { "-" } else { "" };
    let (whole, frac) = (hundredths.unsigned_abs() / 100, hundredths.unsigned_abs() % 100);
    match frac {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

/// A number as a file wrote it, for a message about it ("1.5 is not a probability"): the shortest digits
/// that read back as the same number, through serde_json's writer, which the build has anyway. `f64`'s
/// own `Display` would bring core's float formatting and its tables into the page.
pub fn written(x: f64) -> String {
    serde_json::to_string(&x).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_as_a_number_field_gives_them() {
        assert_eq!(parse_decimal("5"), Some(5.0));
        assert_eq!(parse_decimal(" 0.25 "), Some(0.25));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("-.5"), Some(-0.5));
        assert_eq!(parse_decimal("1e-3"), Some(0.001));
        assert_eq!(parse_decimal("0.1"), Some("0.1".parse::<f64>().unwrap()), "the same bits as core's parser");
        for bad in ["", "abc", "NaN", "inf", "1,5", "5 5", "--1"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_number_in_a_message_reads_as_the_file_wrote_it() {
        assert_eq!(written(1.5), "1.5");
        assert_eq!(written(0.1), "0.1");
        assert_eq!(written(1e-7), "1e-7");
        assert_eq!(written(-0.25), "-0.25");
    }

    #[test]
    fn decimals_read_as_the_page_shows_them() {
        for (x, shown) in [
            (0.0, "0"),
            (12.0, "12"),
            (12.5, "12.5"),
            (0.25, "0.25"),
            (-3.07, "-3.07"),
            (-0.001, "0"),
            (1100.0, "1100"),
            (123.456, "123.46"),
            (0.1 + 0.2, "0.3"),
            (f64::NAN, "0"),
        ] {
            assert_eq!(decimal(x), shown, "{x}");
        }
        // What it writes, the page's number parser reads back.
        assert_eq!(parse_decimal(&decimal(2.5)), Some(2.5));
    }
}
