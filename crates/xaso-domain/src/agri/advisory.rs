//! Advisories: an extension officer's notice to the farmers of a crop, a growing area, a village
//! or the whole commune, and the SMS-ready text made from it.

use serde::Deserialize;

use super::farming::Crop;
use crate::text::{clean, unmark};

vocabulary!(AdvisoryKind {
    Pest = "pest" / "Cảnh báo sâu bệnh",
    Calendar = "calendar" / "Lịch thời vụ",
    Weather = "weather" / "Thời tiết",
    Technique = "technique" / "Hướng dẫn kỹ thuật",
});

vocabulary!(Audience {
    Commune = "commune" / "Toàn xã",
    Crop = "crop" / "Người trồng một loại cây",
    GrowingArea = "growing_area" / "Một vùng trồng",
    Village = "village" / "Một ấp",
});

/// The longest SMS-ready text: one message of the GSM 7-bit alphabet.
pub const SMS_MAX: usize = 160;

/// An advisory as the officer's form gives it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AdvisoryInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub audience: String,
    /// For `crop`: the crop's code.
    #[serde(default)]
    pub crop: String,
    /// For `growing_area`: the area's code.
    #[serde(default)]
    pub growing_area: String,
    /// For `village`: the village's code.
    #[serde(default)]
    pub village: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryFields {
    pub kind: AdvisoryKind,
    pub title: String,
    pub body: String,
    pub audience: Audience,
    pub crop: Option<Crop>,
}

type Problems = Vec<(&'static str, String)>;

/// Checks an advisory (the growing area and village are looked up by the caller).
pub fn check_advisory(i: &AdvisoryInput) -> Result<AdvisoryFields, Problems> {
    let mut errors: Problems = Vec::new();
    let kind = AdvisoryKind::parse(&i.kind);
    if kind.is_none() {
        errors.push(("kind", "choose pest, calendar, weather or technique".into()));
    }
    let title = clean(&i.title);
    if title.is_empty() || title.chars().count() > 120 {
        errors.push(("title", "give a title (at most 120 characters)".into()));
    }
    let body = crate::text::nfc(i.body.trim());
    if body.is_empty() || body.chars().count() > 4000 {
        errors.push(("body", "write the advice (at most 4,000 characters)".into()));
    }
    let audience = Audience::parse(&i.audience);
    let crop = Crop::parse(&i.crop);
    match audience {
        None => errors.push(("audience", "choose who it is for".into())),
        Some(Audience::Crop) if crop.is_none() => {
            errors.push(("crop", "choose the crop whose farmers it is for".into()))
        }
        Some(Audience::GrowingArea) if i.growing_area.trim().is_empty() => {
            errors.push(("growing_area", "choose the growing area".into()))
        }
        Some(Audience::Village) if i.village.trim().is_empty() => {
            errors.push(("village", "choose the village".into()))
        }
        _ => {}
    }
    match (kind, audience) {
        (Some(kind), Some(audience)) if errors.is_empty() => Ok(AdvisoryFields {
            kind,
            title,
            body,
            crop: if audience == Audience::Crop {
                crop
            } else {
                None
            },
            audience,
        }),
        _ => Err(errors),
    }
}

/// The advisory as one SMS of the GSM alphabet: Vietnamese without its marks (phones show it
/// in one message of 160 characters instead of three of 70), the commune's name, the title,
/// as much of the advice as fits, and the link to read it all.
pub fn sms_text(commune: &str, title: &str, body: &str, link: &str) -> String {
    let plain = |s: &str| -> String {
        unmark(&clean(s))
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .collect()
    };
    let head = format!("[{}] {}: ", plain(commune), plain(title).to_uppercase());
    let tail = format!(" {link}");
    let room = SMS_MAX.saturating_sub(head.len() + tail.len());
    let mut text = plain(body);
    if text.len() > room {
        // Cut at a word, and say there is more.
        let mut cut = room.saturating_sub(3);
        while cut > 0 && !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let at = text[..cut].rfind(' ').unwrap_or(cut);
        text = format!("{}...", text[..at].trim_end());
    }
    let mut out = format!("{head}{text}{tail}");
    out.truncate(SMS_MAX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advisory_names_its_audience() {
        let ok = check_advisory(&AdvisoryInput {
            kind: "pest".into(),
            title: "Sâu khoang trên đậu phộng".into(),
            body: "Thăm ruộng mỗi ngày.".into(),
            audience: "crop".into(),
            crop: "peanut".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((ok.audience, ok.crop), (Audience::Crop, Some(Crop::Peanut)));
        let bad = check_advisory(&AdvisoryInput {
            kind: "pest".into(),
            title: "x".into(),
            body: "y".into(),
            audience: "village".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(bad[0].0, "village");
    }

    #[test]
    fn the_sms_text_is_one_plain_message_with_the_link() {
        let body = "Sâu khoang đang phát triển mạnh trên các ruộng đậu phộng giai đoạn ra hoa. \
                    Bà con thăm đồng thường xuyên, ngắt ổ trứng, khi mật độ cao phun thuốc theo \
                    hướng dẫn và tuân thủ thời gian cách ly.";
        let link = "https://xaso.example.vn/k/0192";
        let sms = sms_text("Xã Đức Hòa", "Cảnh báo sâu khoang", body, link);
        assert!(sms.len() <= SMS_MAX, "{} chars", sms.len());
        assert!(sms.is_ascii());
        assert!(sms.starts_with("[Xa Duc Hoa] CANH BAO SAU KHOANG: Sau khoang dang"));
        assert!(sms.ends_with(&format!("... {link}")), "{sms}");
        let short = sms_text("Xã Đức Hòa", "Lịch gieo sạ", "Gieo sạ từ 20/11.", link);
        assert_eq!(
            short,
            format!("[Xa Duc Hoa] LICH GIEO SA: Gieo sa tu 20/11. {link}")
        );
    }
}
