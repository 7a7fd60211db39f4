//! Places: households, agencies, relics, schools … each with a position, a Plus Code and the
//! unit it belongs to. Contacts stay private; a household's name shows publicly only with its
//! consent.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{pluscode, text};

/// What a place is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    Household,
    Agency,
    Organisation,
    Business,
    Relic,
    School,
    Health,
    Market,
    Wifi,
    Other,
}

impl PlaceKind {
    pub const ALL: [PlaceKind; 10] = [
        PlaceKind::Household,
        PlaceKind::Agency,
        PlaceKind::Organisation,
        PlaceKind::Business,
        PlaceKind::Relic,
        PlaceKind::School,
        PlaceKind::Health,
        PlaceKind::Market,
        PlaceKind::Wifi,
        PlaceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Household => "household",
            PlaceKind::Agency => "agency",
            PlaceKind::Organisation => "organisation",
            PlaceKind::Business => "business",
            PlaceKind::Relic => "relic",
            PlaceKind::School => "school",
            PlaceKind::Health => "health",
            PlaceKind::Market => "market",
            PlaceKind::Wifi => "wifi",
            PlaceKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<PlaceKind> {
        PlaceKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// Whether a place is in use. A retired place keeps its codes; its page says it is retired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlaceStatus {
    Active,
    Retired,
}

impl PlaceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceStatus::Active => "active",
            PlaceStatus::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<PlaceStatus> {
        match s.trim() {
            "active" => Some(PlaceStatus::Active),
            "retired" => Some(PlaceStatus::Retired),
            _ => None,
        }
    }
}

/// Vietnam's mainland and islands (Hoàng Sa and Trường Sa included), generously: a point outside
/// this box is a typo or swapped coordinates.
pub const VIETNAM_BOX: (f64, f64, f64, f64) = (6.0, 102.0, 23.6, 117.9);

/// Whether a point lies in the box around Vietnam.
pub fn in_vietnam(lat: f64, lng: f64) -> bool {
    let (s, w, n, e) = VIETNAM_BOX;
    (s..=n).contains(&lat) && (w..=e).contains(&lng)
}

/// Size of a grid cell for nearest-place queries, in degrees (about 110 m north–south): small
/// enough that a dense village has a few dozen places per cell.
pub const CELL_DEGREES: f64 = 0.001;
/// Cells in one row of the grid (360° / CELL_DEGREES, rounded up).
pub const CELLS_PER_ROW: i64 = 400_000;

/// The grid cell of a point: a single integer, so "places in these cells" is an index lookup
/// on both engines.
pub fn cell_of(lat: f64, lng: f64) -> i64 {
    let (row, col) = cell_rc(lat, lng);
    row * CELLS_PER_ROW + col
}

/// Row and column of a point's cell.
pub fn cell_rc(lat: f64, lng: f64) -> (i64, i64) {
    (
        ((lat + 90.0) / CELL_DEGREES).floor() as i64,
        ((lng + 180.0) / CELL_DEGREES).floor() as i64,
    )
}

/// The cells on the square ring `r` cells away from (row, col): ring 0 is the cell itself.
pub fn ring(row: i64, col: i64, r: i64) -> Vec<i64> {
    if r == 0 {
        return vec![row * CELLS_PER_ROW + col];
    }
    let mut out = Vec::with_capacity((8 * r) as usize);
    for dc in -r..=r {
        out.push((row - r) * CELLS_PER_ROW + col + dc);
        out.push((row + r) * CELLS_PER_ROW + col + dc);
    }
    for dr in (-r + 1)..r {
        out.push((row + dr) * CELLS_PER_ROW + col - r);
        out.push((row + dr) * CELLS_PER_ROW + col + r);
    }
    out
}

/// Great-circle distance in metres (haversine; plenty for a commune).
pub fn distance_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lng2 - lng1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * a.sqrt().asin()
}

/// The smallest distance from a point to anything outside the `r` rings around its cell: a
/// lower bound, so once K places are closer than this the search can stop.
pub fn ring_reach_m(lat: f64, r: i64) -> f64 {
    // A cell is CELL_DEGREES tall and CELL_DEGREES × cos(lat) wide in metres; be conservative.
    let deg = CELL_DEGREES * r as f64;
    deg * 111_000.0 * lat.to_radians().cos().min(1.0)
}

/// A place as typed into a form or sent to the API, before it is checked.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PlaceInput {
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The VNPost digital address (Vpostcode) as issued, if any.
    #[serde(default)]
    pub vpostcode: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    /// For households: whether the household agreed to show its name on public pages.
    #[serde(default)]
    pub public_name: bool,
    /// 11 digits (about 3 m) instead of 10 (about 14 m).
    #[serde(default)]
    pub precise_code: bool,
    /// The position is a stand-in (e.g. the commune's centre) until someone measures it.
    #[serde(default)]
    pub approximate: bool,
}

/// A checked place: clean text, a known kind, a position in Vietnam, its Plus Code.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlace {
    pub kind: PlaceKind,
    pub name: String,
    pub address: String,
    pub latitude: f64,
    pub longitude: f64,
    pub plus_code: String,
    pub vpostcode: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub public_name: bool,
    pub approximate: bool,
}

/// What is wrong with one field of a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub detail: &'static str,
}

/// A phone number as people type it, without spaces, dots or dashes: 9 to 12 digits, with an
/// optional leading +. `Some("")` for an empty field, `None` for something else.
pub fn phone_number(input: &str) -> Option<String> {
    let phone: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
        .collect();
    let digits = phone.strip_prefix('+').unwrap_or(&phone);
    let ok = (9..=12).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit());
    (phone.is_empty() || ok).then_some(phone)
}

fn opt(s: &str) -> Option<String> {
    let c = text::clean(s);
    (!c.is_empty()).then_some(c)
}

impl PlaceInput {
    /// Checks every field and reports every problem at once.
    pub fn check(&self) -> Result<NewPlace, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut bad = |field, detail| problems.push(FieldProblem { field, detail });
        let kind = PlaceKind::parse(&self.kind);
        if kind.is_none() {
            bad("kind", "choose what kind of place this is");
        }
        let name = text::clean(&self.name);
        if name.is_empty() {
            bad("name", "the place needs a name");
        } else if name.chars().count() > 200 {
            bad("name", "the name is longer than 200 characters");
        }
        let address = text::clean(&self.address);
        if address.chars().count() > 300 {
            bad("address", "the address is longer than 300 characters");
        }
        let (lat, lng) = match (self.latitude, self.longitude) {
            (Some(a), Some(o)) if a.is_finite() && o.is_finite() => (a, o),
            _ => {
                bad("position", "give the position: latitude and longitude");
                (f64::NAN, f64::NAN)
            }
        };
        if lat.is_finite() && !in_vietnam(lat, lng) {
            bad(
                "position",
                "the position is outside Vietnam (latitude and longitude swapped?)",
            );
        }
        let vpostcode = opt(&self.vpostcode).map(|v| v.to_uppercase());
        if vpostcode.as_deref().is_some_and(|v| {
            v.len() > 20 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }) {
            bad(
                "vpostcode",
                "the Vpostcode has letters and digits only, as issued",
            );
        }
        let phone = phone_number(&self.contact_phone).unwrap_or_else(|| {
            bad("contact_phone", "the phone number has 9 to 12 digits");
            String::new()
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        let length = if self.precise_code {
            11
        } else {
            pluscode::DEFAULT_LENGTH
        };
        let plus_code = pluscode::encode(lat, lng, length).expect("a valid length");
        Ok(NewPlace {
            kind: kind.expect("checked"),
            name,
            address,
            latitude: lat,
            longitude: lng,
            plus_code,
            vpostcode,
            contact_name: opt(&self.contact_name),
            contact_phone: (!phone.is_empty()).then_some(phone),
            public_name: self.public_name,
            approximate: self.approximate,
        })
    }
}

/// A boundary: polygons of rings of (longitude, latitude), as GeoJSON writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    pub polygons: Vec<Vec<Vec<(f64, f64)>>>,
}

impl Boundary {
    /// Reads a GeoJSON Polygon or MultiPolygon geometry.
    pub fn from_geojson(geometry: &serde_json::Value) -> Option<Boundary> {
        let ring = |r: &serde_json::Value| -> Option<Vec<(f64, f64)>> {
            r.as_array()?
                .iter()
                .map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                .collect()
        };
        let polygon = |p: &serde_json::Value| -> Option<Vec<Vec<(f64, f64)>>> {
            p.as_array()?.iter().map(ring).collect()
        };
        let coords = geometry.get("coordinates")?;
        let polygons = match geometry.get("type")?.as_str()? {
            "Polygon" => vec![polygon(coords)?],
            "MultiPolygon" => coords
                .as_array()?
                .iter()
                .map(polygon)
                .collect::<Option<_>>()?,
            _ => return None,
        };
        (!polygons.is_empty()).then_some(Boundary { polygons })
    }

    /// Whether the point is inside (outer ring in, holes out), by ray casting.
    pub fn contains(&self, lat: f64, lng: f64) -> bool {
        fn inside(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
            let mut c = false;
            let n = ring.len();
            for i in 0..n {
                let (xi, yi) = ring[i];
                let (xj, yj) = ring[(i + n - 1) % n];
                if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                    c = !c;
                }
            }
            c
        }
        self.polygons.iter().any(|p| {
            p.first().is_some_and(|outer| inside(outer, lng, lat))
                && !p.iter().skip(1).any(|hole| inside(hole, lng, lat))
        })
    }

    /// A reference point: the centre of the largest polygon's outer ring (area-weighted),
    /// moved to the bounding box centre when that falls outside.
    pub fn centre(&self) -> (f64, f64) {
        let mut best = (0.0_f64, 0.0, 0.0);
        for p in &self.polygons {
            let Some(r) = p.first() else { continue };
            let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
            for i in 0..r.len() {
                let (x0, y0) = r[i];
                let (x1, y1) = r[(i + 1) % r.len()];
                let cross = x0 * y1 - x1 * y0;
                a += cross;
                cx += (x0 + x1) * cross;
                cy += (y0 + y1) * cross;
            }
            if a.abs() > best.0.abs() {
                best = (a, cx / (3.0 * a), cy / (3.0 * a));
            }
        }
        let (lat, lng) = (best.2, best.1);
        if self.contains(lat, lng) {
            (lat, lng)
        } else {
            let (s, w, n, e) = self.bbox();
            ((s + n) / 2.0, (w + e) / 2.0)
        }
    }

    /// South, west, north, east.
    pub fn bbox(&self) -> (f64, f64, f64, f64) {
        let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (x, y) in self.polygons.iter().flatten().flatten() {
            b = (b.0.min(*y), b.1.min(*x), b.2.max(*y), b.3.max(*x));
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PlaceInput {
        PlaceInput {
            kind: "household".into(),
            name: "  Nhà ông  Năm ".into(),
            latitude: Some(10.8825),
            longitude: Some(106.4245),
            ..Default::default()
        }
    }

    #[test]
    fn a_place_is_checked_and_coded() {
        let p = input().check().unwrap();
        assert_eq!(p.name, "Nhà ông Năm");
        assert_eq!(p.plus_code.len(), 11);
        assert!(crate::pluscode::decode(&p.plus_code)
            .unwrap()
            .contains(10.8825, 106.4245));
        let precise = PlaceInput {
            precise_code: true,
            ..input()
        };
        assert_eq!(precise.check().unwrap().plus_code.len(), 12);
    }

    #[test]
    fn every_problem_is_named() {
        let bad = PlaceInput {
            kind: "castle".into(),
            name: " ".into(),
            latitude: Some(106.4),
            longitude: Some(10.8),
            contact_phone: "12ab".into(),
            ..Default::default()
        };
        let fields: Vec<&str> = bad.check().unwrap_err().iter().map(|p| p.field).collect();
        assert_eq!(fields, ["kind", "name", "position", "contact_phone"]);
    }

    #[test]
    fn rings_cover_the_square_once() {
        let (r, c) = cell_rc(10.88, 106.42);
        let mut all: Vec<i64> = (0..=3).flat_map(|k| ring(r, c, k)).collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(n, 49);
        assert_eq!(all.len(), 49);
    }

    #[test]
    fn a_boundary_holds_what_is_inside() {
        let g = serde_json::json!({"type": "Polygon", "coordinates": [
            [[106.0, 10.0], [107.0, 10.0], [107.0, 11.0], [106.0, 11.0], [106.0, 10.0]],
            [[106.4, 10.4], [106.6, 10.4], [106.6, 10.6], [106.4, 10.6], [106.4, 10.4]]
        ]});
        let b = Boundary::from_geojson(&g).unwrap();
        assert!(b.contains(10.2, 106.2));
        assert!(!b.contains(10.5, 106.5), "in the hole");
        assert!(!b.contains(11.5, 106.5));
        let (lat, lng) = b.centre();
        assert!((lat - 10.5).abs() < 1e-9 && (lng - 106.5).abs() < 1e-9 || b.contains(lat, lng));
    }
}
