//! Traceability rules that need no I/O: GTINs and their check digit, batch (lot) and serial
//! numbers in the GS1 character set, GS1 Digital Link URIs this installation prints and
//! resolves, OCOP stars and the kinds and states of producers.
//!
//! Sources: GS1 General Specifications (check digit calculation, AI 01/10/21, the 82-character
//! set); GS1 Digital Link URI syntax 1.2 (the `01` key always 14 digits, qualifiers `10` then
//! `21`); OCOP star bands and the 36-month certificate from shared/reference/integrations.md.

use std::fmt;

use chrono::NaiveDate;

use crate::places::{phone_number, FieldProblem};
use crate::text;

/// Why a GTIN, lot or serial is refused; the message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    #[error("a GTIN has 8, 12, 13 or 14 digits and nothing else (got `{0}`)")]
    GtinShape(String),
    #[error("GTIN `{gtin}` has check digit {got}, but its digits give {want}")]
    GtinCheckDigit { gtin: String, got: u8, want: u8 },
    #[error("a {what} has 1 to 20 characters from the GS1 set (letters, digits and !\"%&'()*+,-./:;<=>?_); got `{value}`")]
    Field { what: &'static str, value: String },
    #[error("`{0}` is not a GS1 Digital Link path (/01/GTIN[/10/LOT][/21/SERIAL])")]
    Link(String),
}

/// A GTIN with a valid check digit, kept as the 14 digits GS1 Digital Link uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Gtin([u8; 14]);

/// The GS1 check digit of `digits` (the GTIN without its last digit): from the right, weights
/// 3, 1, 3, 1 …; the check digit brings the sum to a multiple of ten.
pub fn check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl Gtin {
    /// Parses a GTIN-8, -12, -13 or -14 (spaces and dashes as people type them are ignored).
    pub fn parse(s: &str) -> Result<Gtin, TraceError> {
        let cleaned: String = s.chars().filter(|c| *c != ' ' && *c != '-').collect();
        if !matches!(cleaned.len(), 8 | 12 | 13 | 14)
            || !cleaned.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(TraceError::GtinShape(s.trim().to_string()));
        }
        let digits: Vec<u8> = cleaned.bytes().map(|b| b - b'0').collect();
        let (body, last) = digits.split_at(digits.len() - 1);
        let want = check_digit(body);
        if last[0] != want {
            return Err(TraceError::GtinCheckDigit {
                gtin: cleaned,
                got: last[0],
                want,
            });
        }
        let mut out = [0u8; 14];
        out[14 - digits.len()..].copy_from_slice(&digits);
        Ok(Gtin(out))
    }

    /// The 14 digits, zero-padded on the left (`08936044123455`).
    pub fn gtin14(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The shortest usual form: GTIN-13 for a zero-led GTIN-14 (what is printed under a
    /// barcode), else all 14 digits.
    pub fn display(&self) -> String {
        let s = self.gtin14();
        match s.strip_prefix('0') {
            Some(rest) => rest.to_string(),
            None => s,
        }
    }

    /// Whether the GS1 company prefix is Vietnam's (893), as GS1 Vietnam issues.
    pub fn is_vietnamese(&self) -> bool {
        self.display().starts_with("893")
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// The 82 characters GS1 allows in alphanumeric AIs such as the lot (10) and serial (21).
fn gs1_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

/// A lot (AI 10) or serial (AI 21): 1 to 20 characters of the GS1 set.
pub fn check_field(what: &'static str, value: &str) -> Result<String, TraceError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 20 || !v.chars().all(gs1_char) {
        return Err(TraceError::Field {
            what,
            value: value.to_string(),
        });
    }
    Ok(v.to_string())
}

/// Percent-encodes a lot or serial for a URI path segment: everything but letters, digits and
/// `-._~` is written as %XX, so the link stays valid whatever the field holds.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode_segment(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What a GS1 Digital Link path names: a product, a batch of it, or one item (a stamp).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitalLink {
    pub gtin: Gtin,
    pub lot: Option<String>,
    pub serial: Option<String>,
}

impl DigitalLink {
    /// The path: `/01/{gtin14}[/10/{lot}][/21/{serial}]`.
    pub fn path(&self) -> String {
        let mut p = format!("/01/{}", self.gtin.gtin14());
        if let Some(l) = &self.lot {
            p.push_str("/10/");
            p.push_str(&encode_segment(l));
        }
        if let Some(s) = &self.serial {
            p.push_str("/21/");
            p.push_str(&encode_segment(s));
        }
        p
    }

    /// The URI on an installation (`https://HOST` without a trailing slash).
    pub fn uri(&self, base: &str) -> String {
        format!("{}{}", base.trim_end_matches('/'), self.path())
    }

    /// Reads a path as the resolver receives it. The GTIN may be 8, 12, 13 or 14 digits (the
    /// resolver accepts what people type) but must carry a valid check digit; qualifiers come
    /// in the order the standard gives (`10` before `21`); a serial without a lot is allowed.
    pub fn parse_path(path: &str) -> Result<DigitalLink, TraceError> {
        let bad = || TraceError::Link(path.to_string());
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if parts.len() < 2 || !parts.len().is_multiple_of(2) || parts[0] != "01" {
            return Err(bad());
        }
        let gtin = Gtin::parse(parts[1])?;
        let mut lot = None;
        let mut serial = None;
        for pair in parts[2..].chunks(2) {
            let value = decode_segment(pair[1]).ok_or_else(bad)?;
            match (pair[0], &lot, &serial) {
                ("10", None, None) => lot = Some(check_field("lot", &value)?),
                ("21", _, None) => serial = Some(check_field("serial", &value)?),
                _ => return Err(bad()),
            }
        }
        Ok(DigitalLink { gtin, lot, serial })
    }
}

/// OCOP stars a product can be certified with (3★ 50–69 points, 4★ 70–89, 5★ 90–100; 1★ and
/// 2★ exist on the scale but are not certified).
pub fn ocop_stars(s: i64) -> Option<u8> {
    (3..=5).contains(&s).then_some(s as u8)
}

/// An OCOP certificate is valid for 36 months from its decision.
pub const OCOP_VALID_MONTHS: u32 = 36;

/// What kind of producer registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProducerKind {
    /// Hộ sản xuất.
    Household,
    /// Cơ sở sản xuất, kinh doanh.
    Establishment,
    /// Hợp tác xã.
    Cooperative,
    /// Doanh nghiệp.
    Company,
}

impl ProducerKind {
    pub const ALL: [ProducerKind; 4] = [
        ProducerKind::Household,
        ProducerKind::Establishment,
        ProducerKind::Cooperative,
        ProducerKind::Company,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProducerKind::Household => "household",
            ProducerKind::Establishment => "establishment",
            ProducerKind::Cooperative => "cooperative",
            ProducerKind::Company => "company",
        }
    }

    pub fn parse(s: &str) -> Option<ProducerKind> {
        ProducerKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// Where a producer stands with the commune: nothing of theirs is public until approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProducerStatus {
    Pending,
    Approved,
    Rejected,
    Suspended,
}

impl ProducerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProducerStatus::Pending => "pending",
            ProducerStatus::Approved => "approved",
            ProducerStatus::Rejected => "rejected",
            ProducerStatus::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<ProducerStatus> {
        [
            ProducerStatus::Pending,
            ProducerStatus::Approved,
            ProducerStatus::Rejected,
            ProducerStatus::Suspended,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Which decisions the commune can take from here: approve a pending or suspended
    /// producer, reject a pending one, suspend an approved one.
    pub fn may_become(self, next: ProducerStatus) -> bool {
        use ProducerStatus::*;
        matches!(
            (self, next),
            (Pending, Approved)
                | (Pending, Rejected)
                | (Approved, Suspended)
                | (Suspended, Approved)
        )
    }
}

/// What a producer's registration form gives.
#[derive(Debug, Clone, Default)]
pub struct ProducerInput {
    pub kind: String,
    pub name: String,
    pub address: String,
    pub representative: String,
    /// Private: the commune calls this number; it is never on a public page.
    pub phone: String,
    /// Business registration or cooperative number, when there is one.
    pub registration_no: String,
    pub description: String,
}

/// A checked registration.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProducer {
    pub kind: ProducerKind,
    pub name: String,
    pub address: String,
    pub representative: String,
    pub phone: Option<String>,
    pub registration_no: String,
    pub description: String,
}

impl ProducerInput {
    pub fn check(&self) -> Result<NewProducer, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut bad = |field, detail| problems.push(FieldProblem { field, detail });
        let kind = ProducerKind::parse(&self.kind);
        if kind.is_none() {
            bad("kind", "choose what kind of producer this is");
        }
        let name = text::clean(&self.name);
        if name.is_empty() {
            bad("name", "the producer needs a name");
        } else if name.chars().count() > 200 {
            bad("name", "the name is longer than 200 characters");
        }
        let address = text::clean(&self.address);
        let representative = text::clean(&self.representative);
        let registration_no = text::clean(&self.registration_no);
        if address.chars().count() > 300
            || representative.chars().count() > 120
            || registration_no.chars().count() > 40
        {
            bad(
                "address",
                "an address, representative or registration number is too long",
            );
        }
        let description = text::clean(&self.description);
        if description.chars().count() > 5000 {
            bad(
                "description",
                "the description is too long (5,000 characters at most)",
            );
        }
        let phone = match phone_number(&self.phone) {
            Some(p) => (!p.is_empty()).then_some(p),
            None => {
                bad("phone", "the phone number has 9 to 12 digits");
                None
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewProducer {
            kind: kind.expect("checked"),
            name,
            address,
            representative,
            phone,
            registration_no,
            description,
        })
    }
}

/// What a product form gives.
#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub name: String,
    pub category: String,
    pub description: String,
    /// Đơn vị bán: "hộp 500 g", "kg", "chai 330 ml".
    pub sale_unit: String,
    pub gtin: String,
    /// Empty, or 3 to 5.
    pub ocop_stars: String,
    pub ocop_certificate: String,
    /// The date of the OCOP decision (dd/mm/yyyy or yyyy-mm-dd).
    pub ocop_decided_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub name: String,
    pub category: String,
    pub description: String,
    pub sale_unit: String,
    pub gtin: Option<Gtin>,
    pub ocop: Option<Ocop>,
}

/// An OCOP rating with its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ocop {
    pub stars: u8,
    pub certificate: String,
    pub decided_on: NaiveDate,
}

impl Ocop {
    /// The last day the certificate is valid: 36 months after its decision.
    pub fn valid_until(&self) -> NaiveDate {
        self.decided_on
            .checked_add_months(chrono::Months::new(OCOP_VALID_MONTHS))
            .unwrap_or(self.decided_on)
    }

    pub fn valid_on(&self, day: NaiveDate) -> bool {
        day >= self.decided_on && day < self.valid_until()
    }
}

impl ProductInput {
    pub fn check(&self) -> Result<NewProduct, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut bad = |field, detail| problems.push(FieldProblem { field, detail });
        let name = text::clean(&self.name);
        if name.is_empty() {
            bad("name", "the product needs a name");
        } else if name.chars().count() > 200 {
            bad("name", "the name is longer than 200 characters");
        }
        let category = text::clean(&self.category);
        let sale_unit = text::clean(&self.sale_unit);
        if category.chars().count() > 100 || sale_unit.chars().count() > 60 {
            bad("category", "the category or unit of sale is too long");
        }
        let description = text::clean(&self.description);
        if description.chars().count() > 5000 {
            bad(
                "description",
                "the description is too long (5,000 characters at most)",
            );
        }
        let gtin = if self.gtin.trim().is_empty() {
            None
        } else {
            match Gtin::parse(&self.gtin) {
                Ok(g) => Some(g),
                Err(TraceError::GtinCheckDigit { .. }) => {
                    bad(
                        "gtin",
                        "the GTIN's check digit is wrong: check the number under the barcode",
                    );
                    None
                }
                Err(_) => {
                    bad("gtin", "a GTIN has 8, 12, 13 or 14 digits");
                    None
                }
            }
        };
        let stars = self.ocop_stars.trim();
        let ocop = if stars.is_empty() {
            None
        } else {
            let s = stars.parse::<i64>().ok().and_then(ocop_stars);
            let decided = crate::time::parse_date(&self.ocop_decided_on);
            let certificate = text::clean(&self.ocop_certificate);
            if s.is_none() {
                bad("ocop_stars", "OCOP certificates are for 3, 4 or 5 stars");
            }
            if decided.is_none() {
                bad("ocop_decided_on", "give the date of the OCOP decision");
            }
            if certificate.is_empty() || certificate.chars().count() > 100 {
                bad(
                    "ocop_certificate",
                    "give the OCOP decision or certificate number",
                );
            }
            match (s, decided) {
                (Some(stars), Some(decided_on)) => Some(Ocop {
                    stars,
                    certificate,
                    decided_on,
                }),
                _ => None,
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewProduct {
            name,
            category,
            description,
            sale_unit,
            gtin,
            ocop,
        })
    }
}

/// Where a batch stands: prepared, released to the market (its stamps work), or recalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStatus {
    Draft,
    Released,
    Recalled,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Draft => "draft",
            BatchStatus::Released => "released",
            BatchStatus::Recalled => "recalled",
        }
    }

    pub fn parse(s: &str) -> Option<BatchStatus> {
        [
            BatchStatus::Draft,
            BatchStatus::Released,
            BatchStatus::Recalled,
        ]
        .into_iter()
        .find(|b| b.as_str() == s)
    }
}

/// Label sizes for stamp sheets on A4: (name, label width and height in mm, QR side in mm).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSize {
    /// 30 × 36 mm, 42 to a page.
    Small,
    /// 40 × 50 mm, 20 to a page.
    Medium,
    /// 60 × 70 mm, 9 to a page.
    Large,
}

impl LabelSize {
    pub const ALL: [LabelSize; 3] = [LabelSize::Small, LabelSize::Medium, LabelSize::Large];

    pub fn as_str(self) -> &'static str {
        match self {
            LabelSize::Small => "small",
            LabelSize::Medium => "medium",
            LabelSize::Large => "large",
        }
    }

    pub fn parse(s: &str) -> Option<LabelSize> {
        LabelSize::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }

    /// Where labels of this size sit on an A4 sheet: columns, rows, and the left and top edges
    /// of the grid in millimetres from the page's lower-left corner (PDF coordinates), the grid
    /// centred with at least 5 mm of margin.
    pub fn grid(self) -> (usize, usize, f32, f32) {
        let (page_w, page_h) = (210.0f32, 297.0f32);
        let (w, h, _) = self.mm();
        let cols = ((page_w - 10.0) / w).floor() as usize;
        let rows = ((page_h - 10.0) / h).floor() as usize;
        let left = (page_w - cols as f32 * w) / 2.0;
        let top = page_h - (page_h - rows as f32 * h) / 2.0;
        (cols, rows, left, top)
    }

    /// Width, height and QR side in millimetres.
    pub fn mm(self) -> (f32, f32, f32) {
        match self {
            LabelSize::Small => (30.0, 36.0, 26.0),
            LabelSize::Medium => (40.0, 50.0, 32.0),
            LabelSize::Large => (60.0, 70.0, 46.0),
        }
    }
}

/// Most stamps in one order.
pub const MAX_STAMPS: i64 = 100_000;

/// What a batch form gives.
#[derive(Debug, Clone, Default)]
pub struct BatchInput {
    pub lot: String,
    pub produced_on: String,
    pub quantity: String,
    pub quantity_unit: String,
    pub expires_on: String,
    pub note: String,
    /// The digital address (Plus Code) of the plot or place it came from; empty for the
    /// producer's own place.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewBatch {
    pub lot: String,
    pub produced_on: NaiveDate,
    pub quantity: Option<f64>,
    pub quantity_unit: String,
    pub expires_on: Option<NaiveDate>,
    pub note: String,
}

impl BatchInput {
    pub fn check(&self) -> Result<NewBatch, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut bad = |field, detail| problems.push(FieldProblem { field, detail });
        let lot = check_field("lot", &self.lot).unwrap_or_else(|_| {
            bad(
                "lot",
                "a lot code has 1 to 20 letters, digits or - . / _ (no spaces, no diacritics)",
            );
            String::new()
        });
        let produced_on = crate::time::parse_date(&self.produced_on);
        if produced_on.is_none() {
            bad("produced_on", "give the harvest or production date");
        }
        let expires_on = if self.expires_on.trim().is_empty() {
            None
        } else {
            let d = crate::time::parse_date(&self.expires_on);
            if d.is_none() {
                bad("expires_on", "the expiry date is not a date");
            }
            d
        };
        if let (Some(p), Some(e)) = (produced_on, expires_on) {
            if e <= p {
                bad(
                    "expires_on",
                    "the expiry date must come after the production date",
                );
            }
        }
        let quantity = if self.quantity.trim().is_empty() {
            None
        } else {
            match text::parse_number_vi(&self.quantity) {
                Some(q) if q > 0.0 => Some(q),
                _ => {
                    bad("quantity", "the quantity is a positive number");
                    None
                }
            }
        };
        let quantity_unit = text::clean(&self.quantity_unit);
        let note = text::clean(&self.note);
        if quantity_unit.chars().count() > 30 || note.chars().count() > 1000 {
            bad("note", "the unit or note is too long");
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewBatch {
            lot,
            produced_on: produced_on.expect("checked"),
            quantity,
            quantity_unit,
            expires_on,
            note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtins_are_checked_and_kept_as_fourteen_digits() {
        // The example in shared/reference/standards/README.md.
        let g = Gtin::parse("8936044123455").unwrap();
        assert_eq!(g.gtin14(), "08936044123455");
        assert_eq!(g.display(), "8936044123455");
        assert!(g.is_vietnamese());
        assert_eq!(Gtin::parse("893 6044 12345 5").unwrap(), g);
        assert_eq!(Gtin::parse("08936044123455").unwrap(), g);
        // GTIN-8, GTIN-12 (UPC-A) and GTIN-14 with their published check digits.
        assert_eq!(Gtin::parse("96385074").unwrap().gtin14(), "00000096385074");
        assert_eq!(
            Gtin::parse("036000291452").unwrap().gtin14(),
            "00036000291452"
        );
        assert_eq!(
            Gtin::parse("10012345678902").unwrap().gtin14(),
            "10012345678902"
        );
        assert_eq!(
            Gtin::parse("8936044123454"),
            Err(TraceError::GtinCheckDigit {
                gtin: "8936044123454".into(),
                got: 4,
                want: 5
            })
        );
        for bad in [
            "",
            "893604412345",
            "89360441234556X",
            "ABCDEFGHIJKLM",
            "123456789",
        ] {
            assert!(Gtin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digital_links_round_trip_and_keep_the_standard_order() {
        let link = DigitalLink {
            gtin: Gtin::parse("8936044123455").unwrap(),
            lot: Some("LO-2026/03".into()),
            serial: Some("000123".into()),
        };
        let uri = link.uri("https://xaso.example.vn/");
        assert_eq!(
            uri,
            "https://xaso.example.vn/01/08936044123455/10/LO-2026%2F03/21/000123"
        );
        assert_eq!(DigitalLink::parse_path(&link.path()).unwrap(), link);
        let product = DigitalLink::parse_path("/01/8936044123455").unwrap();
        assert_eq!((product.lot, product.serial), (None, None));
        let item = DigitalLink::parse_path("/01/08936044123455/21/ABC").unwrap();
        assert_eq!(item.serial.as_deref(), Some("ABC"));
        for bad in [
            "/01/08936044123454",
            "/01/08936044123455/21/A/10/B",
            "/01/08936044123455/10/A/10/B",
            "/01/08936044123455/22/A",
            "/02/08936044123455",
            "/01/08936044123455/10",
            "/01/08936044123455/10/%ZZ",
            "/01/08936044123455/10/quá-dài-và-có-dấu",
        ] {
            assert!(DigitalLink::parse_path(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            DigitalLink::parse_path("/01/08936044123454"),
            Err(TraceError::GtinCheckDigit { .. })
        ));
    }

    #[test]
    fn lots_and_serials_use_the_gs1_character_set() {
        assert_eq!(check_field("lot", " L-01 ").unwrap(), "L-01");
        assert!(check_field("lot", "").is_err());
        assert!(check_field("lot", "123456789012345678901").is_err());
        assert!(check_field("serial", "lô1").is_err(), "no diacritics");
        assert!(check_field("serial", "a b").is_err(), "no spaces inside");
    }

    #[test]
    fn products_check_their_gtin_and_ocop_certificate() {
        let mut p = ProductInput {
            name: " Đậu phộng rang muối ".into(),
            gtin: "8936044123455".into(),
            ocop_stars: "4".into(),
            ocop_certificate: "QĐ 123/QĐ-UBND".into(),
            ocop_decided_on: "15/03/2024".into(),
            ..Default::default()
        };
        let ok = p.check().unwrap();
        assert_eq!(ok.name, "Đậu phộng rang muối");
        let ocop = ok.ocop.unwrap();
        assert_eq!(ocop.valid_until().to_string(), "2027-03-15");
        assert!(ocop.valid_on(NaiveDate::from_ymd_opt(2027, 3, 14).unwrap()));
        assert!(!ocop.valid_on(NaiveDate::from_ymd_opt(2027, 3, 15).unwrap()));
        p.gtin = "8936044123454".into();
        p.ocop_stars = "2".into();
        let errs = p.check().unwrap_err();
        assert!(errs
            .iter()
            .any(|e| e.field == "gtin" && e.detail.contains("check digit")));
        assert!(errs.iter().any(|e| e.field == "ocop_stars"));
    }

    #[test]
    fn a_registration_needs_a_kind_and_a_name_and_a_real_phone() {
        let r = ProducerInput {
            kind: "cooperative".into(),
            name: "HTX Đậu phộng Bình Tả (mẫu)".into(),
            phone: "0909 123 456".into(),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(r.phone.as_deref(), Some("0909123456"));
        let errs = ProducerInput {
            kind: "bank".into(),
            phone: "12ab".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["kind", "name", "phone"]);
    }

    #[test]
    fn batches_need_a_gs1_lot_and_dates_in_order() {
        let b = BatchInput {
            lot: "DP-2026-03".into(),
            produced_on: "10/03/2026".into(),
            quantity: "1.200,5".into(),
            quantity_unit: "kg".into(),
            expires_on: "10/03/2027".into(),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(b.quantity, Some(1200.5));
        let errs = BatchInput {
            lot: "lô 1".into(),
            produced_on: "10/03/2026".into(),
            expires_on: "01/03/2026".into(),
            quantity: "-3".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["lot", "expires_on", "quantity"]);
    }

    #[test]
    fn producer_decisions_follow_the_workflow() {
        use ProducerStatus::*;
        assert!(Pending.may_become(Approved) && Pending.may_become(Rejected));
        assert!(Approved.may_become(Suspended) && Suspended.may_become(Approved));
        assert!(!Rejected.may_become(Approved) && !Approved.may_become(Pending));
        assert_eq!(ocop_stars(4), Some(4));
        assert_eq!(ocop_stars(2), None);
    }
}
