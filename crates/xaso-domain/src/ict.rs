//! The ICT register: the commune's devices (office computers and printers, network gear, free
//! public Wi-Fi points, loudspeaker cluster heads, e-bulletin boards) as assets with a kind, a
//! status and, for staff only, their network details. The rules here turn what people type into
//! checked values; nothing does I/O.

pub mod devices;
pub mod logs;

use std::net::IpAddr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::places::FieldProblem;
use crate::text;

/// Where an asset stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Đang sử dụng.
    InUse,
    /// Hỏng.
    Broken,
    /// Đang sửa chữa.
    InRepair,
    /// Thanh lý / ngừng sử dụng: kept for the record, left out of stocktakes.
    Retired,
    /// Thất lạc: not found when a stocktake closed (set back by hand when it turns up).
    Missing,
}

pub const STATUSES: &[Status] = &[
    Status::InUse,
    Status::Broken,
    Status::InRepair,
    Status::Retired,
    Status::Missing,
];

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InUse => "in_use",
            Status::Broken => "broken",
            Status::InRepair => "in_repair",
            Status::Retired => "retired",
            Status::Missing => "missing",
        }
    }

    /// The Vietnamese words, as lists and spreadsheets print them.
    pub fn name_vi(self) -> &'static str {
        match self {
            Status::InUse => "Đang sử dụng",
            Status::Broken => "Hỏng",
            Status::InRepair => "Đang sửa chữa",
            Status::Retired => "Ngừng sử dụng",
            Status::Missing => "Thất lạc",
        }
    }

    /// Reads a status as code (`in_use`) or as people write it ("Đang sử dụng", "hong").
    pub fn parse(s: &str) -> Option<Status> {
        let key = text::fold(s);
        STATUSES
            .iter()
            .copied()
            .find(|x| key == x.as_str() || key == text::fold(x.name_vi()))
    }
}

/// Where the money for an asset came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Funding {
    /// The new-rural-area programme.
    Ntm,
    /// The digital-transformation programme.
    Dt,
    Other,
}

pub const FUNDINGS: &[Funding] = &[Funding::Ntm, Funding::Dt, Funding::Other];

impl Funding {
    pub fn as_str(self) -> &'static str {
        match self {
            Funding::Ntm => "ntm",
            Funding::Dt => "dt",
            Funding::Other => "other",
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            Funding::Ntm => "Chương trình nông thôn mới",
            Funding::Dt => "Chương trình chuyển đổi số",
            Funding::Other => "Nguồn khác",
        }
    }

    /// Reads a funding source as code (`ntm`), as its name, or as the usual short forms ("NTM",
    /// "CĐS", "khác").
    pub fn parse(s: &str) -> Option<Funding> {
        let key = text::fold(s);
        match key.as_str() {
            "ntm" | "nong thon moi" => return Some(Funding::Ntm),
            "dt" | "cds" | "chuyen doi so" => return Some(Funding::Dt),
            "other" | "khac" => return Some(Funding::Other),
            _ => {}
        }
        FUNDINGS
            .iter()
            .copied()
            .find(|x| key == text::fold(x.name_vi()))
    }
}

/// A kind of asset as typed by an administrator (kinds are data: a province adds its own).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct KindInput {
    pub key: String,
    pub name_vi: String,
    #[serde(default)]
    pub name_en: String,
    /// Minutes without a heartbeat after which a device of this kind counts as offline; empty
    /// for kinds that do not send heartbeats.
    #[serde(default)]
    pub offline_after_min: String,
    /// Whether assets of this kind are public Wi-Fi points (shown on the public map).
    #[serde(default)]
    pub public_wifi: bool,
}

/// A checked kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Kind {
    pub key: String,
    pub name_vi: String,
    pub name_en: String,
    pub offline_after_min: Option<i64>,
    pub public_wifi: bool,
}

/// Whether a kind's key is usable in URLs, spreadsheets and the API: 2 to 40 lowercase letters,
/// digits and `_`, starting with a letter.
pub fn valid_key(key: &str) -> bool {
    (2..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl KindInput {
    pub fn check(&self) -> Result<Kind, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let key = self.key.trim().to_string();
        if !valid_key(&key) {
            problems.push(FieldProblem {
                field: "key",
                detail: "a kind's code is 2 to 40 lowercase letters, digits and _, starting with a letter",
            });
        }
        let name_vi = text::clean(&self.name_vi);
        if name_vi.is_empty() || name_vi.chars().count() > 80 {
            problems.push(FieldProblem {
                field: "name_vi",
                detail: "the Vietnamese name is 1 to 80 characters",
            });
        }
        let name_en = text::clean(&self.name_en);
        if name_en.chars().count() > 80 {
            problems.push(FieldProblem {
                field: "name_en",
                detail: "the English name is at most 80 characters",
            });
        }
        let offline_after_min = match self.offline_after_min.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) if (1..=10_080).contains(&n) => Some(n),
                _ => {
                    problems.push(FieldProblem {
                        field: "offline_after_min",
                        detail:
                            "minutes before a silent device counts as offline: 1 to 10080 (a week)",
                    });
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Kind {
            key,
            name_vi,
            name_en,
            offline_after_min,
            public_wifi: self.public_wifi,
        })
    }
}

/// An asset as typed in a form, a spreadsheet row or the API. Empty strings are "not given".
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct AssetInput {
    /// The kind's code (`computer`, `wifi_ap` …) or its Vietnamese name.
    pub kind: String,
    /// What staff call it ("Máy tính bộ phận một cửa số 2").
    pub name: String,
    /// The place of the registry it stands at (its id), if any.
    pub place_id: String,
    /// Room or spot ("Phòng tiếp dân, tầng 1").
    pub location: String,
    /// Who keeps it (a name; not a contact).
    pub custodian: String,
    pub serial: String,
    pub model: String,
    /// dd/mm/yyyy or yyyy-mm-dd.
    pub purchased_on: String,
    /// ntm, dt or other (or the Vietnamese names).
    pub funding: String,
    /// Value in đồng, as typed (`12.500.000` or `12500000`).
    pub value_vnd: String,
    pub warranty_until: String,
    /// in_use, broken, in_repair or retired (or the Vietnamese words); in use when empty.
    pub status: String,
    /// Staff only: the device's IP address (v4 or v6).
    pub ip: String,
    /// Staff only: the MAC address (any of `aa:bb:cc:dd:ee:ff`, `AA-BB-…`, `aabb.ccdd.eeff`).
    pub mac: String,
    /// Staff only: VLAN number, 1 to 4094.
    pub vlan: String,
    /// Staff only: the device's administration page.
    pub admin_url: String,
    /// Public Wi-Fi points: the network name people see.
    pub wifi_ssid: String,
    /// Public Wi-Fi points: opening hours as people read them ("6:00–22:00 hằng ngày").
    pub wifi_hours: String,
    /// Public Wi-Fi points: how to connect (free, password on the notice board …).
    pub wifi_howto: String,
    pub note: String,
}

/// A checked asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAsset {
    pub kind: String,
    pub name: String,
    pub place_id: Option<String>,
    pub location: String,
    pub custodian: String,
    pub serial: String,
    pub model: String,
    pub purchased_on: Option<NaiveDate>,
    pub funding: Option<Funding>,
    pub value_vnd: Option<i64>,
    pub warranty_until: Option<NaiveDate>,
    pub status: Status,
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub vlan: Option<i64>,
    pub admin_url: Option<String>,
    pub wifi_ssid: String,
    pub wifi_hours: String,
    pub wifi_howto: String,
    pub note: String,
}

fn opt_date(
    input: &str,
    field: &'static str,
    problems: &mut Vec<FieldProblem>,
) -> Option<NaiveDate> {
    if input.trim().is_empty() {
        return None;
    }
    let d = crate::time::parse_date(input);
    if d.is_none() {
        problems.push(FieldProblem {
            field,
            detail: "write the date as dd/mm/yyyy",
        });
    }
    d
}

fn bounded(
    input: &str,
    max: usize,
    field: &'static str,
    detail: &'static str,
    problems: &mut Vec<FieldProblem>,
) -> String {
    let v = text::clean(input);
    if v.chars().count() > max {
        problems.push(FieldProblem { field, detail });
    }
    v
}

/// A MAC address in the usual notations, written back as `AA:BB:CC:DD:EE:FF`.
pub fn mac_address(input: &str) -> Option<String> {
    let hex: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let upper = hex.to_ascii_uppercase();
    Some(
        upper
            .as_bytes()
            .chunks(2)
            .map(|p| std::str::from_utf8(p).expect("ascii"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// An amount in đồng as people type it: digits with optional dots, spaces or commas between
/// thousands, or a trailing "đ"/"VND". Whole đồng only.
pub fn amount_vnd(input: &str) -> Option<i64> {
    let s = input.trim();
    let s = s
        .trim_end_matches(|c: char| c.is_alphabetic() || c.is_whitespace())
        .trim();
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}'))
        .collect();
    if digits.is_empty() || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl AssetInput {
    /// Checks every field and reports every problem at once. `kinds` are the known kinds;
    /// `kind` may be a code or a Vietnamese name.
    pub fn check(&self, kinds: &[Kind]) -> Result<NewAsset, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let kind_key = text::fold(&self.kind);
        let kind = kinds
            .iter()
            .find(|k| k.key == self.kind.trim() || text::fold(&k.name_vi) == kind_key);
        if kind.is_none() {
            problems.push(FieldProblem {
                field: "kind",
                detail: "choose a kind from the list of kinds",
            });
        }
        let name = text::clean(&self.name);
        if name.is_empty() {
            problems.push(FieldProblem {
                field: "name",
                detail: "give the asset a name staff will recognise",
            });
        } else if name.chars().count() > 120 {
            problems.push(FieldProblem {
                field: "name",
                detail: "a name is at most 120 characters",
            });
        }
        let place_id = Some(self.place_id.trim().to_string()).filter(|p| !p.is_empty());
        let location = bounded(
            &self.location,
            200,
            "location",
            "the location note is at most 200 characters",
            &mut problems,
        );
        let custodian = bounded(
            &self.custodian,
            120,
            "custodian",
            "the custodian's name is at most 120 characters",
            &mut problems,
        );
        let serial = bounded(
            &self.serial,
            80,
            "serial",
            "a serial number is at most 80 characters",
            &mut problems,
        );
        let model = bounded(
            &self.model,
            120,
            "model",
            "the model is at most 120 characters",
            &mut problems,
        );
        let purchased_on = opt_date(&self.purchased_on, "purchased_on", &mut problems);
        let warranty_until = opt_date(&self.warranty_until, "warranty_until", &mut problems);
        if let (Some(p), Some(w)) = (purchased_on, warranty_until) {
            if w < p {
                problems.push(FieldProblem {
                    field: "warranty_until",
                    detail: "the warranty cannot end before the purchase",
                });
            }
        }
        if let Some(p) = purchased_on {
            if p > crate::time::today_vn() {
                problems.push(FieldProblem {
                    field: "purchased_on",
                    detail: "the purchase date is in the future",
                });
            }
        }
        let funding = match self.funding.trim() {
            "" => None,
            s => {
                let f = Funding::parse(s);
                if f.is_none() {
                    problems.push(FieldProblem {
                        field: "funding",
                        detail: "the funding source is NTM, DT (CĐS) or other",
                    });
                }
                f
            }
        };
        let value_vnd = match self.value_vnd.trim() {
            "" => None,
            s => {
                let v = amount_vnd(s);
                if v.is_none() {
                    problems.push(FieldProblem {
                        field: "value_vnd",
                        detail: "the value is a whole amount in đồng, like 12.500.000",
                    });
                }
                v
            }
        };
        let status = match self.status.trim() {
            "" => Some(Status::InUse),
            s => Status::parse(s),
        };
        if status.is_none() {
            problems.push(FieldProblem {
                field: "status",
                detail: "the status is in use, broken, in repair or retired",
            });
        }
        let ip = match self.ip.trim() {
            "" => None,
            s => match s.parse::<IpAddr>() {
                Ok(a) => Some(a.to_string()),
                Err(_) => {
                    problems.push(FieldProblem {
                        field: "ip",
                        detail: "an IP address looks like 192.168.1.10 (or IPv6)",
                    });
                    None
                }
            },
        };
        let mac = match self.mac.trim() {
            "" => None,
            s => {
                let m = mac_address(s);
                if m.is_none() {
                    problems.push(FieldProblem {
                        field: "mac",
                        detail: "a MAC address has 12 hexadecimal digits, like AA:BB:CC:DD:EE:FF",
                    });
                }
                m
            }
        };
        let vlan = match self.vlan.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) if (1..=4094).contains(&n) => Some(n),
                _ => {
                    problems.push(FieldProblem {
                        field: "vlan",
                        detail: "a VLAN number is 1 to 4094",
                    });
                    None
                }
            },
        };
        let admin_url = match self.admin_url.trim() {
            "" => None,
            s if (s.starts_with("http://") || s.starts_with("https://"))
                && s.len() <= 300
                && !s.contains(char::is_whitespace) =>
            {
                Some(s.to_string())
            }
            _ => {
                problems.push(FieldProblem {
                    field: "admin_url",
                    detail: "the administration page is an http:// or https:// address",
                });
                None
            }
        };
        let wifi_ssid = bounded(
            &self.wifi_ssid,
            32,
            "wifi_ssid",
            "a Wi-Fi network name is at most 32 characters",
            &mut problems,
        );
        let wifi_hours = bounded(
            &self.wifi_hours,
            120,
            "wifi_hours",
            "opening hours are at most 120 characters",
            &mut problems,
        );
        let wifi_howto = bounded(
            &self.wifi_howto,
            500,
            "wifi_howto",
            "how to connect is at most 500 characters",
            &mut problems,
        );
        let note = bounded(
            &self.note,
            1000,
            "note",
            "the note is at most 1000 characters",
            &mut problems,
        );
        if let Some(k) = kind {
            if k.public_wifi && wifi_ssid.is_empty() {
                problems.push(FieldProblem {
                    field: "wifi_ssid",
                    detail: "a public Wi-Fi point needs the network name people will look for",
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewAsset {
            kind: kind.expect("checked").key.clone(),
            name,
            place_id,
            location,
            custodian,
            serial,
            model,
            purchased_on,
            funding,
            value_vnd,
            warranty_until,
            status: status.expect("checked"),
            ip,
            mac,
            vlan,
            admin_url,
            wifi_ssid,
            wifi_hours,
            wifi_howto,
            note,
        })
    }
}

/// An asset's tag as printed under its label: the commune's code and a number of its own
/// (`27937-TB-0042`), so a label read by eye still says whose it is.
pub fn tag(commune_code: &str, n: i64) -> String {
    format!("{commune_code}-TB-{n:04}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Vec<Kind> {
        vec![
            Kind {
                key: "computer".into(),
                name_vi: "Máy tính để bàn".into(),
                name_en: "Desktop computer".into(),
                offline_after_min: None,
                public_wifi: false,
            },
            Kind {
                key: "wifi_ap".into(),
                name_vi: "Điểm phát Wi-Fi".into(),
                name_en: "Wi-Fi access point".into(),
                offline_after_min: Some(15),
                public_wifi: true,
            },
        ]
    }

    #[test]
    fn a_full_asset_is_checked_and_normalised() {
        let a = AssetInput {
            kind: "may tinh de ban".into(),
            name: "  Máy tính  một cửa 2 ".into(),
            purchased_on: "15/03/2024".into(),
            warranty_until: "2027-03-15".into(),
            funding: "CĐS".into(),
            value_vnd: "12.500.000 đ".into(),
            status: "Đang sửa chữa".into(),
            ip: " 192.168.1.20 ".into(),
            mac: "aa-bb-cc-00-11-22".into(),
            vlan: "10".into(),
            admin_url: "http://192.168.1.20/".into(),
            ..Default::default()
        }
        .check(&kinds())
        .unwrap();
        assert_eq!(a.kind, "computer");
        assert_eq!(a.name, "Máy tính một cửa 2");
        assert_eq!(a.funding, Some(Funding::Dt));
        assert_eq!(a.value_vnd, Some(12_500_000));
        assert_eq!(a.status, Status::InRepair);
        assert_eq!(a.ip.as_deref(), Some("192.168.1.20"));
        assert_eq!(a.mac.as_deref(), Some("AA:BB:CC:00:11:22"));
        assert_eq!(a.vlan, Some(10));
        assert_eq!(
            a.purchased_on,
            NaiveDate::from_ymd_opt(2024, 3, 15),
            "dd/mm/yyyy"
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let err = AssetInput {
            kind: "toaster".into(),
            name: "".into(),
            purchased_on: "2024-05-01".into(),
            warranty_until: "01/01/2024".into(),
            value_vnd: "mười triệu".into(),
            status: "lost".into(),
            ip: "192.168.1.300".into(),
            mac: "aa:bb:cc".into(),
            vlan: "5000".into(),
            admin_url: "javascript:alert(1)".into(),
            funding: "bank".into(),
            ..Default::default()
        }
        .check(&kinds())
        .unwrap_err();
        let fields: Vec<&str> = err.iter().map(|p| p.field).collect();
        for f in [
            "kind",
            "name",
            "warranty_until",
            "value_vnd",
            "status",
            "ip",
            "mac",
            "vlan",
            "admin_url",
            "funding",
        ] {
            assert!(fields.contains(&f), "{f} missing in {fields:?}");
        }
    }

    #[test]
    fn a_public_wifi_point_needs_its_network_name() {
        let input = AssetInput {
            kind: "wifi_ap".into(),
            name: "Wi-Fi chợ".into(),
            ..Default::default()
        };
        let err = input.check(&kinds()).unwrap_err();
        assert_eq!(err[0].field, "wifi_ssid");
        let ok = AssetInput {
            wifi_ssid: "XaDucHoa-Free".into(),
            ..input
        }
        .check(&kinds())
        .unwrap();
        assert_eq!(ok.status, Status::InUse, "in use by default");
    }

    #[test]
    fn kinds_and_amounts() {
        assert!(valid_key("wifi_ap"));
        assert!(!valid_key("Wifi"));
        assert!(!valid_key("1ap"));
        let k = KindInput {
            key: "ups".into(),
            name_vi: "Bộ lưu điện".into(),
            offline_after_min: "0".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(k[0].field, "offline_after_min");
        assert_eq!(amount_vnd("1 200 000"), Some(1_200_000));
        assert_eq!(amount_vnd("1,200,000 VND"), Some(1_200_000));
        assert_eq!(amount_vnd("-5"), None);
        assert_eq!(
            mac_address("aabb.ccdd.eeff").as_deref(),
            Some("AA:BB:CC:DD:EE:FF")
        );
        assert_eq!(Status::parse("hong"), Some(Status::Broken));
        assert_eq!(tag("27937", 42), "27937-TB-0042");
    }
}
