//! The commune's digital-transformation (DT) programme: community digital technology teams
//! (tổ công nghệ số cộng đồng), training sessions and the help teams give households. The rules
//! here turn what people type into checked values; nothing does I/O.

pub mod plan;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::places::{phone_number, FieldProblem};
use crate::text;

/// A member's place in the team (guidance 793/BTTTT-THH: the village head leads, with at least
/// two members).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Tổ trưởng.
    Leader,
    /// Tổ phó.
    Deputy,
    /// Thành viên.
    Member,
}

pub const MEMBER_ROLES: &[MemberRole] =
    &[MemberRole::Leader, MemberRole::Deputy, MemberRole::Member];

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Leader => "leader",
            MemberRole::Deputy => "deputy",
            MemberRole::Member => "member",
        }
    }

    /// The Vietnamese word, as lists and spreadsheets print it.
    pub fn name_vi(self) -> &'static str {
        match self {
            MemberRole::Leader => "Tổ trưởng",
            MemberRole::Deputy => "Tổ phó",
            MemberRole::Member => "Thành viên",
        }
    }

    /// Reads a role as code (`leader`) or as people write it ("Tổ trưởng", "to pho").
    pub fn parse(s: &str) -> Option<MemberRole> {
        let key = text::fold(s);
        MEMBER_ROLES
            .iter()
            .copied()
            .find(|r| key == r.as_str() || key == text::fold(r.name_vi()))
    }
}

/// Who a course is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Members of the community digital teams (and the steering committee).
    Members,
    /// Citizens of the commune.
    Citizens,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Members => "members",
            Audience::Citizens => "citizens",
        }
    }

    pub fn parse(s: &str) -> Option<Audience> {
        match s.trim() {
            "members" => Some(Audience::Members),
            "citizens" => Some(Audience::Citizens),
            _ => None,
        }
    }
}

/// How an attendance was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The participant scanned the session's code and confirmed on their phone.
    Scan,
    /// The trainer ticked a roster.
    Roster,
    /// From an uploaded spreadsheet.
    Xlsx,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Scan => "scan",
            Method::Roster => "roster",
            Method::Xlsx => "xlsx",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        [Method::Scan, Method::Roster, Method::Xlsx]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// The services a team helps people with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Kích hoạt VNeID.
    Vneid,
    /// Nộp hồ sơ dịch vụ công trực tuyến.
    PublicService,
    /// Mở tài khoản thanh toán không dùng tiền mặt.
    Cashless,
    /// Đưa sản phẩm lên sàn thương mại điện tử.
    Ecommerce,
    /// Quan tâm Zalo OA của xã.
    ZaloOa,
    /// Cảnh báo lừa đảo.
    ScamWarning,
    Other,
}

pub const SERVICES: &[Service] = &[
    Service::Vneid,
    Service::PublicService,
    Service::Cashless,
    Service::Ecommerce,
    Service::ZaloOa,
    Service::ScamWarning,
    Service::Other,
];

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Vneid => "vneid",
            Service::PublicService => "public_service",
            Service::Cashless => "cashless",
            Service::Ecommerce => "ecommerce",
            Service::ZaloOa => "zalo_oa",
            Service::ScamWarning => "scam_warning",
            Service::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Service> {
        SERVICES.iter().copied().find(|x| x.as_str() == s.trim())
    }
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

/// A team member as typed in a form or a spreadsheet row.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct MemberInput {
    pub name: String,
    /// leader, deputy or member (or the Vietnamese words).
    pub role: String,
    #[serde(default)]
    pub phone: String,
    /// Other contacts (Zalo, e-mail), private like the phone.
    #[serde(default)]
    pub contact: String,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub joined_on: String,
    #[serde(default)]
    pub left_on: String,
}

fn yes() -> bool {
    true
}

/// A checked member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub name: String,
    pub role: MemberRole,
    pub phone: Option<String>,
    pub contact: String,
    pub active: bool,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

impl MemberInput {
    /// Checks every field and reports every problem at once.
    pub fn check(&self) -> Result<NewMember, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let name = text::clean(&self.name);
        if name.is_empty() {
            problems.push(FieldProblem {
                field: "name",
                detail: "the member needs a name",
            });
        } else if name.chars().count() > 120 {
            problems.push(FieldProblem {
                field: "name",
                detail: "a name is at most 120 characters",
            });
        }
        let role = MemberRole::parse(&self.role);
        if role.is_none() {
            problems.push(FieldProblem {
                field: "role",
                detail:
                    "the role must be leader (tổ trưởng), deputy (tổ phó) or member (thành viên)",
            });
        }
        let phone = phone_number(&self.phone);
        if phone.is_none() {
            problems.push(FieldProblem {
                field: "phone",
                detail: "a phone number has 9 to 12 digits",
            });
        }
        let contact = text::clean(&self.contact);
        if contact.chars().count() > 200 {
            problems.push(FieldProblem {
                field: "contact",
                detail: "other contacts are at most 200 characters",
            });
        }
        let joined_on = opt_date(&self.joined_on, "joined_on", &mut problems);
        let left_on = opt_date(&self.left_on, "left_on", &mut problems);
        if let (Some(j), Some(l)) = (joined_on, left_on) {
            if l < j {
                problems.push(FieldProblem {
                    field: "left_on",
                    detail: "a member cannot leave before joining",
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewMember {
            name,
            role: role.expect("checked"),
            phone: phone.filter(|p| !p.is_empty()),
            contact,
            // Someone who has left is no longer active, whatever the box said.
            active: self.active && left_on.is_none(),
            joined_on,
            left_on,
        })
    }
}

/// A training session as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SessionInput {
    /// dd/mm/yyyy or yyyy-mm-dd.
    pub day: String,
    /// HH:MM
    pub starts: String,
    /// HH:MM
    pub ends: String,
    #[serde(default)]
    pub place_note: String,
    #[serde(default)]
    pub trainer: String,
    /// Seats; 1 to 2,000.
    pub capacity: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub day: NaiveDate,
    pub starts: NaiveTime,
    pub ends: NaiveTime,
    pub place_note: String,
    pub trainer: String,
    pub capacity: i64,
}

/// Most seats of one session (a commune hall rarely holds more than a few hundred).
pub const MAX_CAPACITY: i64 = 2000;

fn time_of(s: &str) -> Option<NaiveTime> {
    let s = s.trim().replace('h', ":");
    let s = if s.ends_with(':') {
        format!("{s}00")
    } else {
        s
    };
    NaiveTime::parse_from_str(&s, "%H:%M").ok()
}

impl SessionInput {
    pub fn check(&self) -> Result<NewSession, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let day = crate::time::parse_date(&self.day);
        if day.is_none() {
            problems.push(FieldProblem {
                field: "day",
                detail: "write the date as dd/mm/yyyy",
            });
        }
        let starts = time_of(&self.starts);
        let ends = time_of(&self.ends);
        if starts.is_none() {
            problems.push(FieldProblem {
                field: "starts",
                detail: "write the time as HH:MM",
            });
        }
        if ends.is_none() {
            problems.push(FieldProblem {
                field: "ends",
                detail: "write the time as HH:MM",
            });
        }
        if let (Some(s), Some(e)) = (starts, ends) {
            if e <= s {
                problems.push(FieldProblem {
                    field: "ends",
                    detail: "a session ends after it starts",
                });
            }
        }
        let capacity = self.capacity.trim().parse::<i64>().ok();
        if !capacity.is_some_and(|c| (1..=MAX_CAPACITY).contains(&c)) {
            problems.push(FieldProblem {
                field: "capacity",
                detail: "the number of seats is a whole number from 1 to 2000",
            });
        }
        let place_note = text::clean(&self.place_note);
        let trainer = text::clean(&self.trainer);
        if place_note.chars().count() > 200 || trainer.chars().count() > 200 {
            problems.push(FieldProblem {
                field: "trainer",
                detail: "the trainer and the place are at most 200 characters each",
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewSession {
            day: day.expect("checked"),
            starts: starts.expect("checked"),
            ends: ends.expect("checked"),
            place_note,
            trainer,
            capacity: capacity.expect("checked"),
        })
    }
}

/// The key that makes one person one attendance per session: a member by id, anyone else by
/// their folded name and phone (a phone is what tells two Nguyễn Văn An apart).
pub fn person_key(member_id: Option<&str>, name: &str, phone: Option<&str>) -> String {
    match member_id {
        Some(id) => format!("m:{id}"),
        None => format!("p:{}|{}", text::fold(name), phone.unwrap_or("")),
    }
}

/// A name as a certificate's public page may show it: initials only ("Nguyễn Văn An" →
/// "N. V. A."), enough to compare with the paper in hand, not enough to learn who was trained.
pub fn initials(name: &str) -> String {
    text::clean(name)
        .split(' ')
        .filter_map(|w| w.chars().next())
        .flat_map(|c| c.to_uppercase())
        .map(|c| format!("{c}."))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_as_people_write_them() {
        assert_eq!(MemberRole::parse("Tổ trưởng"), Some(MemberRole::Leader));
        assert_eq!(MemberRole::parse("to pho"), Some(MemberRole::Deputy));
        assert_eq!(MemberRole::parse(" THÀNH VIÊN "), Some(MemberRole::Member));
        assert_eq!(MemberRole::parse("leader"), Some(MemberRole::Leader));
        assert_eq!(MemberRole::parse("trưởng ấp"), None);
    }

    #[test]
    fn a_member_is_checked_field_by_field() {
        let ok = MemberInput {
            name: "  Nguyễn   Văn An ".into(),
            role: "Tổ phó".into(),
            phone: "0912 345 678".into(),
            active: true,
            joined_on: "05/03/2022".into(),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(ok.name, "Nguyễn Văn An");
        assert_eq!(ok.phone.as_deref(), Some("0912345678"));
        assert_eq!(ok.joined_on, NaiveDate::from_ymd_opt(2022, 3, 5));
        let bad = MemberInput {
            name: "".into(),
            role: "chủ tịch".into(),
            phone: "12".into(),
            joined_on: "2024-05-01".into(),
            left_on: "2023-01-01".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["name", "role", "phone", "left_on"]);
        let left = MemberInput {
            name: "Lê Thị Bình".into(),
            role: "member".into(),
            active: true,
            left_on: "01/01/2025".into(),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert!(!left.active, "a member who left is not active");
    }

    #[test]
    fn sessions_need_a_day_a_span_and_seats() {
        let s = SessionInput {
            day: "15/05/2024".into(),
            starts: "7h30".into(),
            ends: "11:00".into(),
            capacity: "60".into(),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(s.starts, NaiveTime::from_hms_opt(7, 30, 0).unwrap());
        let bad = SessionInput {
            day: "hôm nay".into(),
            starts: "14:00".into(),
            ends: "13:00".into(),
            capacity: "0".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["day", "ends", "capacity"]);
    }

    #[test]
    fn people_are_keyed_once_and_shown_by_initials() {
        assert_eq!(person_key(Some("x"), "An", None), "m:x");
        assert_eq!(
            person_key(None, "Nguyễn Văn  An", Some("0912345678")),
            person_key(None, "nguyen van an", Some("0912345678"))
        );
        assert_eq!(initials("Nguyễn Văn Ánh"), "N. V. Á.");
        assert_eq!(initials("đặng thị"), "Đ. T.");
    }
}
