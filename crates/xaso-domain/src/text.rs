//! Vietnamese text: NFC on input, and a folded key for search that ignores case and diacritics.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Normalises text to NFC and trims surrounding whitespace; inner runs of whitespace become one space.
pub fn clean(input: &str) -> String {
    let nfc: String = input.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Normalises a whole document to NFC, keeping its layout (line breaks, indentation).
pub fn nfc(input: &str) -> String {
    input.nfc().collect()
}

/// The search key of a text: lower case, diacritics removed, `đ` → `d`, whitespace collapsed.
/// "Xã Đức Hòa Hạ" and "xa duc hoa ha" have the same key, and so do the old tone placement
/// ("Hoà") and the new one ("Hòa").
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Vietnamese without its marks, case kept ("Xã Đức Hòa" → "Xa Duc Hoa"), for channels that
/// only carry plain letters (an SMS of the GSM alphabet).
pub fn unmark(input: &str) -> String {
    input
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

/// Reads a number as people type it: "1.234,5" (Vietnamese) or "1234.5"; a comma is the
/// decimal mark when present, spaces are ignored.
pub fn parse_number_vi(input: &str) -> Option<f64> {
    let normal = input.trim().replace(' ', "");
    let normal = if normal.contains(',') {
        normal.replace('.', "").replace(',', ".")
    } else {
        normal
    };
    normal.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A file's size as people read it: "340 KB", "2,4 MB".
pub fn file_size_vi(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!(
            "{} MB",
            number_vi((bytes as f64 / 1048576.0 * 10.0).round() / 10.0)
        )
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// A number the Vietnamese way: "," for decimals, at most two of them ("12,5", "19").
pub fn number_vi(n: f64) -> String {
    let s = if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{}", (n * 100.0).round() / 100.0)
    };
    s.replace('.', ",")
}

/// A whole amount with dots between thousands, as Vietnamese prices are written (65.000).
pub fn amount_vi(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_group_thousands_with_dots() {
        assert_eq!(amount_vi(65_000), "65.000");
        assert_eq!(amount_vi(1_250_000), "1.250.000");
        assert_eq!(amount_vi(999), "999");
        assert_eq!(amount_vi(-1000), "-1.000");
    }

    #[test]
    fn fold_removes_diacritics_and_case() {
        assert_eq!(fold("Xã Đức Hòa Hạ"), "xa duc hoa ha");
        assert_eq!(fold("  ĐỨC   hoà "), "duc hoa");
        assert_eq!(fold("Thủy"), fold("Thuỷ"));
    }

    #[test]
    fn numbers_use_a_decimal_comma() {
        assert_eq!(number_vi(19.0), "19");
        assert_eq!(number_vi(12.5), "12,5");
        assert_eq!(number_vi(1.0 / 3.0), "0,33");
    }

    #[test]
    fn clean_composes_to_nfc() {
        let decomposed = "Ho\u{0300}a"; // o + combining grave
        assert_eq!(clean(decomposed), "Hòa");
        assert_eq!(clean(" a \t b "), "a b");
    }
}
