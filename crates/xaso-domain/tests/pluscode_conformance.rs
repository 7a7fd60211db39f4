//! The Open Location Code specification's own test data, every row, plus property tests.

use proptest::prelude::*;
use xaso_domain::pluscode::{self, CodeArea};

/// The specification's tolerance on decoded bounds.
const EPS: f64 = 1e-10;

fn rows(name: &str) -> Vec<Vec<String>> {
    let path = format!("{}/tests/data/olc/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn f(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("number: {s}"))
}

#[test]
fn encoding_matches_the_specification() {
    let rows = rows("encoding.csv");
    assert!(rows.len() > 300);
    let mut from_degrees_off = Vec::new();
    for r in &rows {
        let (lat, lng, lat_int, lng_int, len) = (
            f(&r[0]),
            f(&r[1]),
            r[2].parse::<i64>().unwrap(),
            r[3].parse::<i64>().unwrap(),
            r[4].parse::<usize>().unwrap(),
        );
        let want = r.get(5).map(String::as_str).unwrap_or("");
        // From integers the result is exact.
        let got = pluscode::encode_integers(lat_int, lng_int, len);
        if want.is_empty() {
            assert!(got.is_err(), "{r:?} must fail");
            continue;
        }
        assert_eq!(got.as_deref(), Ok(want), "{r:?}");
        // Degrees to integers may be one unit low where the decimal has no exact binary form.
        let (li, gi) = pluscode::location_to_integers(lat, lng);
        assert!(
            (li == lat_int || li == lat_int - 1) && (gi == lng_int || gi == lng_int - 1),
            "{r:?}: got {li},{gi}"
        );
        if pluscode::encode(lat, lng, len).as_deref() != Ok(want) {
            from_degrees_off.push(r.clone());
        }
    }
    // The specification accepts up to 5% of rows differing when encoding from degrees.
    assert!(
        from_degrees_off.len() * 20 <= rows.len(),
        "{} rows off: {from_degrees_off:?}",
        from_degrees_off.len()
    );
}

#[test]
fn decoding_matches_the_specification() {
    let rows = rows("decoding.csv");
    assert!(rows.len() > 400);
    for r in rows {
        let area = pluscode::decode(&r[0]).unwrap_or_else(|e| panic!("{r:?}: {e}"));
        let want = CodeArea {
            latitude_lo: f(&r[2]),
            longitude_lo: f(&r[3]),
            latitude_hi: f(&r[4]),
            longitude_hi: f(&r[5]),
            code_length: r[1].parse().unwrap(),
        };
        assert_eq!(area.code_length, want.code_length, "{r:?}");
        for (got, want) in [
            (area.latitude_lo, want.latitude_lo),
            (area.longitude_lo, want.longitude_lo),
            (area.latitude_hi, want.latitude_hi),
            (area.longitude_hi, want.longitude_hi),
        ] {
            assert!((got - want).abs() < EPS, "{r:?}: {area:?}");
        }
    }
}

#[test]
fn validity_matches_the_specification() {
    for r in rows("validityTests.csv") {
        let code = &r[0];
        assert_eq!(pluscode::is_valid(code), r[1] == "true", "valid {code}");
        assert_eq!(pluscode::is_short(code), r[2] == "true", "short {code}");
        assert_eq!(pluscode::is_full(code), r[3] == "true", "full {code}");
    }
}

#[test]
fn shortening_and_recovery_match_the_specification() {
    let rows = rows("shortCodeTests.csv");
    assert!(rows.len() > 15);
    for r in rows {
        let (full, lat, lng, short, kind) = (&r[0], f(&r[1]), f(&r[2]), &r[3], r[4].as_str());
        if kind == "S" || kind == "B" {
            assert_eq!(
                pluscode::shorten(full, lat, lng).as_deref(),
                Ok(short.as_str()),
                "shorten {r:?}"
            );
        }
        if kind == "R" || kind == "B" {
            assert_eq!(
                pluscode::recover_nearest(short, lat, lng).as_deref(),
                Ok(full.as_str()),
                "recover {r:?}"
            );
        }
    }
}

proptest! {
    #[test]
    fn a_decoded_code_contains_its_point(
        lat in -90.0f64..90.0,
        lng in -180.0f64..180.0,
        len in prop::sample::select(vec![2usize, 4, 6, 8, 10, 11, 12, 13, 14, 15]),
    ) {
        let code = pluscode::encode(lat, lng, len).unwrap();
        prop_assert!(pluscode::is_full(&code), "{}", code);
        let area = pluscode::decode(&code).unwrap();
        prop_assert!(
            area.latitude_lo <= lat + EPS && lat < area.latitude_hi + EPS
                && area.longitude_lo <= lng + EPS && lng < area.longitude_hi + EPS,
            "{} {:?} does not hold {},{}", code, area, lat, lng
        );
        prop_assert_eq!(pluscode::encode(area.latitude_center(), area.longitude_center(), len).unwrap(), code);
    }

    #[test]
    fn a_short_code_recovers_near_its_reference(
        lat in -80.0f64..80.0,
        lng in -179.0f64..179.0,
        dlat in -0.02f64..0.02,
        dlng in -0.02f64..0.02,
    ) {
        let code = pluscode::encode(lat, lng, 10).unwrap();
        let short = pluscode::shorten(&code, lat + dlat, lng + dlng).unwrap();
        prop_assert!(short.len() < code.len(), "{} near {}", code, short);
        prop_assert_eq!(pluscode::recover_nearest(&short, lat + dlat, lng + dlng).unwrap(), code);
    }
}

proptest! {
    /// Any finite point, however far outside the world, encodes (latitude clipped, longitude
    /// wrapped) to a valid full code; a fuzzer once overflowed the arithmetic with 10^12.
    #[test]
    fn any_finite_point_encodes(
        lat in prop::num::f64::NORMAL | prop::num::f64::ZERO,
        lng in prop::num::f64::NORMAL | prop::num::f64::ZERO,
    ) {
        let code = pluscode::encode(lat, lng, 10).unwrap();
        prop_assert!(pluscode::is_full(&code), "{}", code);
        prop_assert!(pluscode::decode(&code).is_ok(), "{}", code);
    }
}

#[test]
fn a_longitude_of_a_trillion_degrees_is_wrapped_not_overflowed() {
    let code = pluscode::encode(0.0, 1_125_899_906_663.0, 10).unwrap();
    assert!(pluscode::is_full(&code));
    assert!(pluscode::encode(f64::MAX, -f64::MAX, 10).is_ok());
}
