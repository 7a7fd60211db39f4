//! Heritage pages: a relic's rank and recognising decision, its texts in several languages,
//! audio guides, and tours (ordered lists of relics). Also the checks for uploaded photos and
//! audio files, by their bytes rather than by their names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::places::FieldProblem;
use crate::text;

/// The rank of a relic under the Law on Cultural Heritage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    /// Di tích quốc gia đặc biệt.
    SpecialNational,
    /// Di tích quốc gia.
    National,
    /// Di tích cấp tỉnh.
    Provincial,
    /// On a local list, not (yet) ranked.
    Listed,
}

impl Rank {
    pub const ALL: [Rank; 4] = [
        Rank::SpecialNational,
        Rank::National,
        Rank::Provincial,
        Rank::Listed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rank::SpecialNational => "quoc_gia_dac_biet",
            Rank::National => "quoc_gia",
            Rank::Provincial => "cap_tinh",
            Rank::Listed => "chua_xep_hang",
        }
    }

    pub fn parse(s: &str) -> Option<Rank> {
        Rank::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// A relic's texts in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelicText {
    pub name: String,
    /// One or two sentences: what the place commemorates.
    #[serde(default)]
    pub summary: String,
    /// The longer story, paragraphs separated by blank lines.
    #[serde(default)]
    pub history: String,
    /// Visiting hours as a visitor reads them ("7:00–17:00 hằng ngày").
    #[serde(default)]
    pub hours: String,
}

/// Texts by language code ("vi", "en", "zh", "fr", "ko" …). Vietnamese is always there.
pub type Texts<T> = BTreeMap<String, T>;

/// What a form or import gives for a relic.
#[derive(Debug, Clone, Default)]
pub struct RelicInput {
    pub rank: String,
    pub decision: String,
    pub texts: Texts<RelicText>,
}

/// A checked relic.
#[derive(Debug, Clone, PartialEq)]
pub struct Relic {
    pub rank: Rank,
    pub decision: String,
    pub texts: Texts<RelicText>,
}

const MAX_NAME: usize = 300;
const MAX_SUMMARY: usize = 1_000;
const MAX_HISTORY: usize = 20_000;
const MAX_HOURS: usize = 300;

/// A language code: two or three lowercase letters, optionally a script or region
/// ("zh-Hans", "pt-BR").
pub fn valid_lang(code: &str) -> bool {
    let mut parts = code.split('-');
    let first = parts.next().unwrap_or("");
    let first_ok = (2..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_lowercase());
    let rest: Vec<&str> = parts.collect();
    first_ok
        && rest.len() <= 1
        && rest
            .iter()
            .all(|p| (2..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The name of a language in itself, for the language switch.
pub fn language_name(code: &str) -> String {
    match code {
        "vi" => "Tiếng Việt",
        "en" => "English",
        "zh" | "zh-Hans" => "中文",
        "fr" => "Français",
        "ko" => "한국어",
        "ja" => "日本語",
        "km" => "ខ្មែរ",
        other => other,
    }
    .to_string()
}

fn long_text(s: &str) -> String {
    // Keep paragraph breaks; tidy each paragraph.
    s.replace("\r\n", "\n")
        .split("\n\n")
        .map(text::clean)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

impl RelicInput {
    pub fn check(&self) -> Result<Relic, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut bad = |field, detail| problems.push(FieldProblem { field, detail });
        let rank = Rank::parse(&self.rank);
        if rank.is_none() {
            bad("rank", "choose the relic's rank");
        }
        let decision = text::clean(&self.decision);
        if decision.chars().count() > 300 {
            bad(
                "decision",
                "the decision reference is too long (300 characters at most)",
            );
        }
        let mut texts = Texts::new();
        for (lang, t) in &self.texts {
            let lang = lang.trim();
            if !valid_lang(lang) {
                bad(
                    "lang",
                    "a language code is two or three letters, like vi or en",
                );
                continue;
            }
            let t = RelicText {
                name: text::clean(&t.name),
                summary: long_text(&t.summary),
                history: long_text(&t.history),
                hours: text::clean(&t.hours),
            };
            let empty = t.name.is_empty()
                && t.summary.is_empty()
                && t.history.is_empty()
                && t.hours.is_empty();
            if empty && lang != "vi" {
                // A language left blank on the form is simply not offered.
                continue;
            }
            if t.name.is_empty() && lang == "vi" {
                bad("name", "the Vietnamese name is required");
            } else if t.name.is_empty() {
                bad("name", "every language needs the relic's name");
            }
            if t.name.chars().count() > MAX_NAME
                || t.summary.chars().count() > MAX_SUMMARY
                || t.hours.chars().count() > MAX_HOURS
            {
                bad("summary", "a name, summary or hours line is too long");
            }
            if t.history.chars().count() > MAX_HISTORY {
                bad(
                    "history",
                    "the history is too long (20,000 characters at most)",
                );
            }
            texts.insert(lang.to_string(), t);
        }
        if !texts.contains_key("vi") {
            bad("name", "the Vietnamese name is required");
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Relic {
            rank: rank.expect("checked"),
            decision,
            texts,
        })
    }
}

/// A tour's texts in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourText {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// What a form gives for a tour: texts and the relics' place ids in visiting order.
#[derive(Debug, Clone, Default)]
pub struct TourInput {
    pub texts: Texts<TourText>,
    pub stops: Vec<String>,
}

/// Most stops in one tour.
pub const MAX_STOPS: usize = 50;

impl TourInput {
    pub fn check(&self) -> Result<(Texts<TourText>, Vec<String>), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut bad = |field, detail| problems.push(FieldProblem { field, detail });
        let mut texts = Texts::new();
        for (lang, t) in &self.texts {
            if !valid_lang(lang) {
                bad(
                    "lang",
                    "a language code is two or three letters, like vi or en",
                );
                continue;
            }
            let t = TourText {
                name: text::clean(&t.name),
                description: long_text(&t.description),
            };
            if t.name.is_empty() && t.description.is_empty() && lang != "vi" {
                continue;
            }
            if t.name.is_empty() {
                bad("name", "every language needs the tour's name");
            } else if t.name.chars().count() > MAX_NAME {
                bad("name", "the name is too long (300 characters at most)");
            }
            if t.description.chars().count() > MAX_HISTORY {
                bad("description", "the description is too long");
            }
            texts.insert(lang.clone(), t);
        }
        if !texts.contains_key("vi") {
            bad("name", "the Vietnamese name is required");
        }
        let mut stops: Vec<String> = Vec::new();
        for s in &self.stops {
            let s = s.trim();
            if !s.is_empty() && !stops.iter().any(|x| x == s) {
                stops.push(s.to_string());
            }
        }
        if stops.is_empty() {
            bad("stops", "choose at least one relic for the tour");
        } else if stops.len() > MAX_STOPS {
            bad("stops", "a tour has at most 50 stops");
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok((texts, stops))
    }
}

/// The texts in `lang`, else Vietnamese, else any.
pub fn pick<'a, T>(texts: &'a Texts<T>, lang: &str) -> Option<(&'a str, &'a T)> {
    texts
        .get_key_value(lang)
        .or_else(|| texts.get_key_value("vi"))
        .or_else(|| texts.iter().next())
        .map(|(k, v)| (k.as_str(), v))
}

/// An audio guide's format, recognised from its first bytes.
pub fn audio_type(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let b = bytes;
    if b.starts_with(b"ID3") || (b.len() > 2 && b[0] == 0xFF && (b[1] & 0xE0) == 0xE0) {
        Some(("audio/mpeg", "mp3"))
    } else if b.starts_with(b"OggS") {
        Some(("audio/ogg", "ogg"))
    } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WAVE" {
        Some(("audio/wav", "wav"))
    } else if b.len() >= 12 && &b[4..8] == b"ftyp" {
        Some(("audio/mp4", "m4a"))
    } else if b.starts_with(b"fLaC") {
        Some(("audio/flac", "flac"))
    } else if b.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(("audio/webm", "webm"))
    } else {
        None
    }
}

/// Wraps text into lines of at most `width` characters, breaking at spaces (for PDFs).
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(vi: &str, en: &str) -> RelicInput {
        let mut texts = Texts::new();
        texts.insert(
            "vi".into(),
            RelicText {
                name: vi.into(),
                ..Default::default()
            },
        );
        texts.insert(
            "en".into(),
            RelicText {
                name: en.into(),
                ..Default::default()
            },
        );
        RelicInput {
            rank: "quoc_gia".into(),
            decision: "QĐ 324/QĐ-BVHTTDL".into(),
            texts,
        }
    }

    #[test]
    fn a_relic_needs_a_vietnamese_name_and_a_rank() {
        assert!(input("Di tích An Sơn", "An Son site").check().is_ok());
        let r = input("Di tích An Sơn", "").check().unwrap();
        assert!(
            !r.texts.contains_key("en"),
            "a blank language is not offered"
        );
        let p = input("  ", "An Son").check().unwrap_err();
        assert!(p.iter().any(|p| p.field == "name"));
        let mut i = input("A", "B");
        i.rank = "world".into();
        assert!(i.check().unwrap_err().iter().any(|p| p.field == "rank"));
    }

    #[test]
    fn language_codes_and_fallback() {
        assert!(valid_lang("vi") && valid_lang("zh-Hans") && valid_lang("pt-BR"));
        assert!(!valid_lang("VI") && !valid_lang("english") && !valid_lang(""));
        let r = input("Tên", "Name").check().unwrap();
        assert_eq!(pick(&r.texts, "en").unwrap().1.name, "Name");
        assert_eq!(pick(&r.texts, "fr").unwrap().0, "vi");
    }

    #[test]
    fn audio_is_recognised_by_its_bytes() {
        assert_eq!(audio_type(b"ID3\x04rest").unwrap().1, "mp3");
        assert_eq!(audio_type(b"OggS\0\x02").unwrap().1, "ogg");
        assert_eq!(audio_type(b"RIFF\0\0\0\0WAVEfmt ").unwrap().1, "wav");
        assert!(audio_type(b"%PDF-1.7").is_none());
    }

    #[test]
    fn wrapping_breaks_at_spaces() {
        let lines = wrap("Nơi diễn ra cuộc biểu tình của hơn 5.000 nông dân", 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20));
        assert_eq!(
            lines.join(" "),
            "Nơi diễn ra cuộc biểu tình của hơn 5.000 nông dân"
        );
    }
}
