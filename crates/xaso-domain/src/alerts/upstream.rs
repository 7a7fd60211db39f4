//! Alerts from an upstream CAP feed (a province's or a national agency's): which of our
//! communes a message's areas cover, and what kind of hazard it is in our terms.

use crate::places::Boundary;
use crate::text::fold;

use super::Hazard;

/// One `<area>` of a CAP message. Polygons and circles as CAP writes them: latitude first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CapArea {
    pub desc: String,
    /// Rings of (latitude, longitude).
    pub polygons: Vec<Vec<(f64, f64)>>,
    /// (latitude, longitude, radius in km).
    pub circles: Vec<(f64, f64, f64)>,
    /// (valueName, value)
    pub geocodes: Vec<(String, String)>,
}

/// What is known of a commune to match an area against.
#[derive(Debug, Clone)]
pub struct Place<'a> {
    /// Its GSO code.
    pub code: &'a str,
    /// Its names to look for in an area's description ("Xã Đức Hòa", "Đức Hòa"), and those of
    /// the units above it (a message for "Tỉnh Tây Ninh" covers every commune of it).
    pub names: Vec<&'a str>,
    pub boundary: Option<&'a Boundary>,
}

/// Reads a CAP polygon (`lat,lon lat,lon …`) or circle (`lat,lon radius`).
pub fn parse_polygon(s: &str) -> Option<Vec<(f64, f64)>> {
    let ring: Option<Vec<(f64, f64)>> = s
        .split_whitespace()
        .map(|p| {
            let (a, b) = p.split_once(',')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        })
        .collect();
    ring.filter(|r| r.len() >= 4)
}

pub fn parse_circle(s: &str) -> Option<(f64, f64, f64)> {
    let (centre, radius) = s.trim().split_once(char::is_whitespace)?;
    let (a, b) = centre.split_once(',')?;
    Some((
        a.trim().parse().ok()?,
        b.trim().parse().ok()?,
        radius.trim().parse().ok()?,
    ))
}

/// Whether a point is inside a polygon of (latitude, longitude), by ray casting.
pub fn in_polygon(ring: &[(f64, f64)], lat: f64, lon: f64) -> bool {
    let mut c = false;
    let n = ring.len();
    for i in 0..n {
        let (yi, xi) = ring[i];
        let (yj, xj) = ring[(i + n - 1) % n];
        if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
            c = !c;
        }
    }
    c
}

/// Whether a description names the place: one of its parts (split at `;` and `,`) is one of
/// the place's names, diacritics and case aside ("Xã Đức Hòa" does not match "Xã Đức Hòa Hạ").
fn named(desc: &str, names: &[&str]) -> bool {
    let names: Vec<String> = names
        .iter()
        .map(|n| fold(n))
        .filter(|n| !n.is_empty())
        .collect();
    desc.split([';', ','])
        .map(|p| fold(p.trim()))
        .any(|p| names.contains(&p))
}

/// Whether a CAP area covers the place: a geocode with its code, a description naming it, or a
/// polygon or circle reaching its boundary (a vertex of one inside the other).
pub fn covers(area: &CapArea, place: &Place<'_>) -> bool {
    if area.geocodes.iter().any(|(_, v)| v.trim() == place.code) {
        return true;
    }
    if named(&area.desc, &place.names) {
        return true;
    }
    let Some(b) = place.boundary else {
        return false;
    };
    let vertices = || b.polygons.iter().flatten().flatten();
    for ring in &area.polygons {
        if ring.iter().any(|(lat, lon)| b.contains(*lat, *lon))
            || vertices().any(|(lon, lat)| in_polygon(ring, *lat, *lon))
        {
            return true;
        }
    }
    area.circles.iter().any(|(lat, lon, km)| {
        b.contains(*lat, *lon)
            || vertices().any(|(vlon, vlat)| {
                crate::places::distance_m(*lat, *lon, *vlat, *vlon) <= km * 1000.0
            })
    })
}

/// Our hazard for a CAP message: by the words of its event (Vietnamese, with its tones: "bão"
/// is a storm, "báo" a notice; or English), else by its category.
pub fn hazard_of(event: &str, categories: &[String]) -> Hazard {
    let text = crate::text::nfc(&event.to_lowercase());
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let joined = format!(" {} ", words.join(" "));
    let has = |phrases: &[&str]| phrases.iter().any(|p| joined.contains(&format!(" {p} ")));
    if has(&["sạt lở", "lũ quét", "landslide", "flash flood"]) {
        Hazard::Landslide
    } else if has(&["lũ", "lụt", "ngập", "triều cường", "flood", "flooding"]) {
        Hazard::Flood
    } else if has(&[
        "bão",
        "áp thấp",
        "giông",
        "lốc",
        "storm",
        "typhoon",
        "cyclone",
        "thunderstorm",
    ]) {
        Hazard::Storm
    } else if has(&["hạn hán", "drought"]) {
        Hazard::Drought
    } else if has(&["mặn", "salinity", "saline"]) {
        Hazard::Saline
    } else if has(&["cháy", "nổ", "fire", "wildfire"]) {
        Hazard::Fire
    } else if has(&["dịch", "epidemic", "disease", "outbreak"]) {
        Hazard::Epidemic
    } else {
        match categories.first().map(String::as_str) {
            Some("Met") => Hazard::Storm,
            Some("Geo") => Hazard::Flood,
            Some("Fire") => Hazard::Fire,
            Some("Health") => Hazard::Epidemic,
            Some("CBRNE") => Hazard::Chemical,
            Some("Security") | Some("Safety") => Hazard::Security,
            Some("Env") => Hazard::Saline,
            _ => Hazard::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lon: f64, lat: f64, d: f64) -> Boundary {
        Boundary {
            polygons: vec![vec![vec![
                (lon, lat),
                (lon + d, lat),
                (lon + d, lat + d),
                (lon, lat + d),
                (lon, lat),
            ]]],
        }
    }

    #[test]
    fn areas_cover_by_code_by_name_and_by_shape() {
        let b = square(106.40, 10.88, 0.05);
        let place = Place {
            code: "27937",
            names: vec!["Xã Đức Hòa", "Đức Hòa", "Tỉnh Tây Ninh"],
            boundary: Some(&b),
        };
        let area = |f: &dyn Fn(&mut CapArea)| {
            let mut a = CapArea::default();
            f(&mut a);
            a
        };
        assert!(covers(
            &area(&|a| a.geocodes.push(("GSO".into(), "27937".into()))),
            &place
        ));
        assert!(covers(
            &area(&|a| a.desc = "xã Đức Hoà; xã Hậu Nghĩa".into()),
            &place
        ));
        assert!(
            covers(&area(&|a| a.desc = "TỈNH TÂY NINH".into()), &place),
            "its province"
        );
        assert!(
            !covers(&area(&|a| a.desc = "Xã Đức Hòa Hạ".into()), &place),
            "another commune"
        );
        // A polygon around a corner of the commune, one inside it, one far away.
        let corner =
            parse_polygon("10.87,106.39 10.87,106.41 10.89,106.41 10.89,106.39 10.87,106.39")
                .unwrap();
        assert!(covers(&area(&|a| a.polygons.push(corner.clone())), &place));
        let big = parse_polygon("10.0,106.0 10.0,107.0 11.5,107.0 11.5,106.0 10.0,106.0").unwrap();
        assert!(
            covers(&area(&|a| a.polygons.push(big.clone())), &place),
            "all around it"
        );
        let far = parse_polygon("21.0,105.8 21.0,105.9 21.1,105.9 21.1,105.8 21.0,105.8").unwrap();
        assert!(!covers(&area(&|a| a.polygons.push(far.clone())), &place));
        // A 3 km circle centred 2 km west of its edge reaches it; a 1 km one does not.
        let west = 106.40 - 2.0 / 109.3;
        assert!(covers(
            &area(&|a| a.circles.push((10.9, west, 3.0))),
            &place
        ));
        assert!(!covers(
            &area(&|a| a.circles.push((10.9, west, 1.0))),
            &place
        ));
        assert_eq!(parse_circle("10.9,106.38 3"), Some((10.9, 106.38, 3.0)));
        assert_eq!(parse_polygon("10.9,106.3 10.8"), None);
    }

    #[test]
    fn hazards_are_read_from_the_event_or_the_category() {
        assert_eq!(
            hazard_of("Cảnh báo lũ trên sông Vàm Cỏ Đông", &[]),
            Hazard::Flood
        );
        assert_eq!(hazard_of("Tin bão số 3", &[]), Hazard::Storm);
        assert_eq!(hazard_of("Cảnh báo sạt lở đất", &[]), Hazard::Landslide);
        assert_eq!(hazard_of("Xâm nhập mặn", &[]), Hazard::Saline);
        assert_eq!(hazard_of("Severe thunderstorm warning", &[]), Hazard::Storm);
        assert_eq!(hazard_of("Cảnh báo", &["Health".into()]), Hazard::Epidemic);
        assert_eq!(hazard_of("Thông báo", &[]), Hazard::Other, "báo is not bão");
        assert_eq!(hazard_of("Cảnh báo lũ quét", &[]), Hazard::Landslide);
    }
}
