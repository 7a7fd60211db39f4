//! The day plan of a device: what a loudspeaker airs when, and what a board loops in each
//! daypart, from the programmes that reach it and the priority bulletins aimed at it.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;

use super::{Priority, Slot, Weekdays};
use crate::time::vn_offset;

/// A bulletin as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub priority: Priority,
    /// The commune's order among priority bulletins (lower first).
    pub rank: i64,
    pub approved_at: DateTime<Utc>,
    /// Audio length, or how long a board shows it.
    pub duration_ms: i64,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
}

impl Candidate {
    fn valid_at(&self, t: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|f| f <= t) && self.valid_to.is_none_or(|e| e > t)
    }
}

/// A programme as the planner sees it: its normal bulletins in their order.
#[derive(Debug, Clone, PartialEq)]
pub struct Programme {
    pub weekdays: Weekdays,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub slots: Vec<Slot>,
    pub items: Vec<Candidate>,
}

impl Programme {
    fn runs_on(&self, date: NaiveDate) -> bool {
        self.weekdays.runs_on(date)
            && self.valid_from.is_none_or(|f| f <= date)
            && self.valid_to.is_none_or(|e| e >= date)
    }
}

/// A bulletin to air at a time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Airing {
    pub item: String,
    pub start: DateTime<Utc>,
    pub duration_ms: i64,
    pub priority: Priority,
}

/// A time of day in Vietnam on a date, in UTC.
pub fn vn_instant(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    vn_offset()
        .from_local_datetime(&date.and_time(time))
        .single()
        .expect("a fixed offset has one instant per local time")
        .with_timezone(&Utc)
}

/// The slots a device has on a date, from every programme that targets it and runs that day,
/// each with the programme's normal items; in time order.
fn slots_of(date: NaiveDate, programmes: &[Programme]) -> Vec<(Slot, &[Candidate])> {
    let mut slots: Vec<(Slot, &[Candidate])> = programmes
        .iter()
        .filter(|p| p.runs_on(date))
        .flat_map(|p| p.slots.iter().map(move |s| (*s, p.items.as_slice())))
        .collect();
    slots.sort_by_key(|(s, _)| *s);
    slots
}

/// The priority bulletins for a slot starting at `at`: approved before it and valid then, in
/// the commune's order.
fn priority_for(at: DateTime<Utc>, priority: &[Candidate]) -> Vec<&Candidate> {
    let mut p: Vec<&Candidate> = priority
        .iter()
        .filter(|c| c.priority == Priority::Priority && c.approved_at <= at && c.valid_at(at))
        .collect();
    p.sort_by(|a, b| (a.rank, a.approved_at, &a.id).cmp(&(b.rank, b.approved_at, &b.id)));
    p
}

/// What a loudspeaker airs on a date. Slots that overlap (from two programmes) form one
/// sitting: the priority bulletins open it once, then each slot's normal bulletins valid at its
/// start follow, slot by slot, one after another. A bulletin that would run past its slot's end
/// is left out (and the next ones tried), and airings never overlap.
pub fn speaker_day(
    date: NaiveDate,
    programmes: &[Programme],
    priority: &[Candidate],
) -> Vec<Airing> {
    let mut sittings: Vec<Vec<(Slot, &[Candidate])>> = Vec::new();
    for (slot, items) in slots_of(date, programmes) {
        match sittings.last_mut() {
            Some(s) if s.iter().any(|(o, _)| slot.start < o.end) => s.push((slot, items)),
            _ => sittings.push(vec![(slot, items)]),
        }
    }
    let mut out: Vec<Airing> = Vec::new();
    let mut at = DateTime::<Utc>::MIN_UTC;
    for sitting in sittings {
        let opens = vn_instant(date, sitting[0].0.start);
        let closes = sitting
            .iter()
            .map(|(s, _)| vn_instant(date, s.end))
            .max()
            .unwrap_or(opens);
        at = at.max(opens);
        let mut air = |c: &Candidate, end: DateTime<Utc>, at: &mut DateTime<Utc>| {
            let length = Duration::milliseconds(c.duration_ms.max(0));
            if c.duration_ms > 0 && *at + length <= end {
                out.push(Airing {
                    item: c.id.clone(),
                    start: *at,
                    duration_ms: c.duration_ms,
                    priority: c.priority,
                });
                *at += length;
            }
        };
        for c in priority_for(opens, priority) {
            air(c, closes, &mut at);
        }
        for (slot, items) in &sitting {
            let start = vn_instant(date, slot.start);
            let end = vn_instant(date, slot.end);
            at = at.max(start);
            for c in items
                .iter()
                .filter(|c| c.priority == Priority::Normal && c.valid_at(start))
            {
                air(c, end, &mut at);
            }
        }
    }
    out
}

/// A board's daypart: from `start` to `end` it loops its bulletins, each shown for its time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Daypart {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub loop_items: Vec<(String, i64)>,
}

/// What a board shows on a date: each daypart loops the priority bulletins first, then the
/// programme's normal ones valid at its start. Dayparts that overlap (from two programmes, say
/// the commune's and one aimed at this board) become one, from the first start to the last end,
/// looping the items of both in programme order, each once.
pub fn board_day(
    date: NaiveDate,
    programmes: &[Programme],
    priority: &[Candidate],
) -> Vec<Daypart> {
    let mut groups: Vec<Vec<(Slot, &[Candidate])>> = Vec::new();
    for (slot, items) in slots_of(date, programmes) {
        match groups.last_mut() {
            Some(g) if g.iter().any(|(o, _)| slot.start < o.end) => g.push((slot, items)),
            _ => groups.push(vec![(slot, items)]),
        }
    }
    groups
        .into_iter()
        .filter_map(|g| {
            let start = vn_instant(date, g[0].0.start);
            let end = g.iter().map(|(s, _)| vn_instant(date, s.end)).max()?;
            let mut loop_items: Vec<(String, i64)> = Vec::new();
            let normal = g.iter().flat_map(|(slot, items)| {
                let at = vn_instant(date, slot.start);
                items
                    .iter()
                    .filter(move |c| c.priority == Priority::Normal && c.valid_at(at))
            });
            for c in priority_for(start, priority).into_iter().chain(normal) {
                if !loop_items.iter().any(|(id, _)| *id == c.id) {
                    loop_items.push((c.id.clone(), c.duration_ms.max(1000)));
                }
            }
            (!loop_items.is_empty()).then_some(Daypart {
                start,
                end,
                loop_items,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcast::parse_slots;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap() // a Friday
    }

    fn item(id: &str, priority: Priority, secs: i64) -> Candidate {
        Candidate {
            id: id.into(),
            priority,
            rank: 0,
            approved_at: vn_instant(day(), t(0, 0)),
            duration_ms: secs * 1000,
            valid_from: None,
            valid_to: None,
        }
    }

    fn programme(slots: &str, items: Vec<Candidate>) -> Programme {
        Programme {
            weekdays: Weekdays::EVERY_DAY,
            valid_from: None,
            valid_to: None,
            slots: parse_slots(slots).unwrap(),
            items,
        }
    }

    #[test]
    fn normal_items_air_in_order_and_what_does_not_fit_is_left_out() {
        let p = programme(
            "05:30-05:35",
            vec![
                item("a", Priority::Normal, 120),
                item("long", Priority::Normal, 200),
                item("b", Priority::Normal, 60),
            ],
        );
        let plan = speaker_day(day(), &[p], &[]);
        let ids: Vec<&str> = plan.iter().map(|a| a.item.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(plan[0].start, vn_instant(day(), t(5, 30)));
        assert_eq!(plan[0].start.to_rfc3339(), "2026-12-03T22:30:00+00:00");
        assert_eq!(plan[1].start, vn_instant(day(), t(5, 32)));
    }

    #[test]
    fn a_priority_item_waits_for_the_next_slot_then_goes_first_in_the_communes_order() {
        let p = programme(
            "05:30-06:00, 17:00-17:30",
            vec![item("news", Priority::Normal, 300)],
        );
        // Approved at 09:00: not in the morning slot, first in the evening one.
        let mut flood = item("flood-prep", Priority::Priority, 60);
        flood.approved_at = vn_instant(day(), t(9, 0));
        let mut vaccine = item("vaccine", Priority::Priority, 90);
        vaccine.approved_at = vn_instant(day(), t(10, 0));
        vaccine.rank = -1; // the commune put it first
        let plan = speaker_day(day(), &[p], &[flood, vaccine]);
        let ids: Vec<(&str, String)> = plan
            .iter()
            .map(|a| {
                (
                    a.item.as_str(),
                    a.start
                        .with_timezone(&vn_offset())
                        .format("%H:%M")
                        .to_string(),
                )
            })
            .collect();
        assert_eq!(
            ids,
            [
                ("news", "05:30".into()),
                ("vaccine", "17:00".into()),
                ("flood-prep", "17:01".into()),
                ("news", "17:02".into()),
            ]
        );
    }

    #[test]
    fn validity_weekdays_and_programme_dates_are_kept() {
        let mut old = item("old", Priority::Normal, 60);
        old.valid_to = Some(vn_instant(day(), t(5, 0)));
        let mut later = item("later", Priority::Normal, 60);
        later.valid_from = Some(vn_instant(day(), t(12, 0)));
        let p = programme("05:30-06:00, 17:00-17:30", vec![old, later]);
        let ids: Vec<String> = speaker_day(day(), std::slice::from_ref(&p), &[])
            .into_iter()
            .map(|a| a.item)
            .collect();
        assert_eq!(
            ids,
            ["later"],
            "expired before the morning, valid from noon"
        );
        let weekend = Programme {
            weekdays: Weekdays::from_vn_days(["7", "CN"]),
            ..p.clone()
        };
        assert!(speaker_day(day(), &[weekend], &[]).is_empty());
        let ended = Programme {
            valid_to: Some(day().pred_opt().unwrap()),
            ..p
        };
        assert!(speaker_day(day(), &[ended], &[]).is_empty());
    }

    #[test]
    fn airings_of_two_programmes_never_overlap() {
        let a = programme(
            "05:30-05:40",
            vec![
                item("a1", Priority::Normal, 300),
                item("a2", Priority::Normal, 240),
            ],
        );
        let b = programme("05:35-05:45", vec![item("b1", Priority::Normal, 120)]);
        let plan = speaker_day(day(), &[a, b], &[]);
        for w in plan.windows(2) {
            assert!(
                w[0].start + Duration::milliseconds(w[0].duration_ms) <= w[1].start,
                "{plan:?}"
            );
        }
        let ids: Vec<&str> = plan.iter().map(|a| a.item.as_str()).collect();
        assert_eq!(ids, ["a1", "a2", "b1"]);
    }

    #[test]
    fn programmes_sharing_a_slot_air_a_priority_bulletin_once() {
        let a = programme("17:00-17:30", vec![item("a", Priority::Normal, 60)]);
        let b = programme("17:00-17:30", vec![item("b", Priority::Normal, 60)]);
        let urgent = item("urgent", Priority::Priority, 30);
        let ids: Vec<String> = speaker_day(day(), &[a, b], &[urgent])
            .into_iter()
            .map(|a| a.item)
            .collect();
        assert_eq!(ids, ["urgent", "a", "b"]);
    }

    #[test]
    fn boards_loop_their_daypart_with_priority_first_and_overlapping_dayparts_merge() {
        let day_part = programme("06:00-12:00", vec![item("notice", Priority::Normal, 10)]);
        let evening = programme("11:00-22:00", vec![item("market", Priority::Normal, 15)]);
        let urgent = item("water-cut", Priority::Priority, 20);
        let late = programme("22:00-23:00", vec![item("night", Priority::Normal, 10)]);
        let parts = board_day(day(), &[day_part, evening, late], &[urgent]);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0].loop_items,
            [
                ("water-cut".to_string(), 20_000),
                ("notice".to_string(), 10_000),
                ("market".to_string(), 15_000)
            ],
            "overlapping dayparts loop together"
        );
        assert_eq!(parts[0].start, vn_instant(day(), t(6, 0)));
        assert_eq!(parts[0].end, vn_instant(day(), t(22, 0)));
        assert_eq!(parts[1].loop_items[0].0, "water-cut");
    }
}
