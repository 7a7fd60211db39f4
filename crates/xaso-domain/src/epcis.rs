//! EPCIS 2.0 vocabulary the platform understands without I/O: the business steps a producer
//! records from a phone, and the identifiers an event may carry (GS1 Digital Link URIs, EPC
//! URNs, and the platform's own batch and stamp URLs for products without a GTIN).
//!
//! Sources: GS1 EPCIS 2.0 and CBV 2.0 (bare CBV names such as `packing` in JSON, the
//! `https://ref.gs1.org/cbv/BizStep-…` and `urn:epcglobal:cbv:bizstep:…` forms), GS1 EPC Tag
//! Data Standard (`urn:epc:id:sgtin:` and `urn:epc:class:lgtin:` with the company prefix and
//! item reference split by a dot).

use crate::trace::{check_digit, check_field, DigitalLink, Gtin};

/// The steps a farm or workshop records. CBV 2.0 has no harvesting or processing step, so
/// those two use the platform's own URNs (the schema allows any non-CBV URI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BizStep {
    Harvesting,
    Processing,
    Packing,
    Inspecting,
    Storing,
    Shipping,
    Receiving,
    Commissioning,
}

impl BizStep {
    pub const ALL: [BizStep; 8] = [
        BizStep::Harvesting,
        BizStep::Processing,
        BizStep::Packing,
        BizStep::Inspecting,
        BizStep::Storing,
        BizStep::Shipping,
        BizStep::Receiving,
        BizStep::Commissioning,
    ];

    /// The short name used in forms and message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            BizStep::Harvesting => "harvesting",
            BizStep::Processing => "processing",
            BizStep::Packing => "packing",
            BizStep::Inspecting => "inspecting",
            BizStep::Storing => "storing",
            BizStep::Shipping => "shipping",
            BizStep::Receiving => "receiving",
            BizStep::Commissioning => "commissioning",
        }
    }

    pub fn parse(s: &str) -> Option<BizStep> {
        BizStep::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// The value written into an EPCIS document's `bizStep`.
    pub fn epcis(self) -> &'static str {
        match self {
            BizStep::Harvesting => "urn:xaso:bizstep:harvesting",
            BizStep::Processing => "urn:xaso:bizstep:processing",
            other => other.as_str(),
        }
    }

    /// Reads a `bizStep` in any of its spellings; `None` for a step the platform has no name
    /// for (it is kept and shown as written).
    pub fn from_epcis(v: &str) -> Option<BizStep> {
        let short = v
            .strip_prefix("urn:xaso:bizstep:")
            .or_else(|| v.strip_prefix("https://ref.gs1.org/cbv/BizStep-"))
            .or_else(|| v.strip_prefix("urn:epcglobal:cbv:bizstep:"))
            .unwrap_or(v);
        BizStep::parse(short)
    }
}

/// What an identifier in an event points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpcRef {
    /// A GS1 Digital Link or EPC URN: the product, optionally its lot and one item's serial.
    Gtin(DigitalLink),
    /// The platform's URL of a batch (`…/batches/{id}`), for products without a GTIN.
    Batch(String),
    /// The platform's URL of a stamp (`…/q/{code}` or `…/s/{code}`).
    Stamp(String),
}

/// The GTIN of an EPC URN's company prefix and item reference (the item reference's first
/// digit is the indicator, which leads the GTIN-14).
fn gtin_of(company: &str, item: &str) -> Option<Gtin> {
    if company.is_empty()
        || item.is_empty()
        || company.len() + item.len() != 13
        || !company
            .bytes()
            .chain(item.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut digits: Vec<u8> = item[..1].bytes().map(|b| b - b'0').collect();
    digits.extend(company.bytes().chain(item[1..].bytes()).map(|b| b - b'0'));
    digits.push(check_digit(&digits));
    let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    Gtin::parse(&s).ok()
}

fn urn_tail(v: &str, prefix: &str) -> Option<DigitalLink> {
    let rest = v.strip_prefix(prefix)?;
    let mut parts = rest.splitn(3, '.');
    let (company, item, tail) = (parts.next()?, parts.next()?, parts.next()?);
    let gtin = gtin_of(company, item)?;
    // The URN escapes a few characters as %XX; lots and serials here rarely need it.
    let tail = check_field("value", &tail.replace("%2F", "/")).ok()?;
    Some(DigitalLink {
        gtin,
        lot: None,
        serial: Some(tail),
    })
}

/// Reads an EPC or EPC class identifier. Digital Links are recognised on any host (GS1 Digital
/// Link is host-independent); batch and stamp URLs by their path.
pub fn parse_epc(v: &str) -> Option<EpcRef> {
    if let Some(dl) = urn_tail(v, "urn:epc:id:sgtin:") {
        return Some(EpcRef::Gtin(dl));
    }
    if let Some(dl) = urn_tail(v, "urn:epc:class:lgtin:") {
        return Some(EpcRef::Gtin(DigitalLink {
            lot: dl.serial,
            serial: None,
            gtin: dl.gtin,
        }));
    }
    if let Some(rest) = v.strip_prefix("urn:epc:idpat:sgtin:") {
        let mut parts = rest.splitn(3, '.');
        let (company, item) = (parts.next()?, parts.next()?);
        return gtin_of(company, item).map(|gtin| {
            EpcRef::Gtin(DigitalLink {
                gtin,
                lot: None,
                serial: None,
            })
        });
    }
    let after_scheme = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))?;
    let path = &after_scheme[after_scheme.find('/')?..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    if let Some(i) = path.find("/01/") {
        return DigitalLink::parse_path(&path[i..]).ok().map(EpcRef::Gtin);
    }
    let segments: Vec<&str> = path.trim_end_matches('/').rsplitn(3, '/').collect();
    match segments.as_slice() {
        [id, "batches", _] if !id.is_empty() => Some(EpcRef::Batch(id.to_string())),
        [code, "q" | "s", _] if !code.is_empty() => Some(EpcRef::Stamp(code.to_ascii_uppercase())),
        _ => None,
    }
}

/// The UN/CEFACT code EPCIS wants in `uom` for the units producers type, if there is one.
pub fn uom(unit: &str) -> Option<&'static str> {
    match unit.trim().to_lowercase().as_str() {
        "kg" | "kilogram" | "ki-lô-gam" => Some("KGM"),
        "g" | "gam" | "gram" => Some("GRM"),
        "tấn" | "tan" | "t" => Some("TNE"),
        "l" | "lít" | "lit" => Some("LTR"),
        "ml" => Some("MLT"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn biz_steps_read_in_every_spelling() {
        for b in BizStep::ALL {
            assert_eq!(BizStep::from_epcis(b.epcis()), Some(b));
            assert_eq!(BizStep::parse(b.as_str()), Some(b));
        }
        assert_eq!(
            BizStep::from_epcis("https://ref.gs1.org/cbv/BizStep-shipping"),
            Some(BizStep::Shipping)
        );
        assert_eq!(
            BizStep::from_epcis("urn:epcglobal:cbv:bizstep:packing"),
            Some(BizStep::Packing)
        );
        assert_eq!(BizStep::from_epcis("destroying"), None);
        // CBV has no harvesting step: ours must not pretend to be CBV.
        assert!(!BizStep::Harvesting.epcis().contains("gs1"));
    }

    #[test]
    fn digital_links_on_any_host_and_epc_urns_name_the_same_item() {
        let dl = parse_epc("https://example.org/01/09520001123450/10/DH-2026-03/21/ABC").unwrap();
        let EpcRef::Gtin(dl) = dl else { panic!() };
        assert_eq!(dl.gtin.gtin14(), "09520001123450");
        assert_eq!(dl.lot.as_deref(), Some("DH-2026-03"));
        assert_eq!(dl.serial.as_deref(), Some("ABC"));

        // The GS1 example: company prefix 0614141, item reference 112345 (indicator 1).
        let EpcRef::Gtin(u) = parse_epc("urn:epc:id:sgtin:0614141.112345.400").unwrap() else {
            panic!()
        };
        assert_eq!(u.gtin.gtin14(), "10614141123459");
        assert_eq!(u.serial.as_deref(), Some("400"));
        let EpcRef::Gtin(c) = parse_epc("urn:epc:class:lgtin:4012345.012345.998877").unwrap()
        else {
            panic!()
        };
        assert_eq!(c.gtin.gtin14(), "04012345123456");
        assert_eq!(c.lot.as_deref(), Some("998877"));
        assert_eq!(c.serial, None);
    }

    #[test]
    fn platform_urls_and_junk() {
        assert_eq!(
            parse_epc("https://xaso.local/batches/0193abc"),
            Some(EpcRef::Batch("0193abc".into()))
        );
        assert_eq!(
            parse_epc("http://127.0.0.1:8080/q/abcdef"),
            Some(EpcRef::Stamp("ABCDEF".into()))
        );
        assert_eq!(
            parse_epc("https://x/01/12345678901234"),
            None,
            "bad check digit"
        );
        assert_eq!(parse_epc("urn:epc:id:sgtin:12.34.5"), None);
        assert_eq!(parse_epc("not a uri"), None);
        assert_eq!(parse_epc("https://x/places/1"), None);
    }

    #[test]
    fn units_map_to_cefact_codes() {
        assert_eq!(uom("kg"), Some("KGM"));
        assert_eq!(uom(" Lít "), Some("LTR"));
        assert_eq!(uom("hộp"), None);
    }
}
