//! Agricultural data: plots (their shape, geodesic area, land use, irrigation, who holds them).

use geographiclib_rs::{Geodesic, PolygonArea, Winding};
use serde::Deserialize;

use crate::places::Boundary;

pub mod advisory;
pub mod farm;
pub mod farming;
pub mod livestock;
pub mod stats;

// The agricultural land categories of the land inventory (their codes as the cadastral maps
// write them: LUA, HNK, CLN, NTS, NKH).
vocabulary!(LandUse {
    Rice = "LUA" / "Đất trồng lúa",
    Annual = "HNK" / "Đất trồng cây hằng năm khác",
    Perennial = "CLN" / "Đất trồng cây lâu năm",
    Aquaculture = "NTS" / "Đất nuôi trồng thủy sản",
    Other = "NKH" / "Đất nông nghiệp khác",
});

vocabulary!(Irrigation {
    Canal = "canal" / "Kênh mương tự chảy",
    Pumped = "pumped" / "Bơm tưới",
    Drip = "drip" / "Tưới nhỏ giọt, phun mưa",
    Rainfed = "rainfed" / "Nhờ nước trời",
});

vocabulary!(Tenure {
    Owner = "owner" / "Chủ sử dụng",
    Tenant = "tenant" / "Thuê, mượn",
});

/// The most corners a plot may have (a field drawn on a phone has a few dozen).
pub const MAX_VERTICES: usize = 5000;

/// The area of a shape on the WGS 84 ellipsoid in m² (GeographicLib's polygon area, as
/// geographiclib-rs ports it): outer rings count, holes are taken away; the direction in which a
/// ring is drawn does not matter.
pub fn geodesic_area_m2(b: &Boundary) -> f64 {
    let g = Geodesic::wgs84();
    let ring_area = |ring: &[(f64, f64)]| {
        let mut pa = PolygonArea::new(&g, Winding::CounterClockwise);
        // GeoJSON closes a ring by repeating its first position; the polygon closes itself.
        let n = if ring.len() > 1 && ring.first() == ring.last() {
            ring.len() - 1
        } else {
            ring.len()
        };
        for (lon, lat) in &ring[..n] {
            pa.add_point(*lat, *lon);
        }
        // Signed (so a ring drawn either way gives its own area), then its size.
        pa.compute(true).1.abs()
    };
    b.polygons
        .iter()
        .map(|p| {
            let outer = p.first().map_or(0.0, |r| ring_area(r));
            let holes: f64 = p.iter().skip(1).map(|r| ring_area(r)).sum();
            (outer - holes).max(0.0)
        })
        .sum()
}

/// Checks a plot's shape (a GeoJSON Polygon or MultiPolygon): closed rings of at least four
/// positions, every corner in Vietnam, not too many corners, a real area.
pub fn check_shape(geometry: &serde_json::Value) -> Result<(Boundary, f64), String> {
    let b = Boundary::from_geojson(geometry)
        .ok_or_else(|| "the shape must be a GeoJSON Polygon or MultiPolygon".to_string())?;
    let mut corners = 0;
    for ring in b.polygons.iter().flatten() {
        if ring.len() < 4 || ring.first() != ring.last() {
            return Err("each ring must be closed and have at least four positions".into());
        }
        if ring
            .iter()
            .any(|(lon, lat)| !crate::places::in_vietnam(*lat, *lon))
        {
            return Err("every corner must be in Vietnam (longitude, latitude)".into());
        }
        corners += ring.len();
    }
    if corners > MAX_VERTICES {
        return Err(format!("a plot has at most {MAX_VERTICES} corners"));
    }
    let area = geodesic_area_m2(&b);
    if area < 1.0 {
        return Err("the shape has no area".into());
    }
    Ok((b, area))
}

/// A shape drawn on the map form (`lat,lon lat,lon …`, as the drawing script writes it) as a
/// GeoJSON Polygon, closed; its checks are [`check_shape`]'s.
pub fn polygon_from_text(s: &str) -> Result<serde_json::Value, String> {
    let wrong = || "draw the plot with at least three corners (lat,lon lat,lon …)".to_string();
    let mut ring: Vec<[f64; 2]> = Vec::new();
    for p in s.split_whitespace() {
        let (a, b) = p.split_once(',').ok_or_else(wrong)?;
        let lat: f64 = a.trim().parse().map_err(|_| wrong())?;
        let lon: f64 = b.trim().parse().map_err(|_| wrong())?;
        ring.push([lon, lat]);
    }
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    if ring.len() < 3 {
        return Err(wrong());
    }
    ring.push(ring[0]);
    Ok(serde_json::json!({"type": "Polygon", "coordinates": [ring]}))
}

/// A plot as a form or a GeoJSON feature's properties give it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlotInput {
    #[serde(default)]
    pub name: String,
    /// LUA, HNK, CLN, NTS or NKH.
    #[serde(default)]
    pub land_use: String,
    #[serde(default)]
    pub irrigation: String,
    #[serde(default)]
    pub tenure: String,
    /// Who holds it (private: never on public pages).
    #[serde(default)]
    pub holder: String,
    #[serde(default)]
    pub holder_phone: String,
    /// The village's code (`27937-01`), if known.
    #[serde(default)]
    pub village: String,
    /// The producer (a farm selling through the platform) whose plot it is: its id.
    #[serde(default)]
    pub producer: String,
    /// The farm household or organisation that works it: its id.
    #[serde(default)]
    pub farm: String,
}

/// A plot's checked fields.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotFields {
    pub name: String,
    pub land_use: LandUse,
    pub irrigation: Option<Irrigation>,
    pub tenure: Option<Tenure>,
    pub holder: String,
    pub holder_phone: String,
}

/// Checks a plot's fields: (field, problem) pairs in English.
pub fn check_plot(i: &PlotInput) -> Result<PlotFields, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let name = crate::text::clean(&i.name);
    if name.is_empty() || name.chars().count() > 120 {
        errors.push(("name", "name the plot (at most 120 characters)".into()));
    }
    let land_use = LandUse::parse(&i.land_use);
    if land_use.is_none() {
        errors.push((
            "land_use",
            "choose the land use: LUA, HNK, CLN, NTS or NKH".into(),
        ));
    }
    let optional = |s: &str| !s.trim().is_empty();
    let irrigation = Irrigation::parse(&i.irrigation);
    if optional(&i.irrigation) && irrigation.is_none() {
        errors.push(("irrigation", "choose canal, pumped, drip or rainfed".into()));
    }
    let tenure = Tenure::parse(&i.tenure);
    if optional(&i.tenure) && tenure.is_none() {
        errors.push(("tenure", "choose owner or tenant".into()));
    }
    let holder = crate::text::clean(&i.holder);
    if holder.chars().count() > 120 {
        errors.push((
            "holder",
            "the holder's name is at most 120 characters".into(),
        ));
    }
    let holder_phone = if i.holder_phone.trim().is_empty() {
        String::new()
    } else {
        match crate::places::phone_number(&i.holder_phone) {
            Some(p) => p,
            None => {
                errors.push((
                    "holder_phone",
                    "a Vietnamese phone number, e.g. 0912 345 678".into(),
                ));
                String::new()
            }
        }
    };
    match land_use {
        Some(land_use) if errors.is_empty() => Ok(PlotFields {
            name,
            land_use,
            irrigation,
            tenure,
            holder,
            holder_phone,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn areas_are_geodesic_whatever_the_winding_and_holes_are_taken_away() {
        // A square of 0.001° at 10.8° N; GeographicLib 2.1 (Python, PyPI) gives 12096.710994 m².
        let square =
            |w: f64, s: f64, d: f64| vec![(w, s), (w + d, s), (w + d, s + d), (w, s + d), (w, s)];
        let b = Boundary {
            polygons: vec![vec![square(106.45, 10.8, 0.001)]],
        };
        let a = geodesic_area_m2(&b);
        assert!((a - 12_096.710_994).abs() < 0.001, "{a}");
        let mut reversed = square(106.45, 10.8, 0.001);
        reversed.reverse();
        let r = geodesic_area_m2(&Boundary {
            polygons: vec![vec![reversed]],
        });
        assert!((a - r).abs() < 1e-6);
        let holed = Boundary {
            polygons: vec![vec![
                square(106.45, 10.8, 0.001),
                square(106.4502, 10.8002, 0.0005),
            ]],
        };
        let h = geodesic_area_m2(&holed);
        assert!((h - a * 0.75).abs() < 5.0, "{h} vs {a}");
    }

    #[test]
    fn shapes_must_be_closed_in_vietnam_and_real() {
        let poly = |ring: serde_json::Value| json!({"type": "Polygon", "coordinates": [ring]});
        assert!(check_shape(&poly(json!([
            [106.45, 10.8],
            [106.46, 10.8],
            [106.46, 10.81],
            [106.45, 10.8]
        ])))
        .is_ok());
        assert!(
            check_shape(&poly(json!([
                [106.45, 10.8],
                [106.46, 10.8],
                [106.46, 10.81]
            ])))
            .is_err(),
            "open"
        );
        assert!(
            check_shape(&poly(json!([
                [2.35, 48.85],
                [2.36, 48.85],
                [2.36, 48.86],
                [2.35, 48.85]
            ])))
            .is_err(),
            "Paris"
        );
        assert!(
            check_shape(&poly(json!([
                [106.45, 10.8],
                [106.45, 10.8],
                [106.45, 10.8],
                [106.45, 10.8]
            ])))
            .is_err(),
            "no area"
        );
        assert!(check_shape(&json!({"type": "Point", "coordinates": [106.45, 10.8]})).is_err());
    }

    #[test]
    fn a_drawn_shape_becomes_a_closed_geojson_polygon() {
        let g = polygon_from_text("10.8,106.45 10.8,106.46 10.81,106.46").unwrap();
        assert_eq!(
            g,
            json!({"type": "Polygon", "coordinates": [[[106.45, 10.8], [106.46, 10.8], [106.46, 10.81], [106.45, 10.8]]]})
        );
        assert!(check_shape(&g).is_ok());
        assert!(polygon_from_text("10.8,106.45 10.8").is_err());
        assert!(polygon_from_text("").is_err());
    }

    #[test]
    fn plot_fields_are_checked() {
        let ok = check_plot(&PlotInput {
            name: " Ruộng  bờ kênh ".into(),
            land_use: "lua".into(),
            irrigation: "canal".into(),
            holder_phone: "0912 345 678".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.name, "Ruộng bờ kênh");
        assert_eq!(ok.land_use, LandUse::Rice);
        assert_eq!(ok.holder_phone, "0912345678");
        let bad = check_plot(&PlotInput {
            land_use: "XYZ".into(),
            tenure: "lord".into(),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["name", "land_use", "tenure"]);
    }
}
