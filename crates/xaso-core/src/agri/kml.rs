//! Plots from a KML file (Google Earth, phone GPS apps, the land office's exports): each
//! Placemark with a Polygon (or a MultiGeometry of them) becomes a GeoJSON feature named after
//! the Placemark, ready for [`super::create`], which checks it like any other plot.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{json, Value};

/// The largest KML file read (a commune's plots with their corners).
pub const MAX_BYTES: usize = 20 * 1024 * 1024;

use crate::xml::{local, reference};

/// `lon,lat[,alt] lon,lat[,alt] …` as GeoJSON positions.
fn ring(text: &str, placemark: usize) -> Result<Vec<[f64; 2]>, String> {
    text.split_whitespace()
        .map(|t| {
            let mut it = t.split(',');
            match (
                it.next().and_then(|v| v.parse::<f64>().ok()),
                it.next().and_then(|v| v.parse::<f64>().ok()),
            ) {
                (Some(lon), Some(lat)) => Ok([lon, lat]),
                _ => Err(format!(
                    "placemark {placemark}: coordinates are longitude,latitude[,altitude]"
                )),
            }
        })
        .collect()
}

/// A plot read from KML: the Placemark's number in the file (from 1, counting every Placemark),
/// its name and its shape as GeoJSON.
pub type KmlPlot = (usize, String, Value);

/// Reads the plots of a KML document, one per Placemark with polygons.
/// Placemarks without a polygon (points, paths) are skipped; a polygon whose coordinates cannot
/// be read is an error naming its Placemark (counted from 1).
pub fn read(bytes: &[u8]) -> Result<Vec<KmlPlot>, String> {
    if bytes.len() > MAX_BYTES {
        return Err("the KML file is larger than 20 MB".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "the KML file is not UTF-8 text")?;
    let mut r = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut out = Vec::new();
    let mut placemarks = 0;
    // The current Placemark's name and polygons (each: outer ring, holes).
    let mut name = String::new();
    let mut polygons: Vec<Vec<Vec<[f64; 2]>>> = Vec::new();
    let mut seen_kml = false;
    loop {
        match r.read_event().map_err(|e| format!("not a KML file: {e}"))? {
            Event::Start(e) => {
                let n = local(e.name().0);
                match n.as_str() {
                    "kml" => seen_kml = true,
                    "Placemark" => {
                        placemarks += 1;
                        name.clear();
                        polygons.clear();
                    }
                    "Polygon" => polygons.push(Vec::new()),
                    _ => {}
                }
                path.push(n);
                buf.clear();
            }
            Event::Text(t) => buf.push_str(&t.xml10_content()),
            Event::CData(t) => buf.push_str(&t.into_inner()),
            Event::GeneralRef(r) => buf.push_str(&reference(&r)),
            Event::End(_) => {
                let value = std::mem::take(&mut buf).trim().to_string();
                let parts: Vec<&str> = path.iter().map(String::as_str).collect();
                match parts.as_slice() {
                    [.., "Placemark", "name"] => name = value,
                    [.., "Polygon", "outerBoundaryIs" | "innerBoundaryIs", "LinearRing", "coordinates"] =>
                    {
                        let positions = ring(&value, placemarks)?;
                        if let Some(p) = polygons.last_mut() {
                            // The outer ring first, whatever order the file has.
                            if parts[parts.len() - 3] == "outerBoundaryIs" {
                                p.insert(0, positions);
                            } else {
                                p.push(positions);
                            }
                        }
                    }
                    [.., "Placemark"] => {
                        let label = if name.is_empty() {
                            format!("Thửa {placemarks}")
                        } else {
                            name.clone()
                        };
                        let geometry = match polygons.len() {
                            0 => None,
                            1 => Some(json!({"type": "Polygon", "coordinates": polygons[0]})),
                            _ => Some(json!({"type": "MultiPolygon", "coordinates": polygons})),
                        };
                        if let Some(g) = geometry {
                            out.push((placemarks, label, g));
                        }
                    }
                    _ => {}
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_kml {
        return Err("not a KML file: no <kml> element".into());
    }
    if out.is_empty() {
        return Err("the KML file has no polygons".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placemarks_with_polygons_become_plots() {
        let kml = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
 <Placemark><name>Ruộng &amp; ao</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
  106.42,10.88,0 106.421,10.88,0 106.421,10.881,0 106.42,10.88,0
 </coordinates></LinearRing></outerBoundaryIs>
 <innerBoundaryIs><LinearRing><coordinates>106.4202,10.8802 106.4204,10.8802 106.4204,10.8804 106.4202,10.8802</coordinates></LinearRing></innerBoundaryIs></Polygon></Placemark>
 <Placemark><name>Giếng</name><Point><coordinates>106.42,10.88</coordinates></Point></Placemark>
 <Placemark><MultiGeometry>
  <Polygon><outerBoundaryIs><LinearRing><coordinates>106.43,10.88 106.431,10.88 106.431,10.881 106.43,10.88</coordinates></LinearRing></outerBoundaryIs></Polygon>
  <Polygon><outerBoundaryIs><LinearRing><coordinates>106.44,10.88 106.441,10.88 106.441,10.881 106.44,10.88</coordinates></LinearRing></outerBoundaryIs></Polygon>
 </MultiGeometry></Placemark>
</Document></kml>"#;
        let plots = read(kml.as_bytes()).unwrap();
        assert_eq!(plots.len(), 2, "the point is skipped");
        assert_eq!((plots[0].0, plots[0].1.as_str()), (1, "Ruộng & ao"));
        assert_eq!(plots[0].2["type"], "Polygon");
        assert_eq!(plots[0].2["coordinates"].as_array().unwrap().len(), 2);
        assert_eq!(plots[0].2["coordinates"][0][1], json!([106.421, 10.88]));
        assert_eq!(
            (plots[1].0, plots[1].1.as_str()),
            (3, "Thửa 3"),
            "numbered as in the file"
        );
        assert_eq!(plots[1].2["type"], "MultiPolygon");
        assert!(read(b"<gpx></gpx>").is_err());
        assert!(read(b"<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>a,b</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>")
            .unwrap_err()
            .contains("placemark 1"));
    }
}
