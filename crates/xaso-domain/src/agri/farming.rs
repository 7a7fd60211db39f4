//! Farming on the plots: crops, seasons, plantings, field logs, the pre-harvest interval rule
//! and growing areas.

use chrono::{Days, NaiveDate};
use serde::Deserialize;

use crate::text::{clean, parse_number_vi};
use crate::time::parse_date;

// The crops the commune's statistics count (southern names first, as Đức Hòa says them).
vocabulary!(Crop {
    Rice = "rice" / "Lúa",
    Peanut = "peanut" / "Đậu phộng (lạc)",
    Maize = "maize" / "Bắp (ngô)",
    Vegetables = "vegetables" / "Rau các loại",
    Sugarcane = "sugarcane" / "Mía",
    Cassava = "cassava" / "Khoai mì (sắn)",
    Fruit = "fruit" / "Cây ăn trái",
    Other = "other" / "Cây trồng khác",
});

vocabulary!(SeasonKind {
    DongXuan = "dong-xuan" / "Đông Xuân",
    HeThu = "he-thu" / "Hè Thu",
    ThuDong = "thu-dong" / "Thu Đông",
    Custom = "custom" / "Vụ khác",
});

vocabulary!(LogKind {
    Input = "input" / "Bón phân, phun thuốc",
    Observation = "observation" / "Sâu bệnh",
    Harvest = "harvest" / "Thu hoạch",
});

vocabulary!(InputType {
    Fertiliser = "fertiliser" / "Phân bón",
    Pesticide = "pesticide" / "Thuốc bảo vệ thực vật",
});

vocabulary!(Severity {
    Light = "light" / "Nhẹ",
    Medium = "medium" / "Trung bình",
    Heavy = "heavy" / "Nặng",
});

// Harvest quantities: kilograms, tạ (100 kg) and tấn (1,000 kg), as farmers weigh them.
vocabulary!(HarvestUnit {
    Kg = "kg" / "kg",
    Ta = "ta" / "tạ",
    Tan = "tan" / "tấn",
});

impl HarvestUnit {
    pub fn kg(self) -> f64 {
        match self {
            HarvestUnit::Kg => 1.0,
            HarvestUnit::Ta => 100.0,
            HarvestUnit::Tan => 1000.0,
        }
    }
}

/// The key a season is known by across communes (`dong-xuan-2026`: its kind and the year it
/// starts; a custom season adds its name's folded form).
pub fn season_key(kind: SeasonKind, year: i32, name: &str) -> String {
    match kind {
        SeasonKind::Custom => {
            let slug: String = crate::text::fold(name)
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let slug = slug
                .split('-')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            format!("custom-{year}-{slug}")
        }
        k => format!("{}-{year}", k.as_str()),
    }
}

/// A standard season's name: "Đông Xuân 2026–2027" (it crosses the new year), "Hè Thu 2027".
pub fn season_name(kind: SeasonKind, year: i32, custom: &str) -> String {
    match kind {
        SeasonKind::DongXuan => format!("Đông Xuân {year}–{}", year + 1),
        SeasonKind::Custom => format!("{custom} {year}"),
        k => format!("{} {year}", k.vi()),
    }
}

/// A season as the commune's form gives it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SeasonInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub year: String,
    /// Only for a custom season.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeasonFields {
    pub kind: SeasonKind,
    pub key: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

type Problems = Vec<(&'static str, String)>;

pub fn check_season(i: &SeasonInput) -> Result<SeasonFields, Problems> {
    let mut errors: Problems = Vec::new();
    let kind = SeasonKind::parse(&i.kind);
    if kind.is_none() {
        errors.push((
            "kind",
            "choose Đông Xuân, Hè Thu, Thu Đông or custom".into(),
        ));
    }
    let year = i
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        errors.push(("year", "the year the season starts, e.g. 2026".into()));
    }
    let custom = clean(&i.name);
    if kind == Some(SeasonKind::Custom) && (custom.is_empty() || custom.chars().count() > 60) {
        errors.push((
            "name",
            "name the custom season (at most 60 characters)".into(),
        ));
    }
    let starts_on = parse_date(&i.starts_on);
    if starts_on.is_none() {
        errors.push(("starts_on", "the date the season starts".into()));
    }
    let ends_on = parse_date(&i.ends_on);
    match (starts_on, ends_on) {
        (_, None) => errors.push(("ends_on", "the date the season ends".into())),
        (Some(s), Some(e)) if e <= s || (e - s).num_days() > 366 => errors.push((
            "ends_on",
            "the season ends after it starts, within a year".into(),
        )),
        _ => {}
    }
    match (kind, year, starts_on, ends_on) {
        (Some(kind), Some(year), Some(starts_on), Some(ends_on)) if errors.is_empty() => {
            Ok(SeasonFields {
                kind,
                key: season_key(kind, year, &custom),
                name: season_name(kind, year, &custom),
                starts_on,
                ends_on,
            })
        }
        _ => Err(errors),
    }
}

/// A planting as a form or the API gives it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlantingInput {
    /// The season's id.
    #[serde(default)]
    pub season: String,
    #[serde(default)]
    pub crop: String,
    #[serde(default)]
    pub variety: String,
    /// In hectares, as typed ("0,5"); empty: the whole plot.
    #[serde(default)]
    pub sown_area_ha: String,
    #[serde(default)]
    pub sown_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlantingFields {
    pub crop: Crop,
    pub variety: String,
    pub sown_area_m2: f64,
    pub sown_on: NaiveDate,
}

/// Checks a planting on a plot of `plot_m2` in a season running `season` (start, end).
pub fn check_planting(
    i: &PlantingInput,
    plot_m2: f64,
    season: (NaiveDate, NaiveDate),
) -> Result<PlantingFields, Problems> {
    let mut errors: Problems = Vec::new();
    let crop = Crop::parse(&i.crop);
    if crop.is_none() {
        errors.push(("crop", "choose the crop".into()));
    }
    let variety = clean(&i.variety);
    if variety.chars().count() > 80 {
        errors.push(("variety", "the variety is at most 80 characters".into()));
    }
    let sown_area_m2 = match i.sown_area_ha.trim() {
        "" => plot_m2,
        s => match parse_number_vi(s) {
            // A drawn outline and a measured area differ a little: 2 % of slack.
            Some(ha) if ha > 0.0 && ha * 10_000.0 <= plot_m2 * 1.02 => ha * 10_000.0,
            _ => {
                errors.push((
                    "sown_area_ha",
                    format!(
                        "the sown area is more than 0 and at most the plot's {:.2} ha",
                        plot_m2 / 10_000.0
                    ),
                ));
                0.0
            }
        },
    };
    let sown_on = parse_date(&i.sown_on);
    match sown_on {
        None => errors.push(("sown_on", "the date it was sown or planted".into())),
        Some(d) if d < season.0 || d > season.1 => errors.push((
            "sown_on",
            "the sowing date is outside the season's dates".into(),
        )),
        _ => {}
    }
    match (crop, sown_on) {
        (Some(crop), Some(sown_on)) if errors.is_empty() => Ok(PlantingFields {
            crop,
            variety,
            sown_area_m2,
            sown_on,
        }),
        _ => Err(errors),
    }
}

/// A field log entry as a form or the API gives it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogInput {
    #[serde(default)]
    pub kind: String,
    /// The planting it belongs to (its id); empty: the plot's latest planting.
    #[serde(default)]
    pub planting: String,
    #[serde(default)]
    pub done_on: String,
    #[serde(default)]
    pub input_type: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub active_ingredient: String,
    #[serde(default)]
    pub dose: String,
    /// The pesticide label's pre-harvest interval in days.
    #[serde(default)]
    pub phi_days: String,
    #[serde(default)]
    pub pest: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub quantity_unit: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LogDetail {
    Input {
        input_type: InputType,
        product: String,
        active_ingredient: String,
        dose: String,
        phi_days: Option<u32>,
    },
    Observation {
        pest: String,
        severity: Severity,
    },
    Harvest {
        quantity: f64,
        unit: HarvestUnit,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogFields {
    pub done_on: NaiveDate,
    pub detail: LogDetail,
    pub note: String,
}

impl LogFields {
    pub fn kind(&self) -> LogKind {
        match self.detail {
            LogDetail::Input { .. } => LogKind::Input,
            LogDetail::Observation { .. } => LogKind::Observation,
            LogDetail::Harvest { .. } => LogKind::Harvest,
        }
    }
}

/// Checks a log entry; `today` bounds its date (nothing is logged ahead of time).
pub fn check_log(i: &LogInput, today: NaiveDate) -> Result<LogFields, Problems> {
    let mut errors: Problems = Vec::new();
    let kind = LogKind::parse(&i.kind);
    if kind.is_none() {
        errors.push(("kind", "choose input, observation or harvest".into()));
    }
    let done_on = parse_date(&i.done_on);
    match done_on {
        None => errors.push(("done_on", "the date it was done".into())),
        Some(d) if d > today => errors.push(("done_on", "the date is in the future".into())),
        _ => {}
    }
    let text = |errors: &mut Problems, field: &'static str, s: &str, max: usize| {
        let v = clean(s);
        if v.chars().count() > max {
            errors.push((field, format!("at most {max} characters")));
        }
        v
    };
    let note = text(&mut errors, "note", &i.note, 500);
    let detail = match kind {
        Some(LogKind::Input) => {
            let input_type = InputType::parse(&i.input_type);
            if input_type.is_none() {
                errors.push(("input_type", "choose fertiliser or pesticide".into()));
            }
            let product = text(&mut errors, "product", &i.product, 120);
            if product.is_empty() {
                errors.push(("product", "name the product used".into()));
            }
            let active_ingredient =
                text(&mut errors, "active_ingredient", &i.active_ingredient, 120);
            let dose = text(&mut errors, "dose", &i.dose, 60);
            let phi_days = match i.phi_days.trim() {
                "" => None,
                s => match s.parse::<u32>() {
                    Ok(d) if d <= 365 => Some(d),
                    _ => {
                        errors.push((
                            "phi_days",
                            "the pre-harvest interval in whole days (0 to 365)".into(),
                        ));
                        None
                    }
                },
            };
            if input_type == Some(InputType::Pesticide) && phi_days.is_none() {
                errors.push((
                    "phi_days",
                    "give the pre-harvest interval printed on the pesticide's label".into(),
                ));
            }
            input_type.map(|input_type| LogDetail::Input {
                input_type,
                product,
                active_ingredient,
                dose,
                phi_days,
            })
        }
        Some(LogKind::Observation) => {
            let pest = text(&mut errors, "pest", &i.pest, 120);
            if pest.is_empty() {
                errors.push(("pest", "name the pest or disease seen".into()));
            }
            let severity = Severity::parse(&i.severity);
            if severity.is_none() {
                errors.push(("severity", "choose light, medium or heavy".into()));
            }
            severity.map(|severity| LogDetail::Observation { pest, severity })
        }
        Some(LogKind::Harvest) => {
            let quantity = parse_number_vi(&i.quantity).filter(|q| *q > 0.0 && *q < 1e9);
            if quantity.is_none() {
                errors.push(("quantity", "the quantity harvested, more than 0".into()));
            }
            let unit = HarvestUnit::parse(&i.quantity_unit);
            if unit.is_none() {
                errors.push(("quantity_unit", "choose kg, tạ or tấn".into()));
            }
            match (quantity, unit) {
                (Some(quantity), Some(unit)) => Some(LogDetail::Harvest { quantity, unit }),
                _ => None,
            }
        }
        None => None,
    };
    match (done_on, detail) {
        (Some(done_on), Some(detail)) if errors.is_empty() => Ok(LogFields {
            done_on,
            detail,
            note,
        }),
        _ => Err(errors),
    }
}

/// A pesticide spraying on the plot: the day it was sprayed, its label's pre-harvest interval
/// and the product's name.
#[derive(Debug, Clone, PartialEq)]
pub struct Spraying {
    pub done_on: NaiveDate,
    pub phi_days: u32,
    pub product: String,
}

/// The spraying a harvest on `harvest_on` comes too early after, with the first day it is
/// safe to harvest: the one whose interval ends last, if any has not ended. A harvest on the
/// last day of the interval is still inside it (the interval counts whole days after spraying).
pub fn too_early(harvest_on: NaiveDate, sprayings: &[Spraying]) -> Option<(&Spraying, NaiveDate)> {
    sprayings
        .iter()
        .filter(|s| s.done_on <= harvest_on)
        .filter_map(|s| {
            let safe = s
                .done_on
                .checked_add_days(Days::new(s.phi_days as u64 + 1))?;
            (harvest_on < safe).then_some((s, safe))
        })
        .max_by_key(|(_, safe)| *safe)
}

/// A growing area as the form or the API gives it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GrowingAreaInput {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub crop: String,
    /// The issuing decision's number and date, as written on it.
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub issued_by: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GrowingAreaFields {
    pub code: String,
    pub name: String,
    pub crop: Crop,
    pub decision: String,
    pub issued_by: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

/// Checks a growing area. Its code's format belongs to the issuing authority and is not
/// checked beyond being a short run of letters, digits and the separators codes use.
pub fn check_growing_area(i: &GrowingAreaInput) -> Result<GrowingAreaFields, Problems> {
    let mut errors: Problems = Vec::new();
    let code = clean(&i.code).to_uppercase();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-./_".contains(c))
    {
        errors.push((
            "code",
            "the code as issued: letters, digits and - . / _ (at most 40)".into(),
        ));
    }
    let name = clean(&i.name);
    if name.is_empty() || name.chars().count() > 120 {
        errors.push((
            "name",
            "name the growing area (at most 120 characters)".into(),
        ));
    }
    let crop = Crop::parse(&i.crop);
    if crop.is_none() {
        errors.push(("crop", "choose the crop".into()));
    }
    let decision = clean(&i.decision);
    let issued_by = clean(&i.issued_by);
    if decision.chars().count() > 200 || issued_by.chars().count() > 200 {
        errors.push(("decision", "at most 200 characters".into()));
    }
    let date = |errors: &mut Problems, field: &'static str, s: &str| match s.trim() {
        "" => None,
        s => {
            let d = parse_date(s);
            if d.is_none() {
                errors.push((field, "a date (dd/mm/yyyy)".into()));
            }
            d
        }
    };
    let valid_from = date(&mut errors, "valid_from", &i.valid_from);
    let valid_until = date(&mut errors, "valid_until", &i.valid_until);
    if let (Some(a), Some(b)) = (valid_from, valid_until) {
        if b < a {
            errors.push(("valid_until", "the end is after the start".into()));
        }
    }
    match crop {
        Some(crop) if errors.is_empty() => Ok(GrowingAreaFields {
            code,
            name,
            crop,
            decision,
            issued_by,
            valid_from,
            valid_until,
        }),
        _ => Err(errors),
    }
}

/// A plot's rough position for public pages: its centre rounded to 0.01° (about 1 km), so a
/// buyer sees where the crop grew without the field being pinned down.
pub fn rough_position(bbox: (f64, f64, f64, f64)) -> (f64, f64) {
    let (s, w, n, e) = bbox;
    let r = |v: f64| (v * 100.0).round() / 100.0;
    (r((s + n) / 2.0), r((w + e) / 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn a_harvest_inside_a_pesticides_interval_is_too_early() {
        let sprays = [
            Spraying {
                done_on: d("2026-03-01"),
                phi_days: 7,
                product: "A".into(),
            },
            Spraying {
                done_on: d("2026-03-05"),
                phi_days: 14,
                product: "B".into(),
            },
        ];
        // 14 days after 5 March is 19 March: harvesting that day is still inside.
        let (s, safe) = too_early(d("2026-03-19"), &sprays).unwrap();
        assert_eq!((s.product.as_str(), safe), ("B", d("2026-03-20")));
        assert!(too_early(d("2026-03-20"), &sprays).is_none());
        // Only sprayings before the harvest count.
        assert!(too_early(d("2026-02-28"), &sprays).is_none());
        let (s, _) = too_early(d("2026-03-06"), &sprays).unwrap();
        assert_eq!(s.product, "B");
    }

    #[test]
    fn season_keys_add_up_across_communes() {
        assert_eq!(season_key(SeasonKind::DongXuan, 2026, ""), "dong-xuan-2026");
        assert_eq!(
            season_key(SeasonKind::Custom, 2027, "Vụ Xuân Hè sớm"),
            "custom-2027-vu-xuan-he-som"
        );
        assert_eq!(
            season_name(SeasonKind::DongXuan, 2026, ""),
            "Đông Xuân 2026–2027"
        );
        let ok = check_season(&SeasonInput {
            kind: "he-thu".into(),
            year: "2027".into(),
            starts_on: "15/04/2027".into(),
            ends_on: "2027-08-15".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (ok.key.as_str(), ok.name.as_str()),
            ("he-thu-2027", "Hè Thu 2027")
        );
        let bad = check_season(&SeasonInput {
            kind: "custom".into(),
            year: "27".into(),
            starts_on: "2027-08-15".into(),
            ends_on: "2027-04-15".into(),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["year", "name", "ends_on"]);
    }

    #[test]
    fn plantings_fit_their_plot_and_season() {
        let season = (d("2026-11-15"), d("2027-03-31"));
        let ok = check_planting(
            &PlantingInput {
                crop: "peanut".into(),
                sown_area_ha: "0,5".into(),
                sown_on: "20/11/2026".into(),
                ..Default::default()
            },
            6000.0,
            season,
        )
        .unwrap();
        assert_eq!((ok.crop, ok.sown_area_m2), (Crop::Peanut, 5000.0));
        let whole = PlantingInput {
            crop: "rice".into(),
            sown_on: "2026-12-01".into(),
            ..Default::default()
        };
        assert_eq!(
            check_planting(&whole, 6000.0, season).unwrap().sown_area_m2,
            6000.0
        );
        let bad = check_planting(
            &PlantingInput {
                crop: "rice".into(),
                sown_area_ha: "0,7".into(),
                sown_on: "2026-10-01".into(),
                ..Default::default()
            },
            6000.0,
            season,
        )
        .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["sown_area_ha", "sown_on"]);
    }

    #[test]
    fn log_entries_are_checked_by_kind() {
        let today = d("2027-02-01");
        let spray = check_log(
            &LogInput {
                kind: "input".into(),
                done_on: "2027-01-10".into(),
                input_type: "pesticide".into(),
                product: "Regent 800WG".into(),
                phi_days: "".into(),
                ..Default::default()
            },
            today,
        )
        .unwrap_err();
        assert_eq!(
            spray[0].0, "phi_days",
            "a pesticide needs its label's interval"
        );
        let harvest = check_log(
            &LogInput {
                kind: "harvest".into(),
                done_on: "2027-01-30".into(),
                quantity: "12,5".into(),
                quantity_unit: "ta".into(),
                ..Default::default()
            },
            today,
        )
        .unwrap();
        assert_eq!(
            harvest.detail,
            LogDetail::Harvest {
                quantity: 12.5,
                unit: HarvestUnit::Ta
            }
        );
        let future = check_log(
            &LogInput {
                kind: "observation".into(),
                done_on: "2027-03-01".into(),
                pest: "Sâu khoang".into(),
                severity: "heavy".into(),
                ..Default::default()
            },
            today,
        )
        .unwrap_err();
        assert_eq!(future[0].0, "done_on");
    }

    #[test]
    fn growing_area_codes_are_kept_as_issued() {
        let ok = check_growing_area(&GrowingAreaInput {
            code: " minh-hoa-0001 ".into(),
            name: "Vùng đậu phộng ấp 3".into(),
            crop: "peanut".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.code, "MINH-HOA-0001");
        assert!(check_growing_area(&GrowingAreaInput {
            code: "mã vùng".into(),
            name: "x".into(),
            crop: "peanut".into(),
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn a_public_position_is_rounded_to_about_a_kilometre() {
        assert_eq!(
            rough_position((10.8612, 106.4031, 10.8633, 106.4052)),
            (10.86, 106.40)
        );
    }
}
