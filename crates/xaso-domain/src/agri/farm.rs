//! Farm households and organisations: who works a commune's plots.

use serde::Deserialize;

use crate::text::clean;

vocabulary!(FarmKind {
    Household = "household" / "Hộ gia đình",
    Cooperative = "cooperative" / "Hợp tác xã",
    Group = "group" / "Tổ hợp tác",
    Company = "company" / "Doanh nghiệp",
});

/// A farm as the commune's form gives it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FarmInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    /// The head of the household or the organisation's representative (private).
    #[serde(default)]
    pub representative: String,
    /// Private.
    #[serde(default)]
    pub phone: String,
    /// The village's code.
    #[serde(default)]
    pub village: String,
    /// The digital address of the registered place it lives or works at.
    #[serde(default)]
    pub place: String,
    /// The producer it sells through (its id), if any.
    #[serde(default)]
    pub producer: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FarmFields {
    pub kind: FarmKind,
    pub name: String,
    pub representative: String,
    pub phone: String,
}

/// Checks a farm's own fields (the village, place and producer are looked up by the caller).
pub fn check_farm(i: &FarmInput) -> Result<FarmFields, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let kind = FarmKind::parse(&i.kind);
    if kind.is_none() {
        errors.push((
            "kind",
            "choose household, cooperative, group or company".into(),
        ));
    }
    let name = clean(&i.name);
    if name.is_empty() || name.chars().count() > 120 {
        errors.push(("name", "name the farm (at most 120 characters)".into()));
    }
    let representative = clean(&i.representative);
    if representative.chars().count() > 120 {
        errors.push((
            "representative",
            "the representative's name is at most 120 characters".into(),
        ));
    }
    let phone = match i.phone.trim() {
        "" => String::new(),
        p => match crate::places::phone_number(p) {
            Some(p) => p,
            None => {
                errors.push((
                    "phone",
                    "a Vietnamese phone number, e.g. 0912 345 678".into(),
                ));
                String::new()
            }
        },
    };
    match kind {
        Some(kind) if errors.is_empty() => Ok(FarmFields {
            kind,
            name,
            representative,
            phone,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_farm_is_named_and_its_phone_is_vietnamese() {
        let ok = check_farm(&FarmInput {
            kind: "household".into(),
            name: " Hộ ông  Tư ".into(),
            phone: "0912 345 678".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.phone.as_str()),
            ("Hộ ông Tư", "0912345678")
        );
        let bad = check_farm(&FarmInput {
            kind: "estate".into(),
            phone: "12".into(),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["kind", "name", "phone"]);
    }
}
