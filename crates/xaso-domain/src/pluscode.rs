//! Open Location Code (Plus Codes), offline: encode a point, decode a code to its area, check
//! validity, shorten a code near a reference point and recover the full code from a short one.
//!
//! Written from the specification (github.com/google/open-location-code, docs/specification.md)
//! and checked against its conformance data (shared/reference/standards/olc/). The crates.io
//! crate `open-location-code` 0.1.0 fails that data, hence this module.
//!
//! Encoding works on integers: a point is first turned into whole multiples of the finest cell
//! (1/25,000,000° of latitude, 1/8,192,000° of longitude), so every digit is exact and the
//! floating-point slips of the older digit-by-digit method cannot happen.

/// The 20 digits, in value order. No vowels, no look-alikes.
pub const ALPHABET: &[u8; 20] = b"23456789CFGHJMPQRVWX";
pub const SEPARATOR: u8 = b'+';
/// Digits before the separator in a full code.
pub const SEPARATOR_POSITION: usize = 8;
pub const PADDING: u8 = b'0';
/// Digits of the pair section (five lat/lng pairs).
pub const PAIR_CODE_LENGTH: usize = 10;
/// Digits that carry meaning; decoders ignore any after these.
pub const MAX_DIGIT_COUNT: usize = 15;
/// The default length: a cell of about 14 × 14 m.
pub const DEFAULT_LENGTH: usize = 10;
const MIN_TRIMMABLE_CODE_LEN: usize = 6;

const BASE: i64 = 20;
const GRID_ROWS: i64 = 5;
const GRID_COLUMNS: i64 = 4;
const GRID_DIGITS: u32 = (MAX_DIGIT_COUNT - PAIR_CODE_LENGTH) as u32;
/// 20³: the pair section's resolution in units of 1/8000 degree.
const PAIR_PRECISION: i64 = 8000;
/// Value of the first pair digit, in 1/8000 degree.
const PAIR_FIRST_PLACE_VALUE: i64 = 160_000;
const GRID_LAT_FIRST_PLACE_VALUE: i64 = 625; // 5⁴
const GRID_LNG_FIRST_PLACE_VALUE: i64 = 256; // 4⁴
/// Finest latitude unit per degree: 8000 × 5⁵.
pub const FINAL_LAT_PRECISION: i64 = PAIR_PRECISION * 3125;
/// Finest longitude unit per degree: 8000 × 4⁵.
pub const FINAL_LNG_PRECISION: i64 = PAIR_PRECISION * 1024;
const LAT_MAX: i64 = 90;
const LNG_MAX: i64 = 180;
/// Cell sizes in degrees after each pair.
const PAIR_RESOLUTIONS: [f64; 5] = [20.0, 1.0, 0.05, 0.0025, 0.000125];

/// Why a code or a request cannot be served; the message names the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlusCodeError {
    #[error("code length {0} is not allowed: use 2, 4, 6, 8, or 10 to 15")]
    Length(usize),
    #[error("`{0}` is not a valid Plus Code")]
    Invalid(String),
    #[error("`{0}` is not a full Plus Code (a short code needs a reference point)")]
    NotFull(String),
    #[error("`{0}` is padded with 0 and cannot be shortened")]
    Padded(String),
    #[error("`{0}` is too short to be shortened further")]
    TooShort(String),
    #[error("latitude and longitude must be finite numbers")]
    NotANumber,
}

/// The area a code stands for, in degrees, and how many digits it had.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodeArea {
    pub latitude_lo: f64,
    pub longitude_lo: f64,
    pub latitude_hi: f64,
    pub longitude_hi: f64,
    pub code_length: usize,
}

impl CodeArea {
    pub fn latitude_center(&self) -> f64 {
        (self.latitude_lo + (self.latitude_hi - self.latitude_lo) / 2.0).min(LAT_MAX as f64)
    }

    pub fn longitude_center(&self) -> f64 {
        (self.longitude_lo + (self.longitude_hi - self.longitude_lo) / 2.0).min(LNG_MAX as f64)
    }

    /// Whether the point lies in the area (lower edges in, upper edges out).
    pub fn contains(&self, lat: f64, lng: f64) -> bool {
        self.latitude_lo <= lat
            && lat < self.latitude_hi
            && self.longitude_lo <= lng
            && lng < self.longitude_hi
    }
}

fn digit_value(c: u8) -> Option<i64> {
    let c = c.to_ascii_uppercase();
    ALPHABET.iter().position(|&a| a == c).map(|p| p as i64)
}

fn clip_latitude(lat: f64) -> f64 {
    lat.clamp(-(LAT_MAX as f64), LAT_MAX as f64)
}

fn normalize_longitude(lng: f64) -> f64 {
    if (-180.0..180.0).contains(&lng) {
        return lng;
    }
    let l = (lng + 180.0).rem_euclid(360.0) - 180.0;
    if l >= 180.0 {
        l - 360.0
    } else {
        l
    }
}

/// A point as whole multiples of the finest cell, measured from the south-west corner of the
/// world: latitude clipped to just below 90°, longitude wrapped round the antimeridian.
pub fn location_to_integers(lat: f64, lng: f64) -> (i64, i64) {
    let lat_span = 2 * LAT_MAX * FINAL_LAT_PRECISION;
    let lng_span = 2 * LNG_MAX * FINAL_LNG_PRECISION;
    let mut lat_val =
        (lat * FINAL_LAT_PRECISION as f64).floor() as i64 + LAT_MAX * FINAL_LAT_PRECISION;
    lat_val = lat_val.clamp(0, lat_span - 1);
    let lng_val = ((lng * FINAL_LNG_PRECISION as f64).floor() as i64
        + LNG_MAX * FINAL_LNG_PRECISION)
        .rem_euclid(lng_span);
    (lat_val, lng_val)
}

fn check_length(length: usize) -> Result<usize, PlusCodeError> {
    if length < 2 || (length < PAIR_CODE_LENGTH && length % 2 == 1) {
        return Err(PlusCodeError::Length(length));
    }
    Ok(length.min(MAX_DIGIT_COUNT))
}

/// Encodes a point; `length` 2–15 digits (below 10 only even); longer requests give 15.
pub fn encode(lat: f64, lng: f64, length: usize) -> Result<String, PlusCodeError> {
    if !lat.is_finite() || !lng.is_finite() {
        return Err(PlusCodeError::NotANumber);
    }
    let (lat_val, lng_val) = location_to_integers(lat, lng);
    encode_integers(lat_val, lng_val, length)
}

/// Encodes a point already turned into integers by [`location_to_integers`].
pub fn encode_integers(
    mut lat_val: i64,
    mut lng_val: i64,
    length: usize,
) -> Result<String, PlusCodeError> {
    let length = check_length(length)?;
    // Digits are produced from the last to the first into a fixed buffer.
    let mut digits = [b'0'; MAX_DIGIT_COUNT];
    if length > PAIR_CODE_LENGTH {
        for i in (PAIR_CODE_LENGTH..MAX_DIGIT_COUNT).rev() {
            let row = lat_val % GRID_ROWS;
            let col = lng_val % GRID_COLUMNS;
            digits[i] = ALPHABET[(row * GRID_COLUMNS + col) as usize];
            lat_val /= GRID_ROWS;
            lng_val /= GRID_COLUMNS;
        }
    } else {
        lat_val /= GRID_ROWS.pow(GRID_DIGITS);
        lng_val /= GRID_COLUMNS.pow(GRID_DIGITS);
    }
    for pair in (0..PAIR_CODE_LENGTH / 2).rev() {
        digits[pair * 2 + 1] = ALPHABET[(lng_val % BASE) as usize];
        digits[pair * 2] = ALPHABET[(lat_val % BASE) as usize];
        lat_val /= BASE;
        lng_val /= BASE;
    }
    let mut out = String::with_capacity(MAX_DIGIT_COUNT + 1);
    for (i, &d) in digits
        .iter()
        .enumerate()
        .take(length.max(SEPARATOR_POSITION))
    {
        if i == SEPARATOR_POSITION {
            out.push(SEPARATOR as char);
        }
        out.push(if i < length {
            d as char
        } else {
            PADDING as char
        });
    }
    if length <= SEPARATOR_POSITION {
        out.push(SEPARATOR as char);
    }
    Ok(out)
}

/// Whether `code` is a valid full or short code (either case).
pub fn is_valid(code: &str) -> bool {
    let b = code.as_bytes();
    let Some(sep) = b.iter().position(|&c| c == SEPARATOR) else {
        return false;
    };
    if b.iter().rposition(|&c| c == SEPARATOR) != Some(sep) {
        return false;
    }
    if b.len() == 1 || sep > SEPARATOR_POSITION || sep % 2 == 1 {
        return false;
    }
    if let Some(first_pad) = b.iter().position(|&c| c == PADDING) {
        // Padding only in full codes, never first, one even run, then nothing but '+'.
        if sep < SEPARATOR_POSITION || first_pad == 0 {
            return false;
        }
        let run = b[first_pad..].iter().take_while(|&&c| c == PADDING).count();
        let rest = &b[first_pad + run..];
        if run % 2 == 1 || run > SEPARATOR_POSITION - 2 || rest != [SEPARATOR] {
            return false;
        }
    }
    if b.len() - sep - 1 == 1 {
        return false;
    }
    b.iter()
        .all(|&c| c == SEPARATOR || c == PADDING || digit_value(c).is_some())
}

/// Whether `code` is a valid short code (its first digits left off, separator before 8).
pub fn is_short(code: &str) -> bool {
    is_valid(code)
        && code
            .find(SEPARATOR as char)
            .is_some_and(|s| s < SEPARATOR_POSITION)
}

/// Whether `code` is a valid full code that names a real place (first digits in range).
pub fn is_full(code: &str) -> bool {
    if !is_valid(code) || is_short(code) {
        return false;
    }
    let b = code.as_bytes();
    let first_lat = digit_value(b[0]).unwrap_or(0) * BASE;
    if first_lat >= LAT_MAX * 2 {
        return false;
    }
    if b.len() > 1 {
        let first_lng = digit_value(b[1]).unwrap_or(0) * BASE;
        if first_lng >= LNG_MAX * 2 {
            return false;
        }
    }
    true
}

/// The area of a full code. Digits after the 15th are ignored, as the specification says.
pub fn decode(code: &str) -> Result<CodeArea, PlusCodeError> {
    if !is_full(code) {
        return Err(if is_valid(code) {
            PlusCodeError::NotFull(code.to_string())
        } else {
            PlusCodeError::Invalid(code.to_string())
        });
    }
    let mut digits = [0i64; MAX_DIGIT_COUNT];
    let mut n = 0;
    for &c in code.as_bytes() {
        if n == MAX_DIGIT_COUNT {
            break;
        }
        if let Some(v) = digit_value(c) {
            digits[n] = v;
            n += 1;
        }
    }
    let mut normal_lat = -LAT_MAX * PAIR_PRECISION;
    let mut normal_lng = -LNG_MAX * PAIR_PRECISION;
    let pair_digits = n.min(PAIR_CODE_LENGTH);
    let mut pv = PAIR_FIRST_PLACE_VALUE;
    let mut i = 0;
    while i < pair_digits {
        normal_lat += digits[i] * pv;
        normal_lng += digits[i + 1] * pv;
        if i < pair_digits - 2 {
            pv /= BASE;
        }
        i += 2;
    }
    let mut lat_precision = pv as f64 / PAIR_PRECISION as f64;
    let mut lng_precision = lat_precision;
    let (mut grid_lat, mut grid_lng) = (0i64, 0i64);
    if n > PAIR_CODE_LENGTH {
        let mut row_pv = GRID_LAT_FIRST_PLACE_VALUE;
        let mut col_pv = GRID_LNG_FIRST_PLACE_VALUE;
        for (i, d) in digits.iter().enumerate().take(n).skip(PAIR_CODE_LENGTH) {
            grid_lat += (d / GRID_COLUMNS) * row_pv;
            grid_lng += (d % GRID_COLUMNS) * col_pv;
            if i < n - 1 {
                row_pv /= GRID_ROWS;
                col_pv /= GRID_COLUMNS;
            }
        }
        lat_precision = row_pv as f64 / FINAL_LAT_PRECISION as f64;
        lng_precision = col_pv as f64 / FINAL_LNG_PRECISION as f64;
    }
    let lat =
        normal_lat as f64 / PAIR_PRECISION as f64 + grid_lat as f64 / FINAL_LAT_PRECISION as f64;
    let lng =
        normal_lng as f64 / PAIR_PRECISION as f64 + grid_lng as f64 / FINAL_LNG_PRECISION as f64;
    Ok(CodeArea {
        latitude_lo: round14(lat),
        longitude_lo: round14(lng),
        latitude_hi: round14(lat + lat_precision),
        longitude_hi: round14(lng + lng_precision),
        code_length: n,
    })
}

/// Rounds away the last bits of floating-point noise (the reference implementations do too).
fn round14(x: f64) -> f64 {
    (x * 1e14).round() / 1e14
}

/// Removes as many leading digits as the reference point allows: the point must lie well
/// inside the area the remaining digits leave open. Returns the code unchanged when it is too
/// far away.
pub fn shorten(code: &str, lat: f64, lng: f64) -> Result<String, PlusCodeError> {
    if !is_full(code) {
        return Err(PlusCodeError::NotFull(code.to_string()));
    }
    if code.as_bytes().contains(&PADDING) {
        return Err(PlusCodeError::Padded(code.to_string()));
    }
    let code = code.to_ascii_uppercase();
    let area = decode(&code)?;
    if area.code_length < MIN_TRIMMABLE_CODE_LEN {
        return Err(PlusCodeError::TooShort(code));
    }
    if !lat.is_finite() || !lng.is_finite() {
        return Err(PlusCodeError::NotANumber);
    }
    let lat = clip_latitude(lat);
    let lng = normalize_longitude(lng);
    let range = (area.latitude_center() - lat)
        .abs()
        .max((area.longitude_center() - lng).abs());
    for i in (1..=PAIR_RESOLUTIONS.len() - 2).rev() {
        if range < PAIR_RESOLUTIONS[i] * 0.3 {
            return Ok(code[(i + 1) * 2..].to_string());
        }
    }
    Ok(code)
}

/// The full code nearest the reference point that ends with the short code's digits. A full
/// code comes back unchanged (upper case).
pub fn recover_nearest(short: &str, lat: f64, lng: f64) -> Result<String, PlusCodeError> {
    if !is_short(short) {
        if is_full(short) {
            return Ok(short.to_ascii_uppercase());
        }
        return Err(PlusCodeError::Invalid(short.to_string()));
    }
    if !lat.is_finite() || !lng.is_finite() {
        return Err(PlusCodeError::NotANumber);
    }
    let ref_lat = clip_latitude(lat);
    let ref_lng = normalize_longitude(lng);
    let short = short.to_ascii_uppercase();
    let sep = short.find(SEPARATOR as char).unwrap_or(0);
    let padding_length = SEPARATOR_POSITION - sep;
    let resolution = 20f64.powi(2 - (padding_length / 2) as i32);
    let half = resolution / 2.0;
    let prefix = encode(ref_lat, ref_lng, DEFAULT_LENGTH)?;
    let area = decode(&format!("{}{short}", &prefix[..padding_length]))?;
    let mut lat = area.latitude_center();
    let mut lng = area.longitude_center();
    if ref_lat + half < lat && lat - resolution >= -(LAT_MAX as f64) {
        lat -= resolution;
    } else if ref_lat - half > lat && lat + resolution <= LAT_MAX as f64 {
        lat += resolution;
    }
    if ref_lng + half < lng {
        lng -= resolution;
    } else if ref_lng - half > lng {
        lng += resolution;
    }
    encode(lat, lng, area.code_length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_examples_near_tan_an() {
        assert_eq!(encode(10.5356, 106.4138, 10).unwrap(), "7P28GCP7+6G");
        assert_eq!(encode(10.5356, 106.4138, 11).unwrap(), "7P28GCP7+6GV");
        // A few kilometres away (Tân An's centre): the first four digits go.
        assert_eq!(shorten("7P28GCP7+6G", 10.56, 106.44).unwrap(), "GCP7+6G");
        assert_eq!(
            recover_nearest("GCP7+6G", 10.56, 106.44).unwrap(),
            "7P28GCP7+6G"
        );
        // Within a few hundred metres, six.
        assert_eq!(shorten("7P28GCP7+6G", 10.54, 106.41).unwrap(), "P7+6G");
    }

    #[test]
    fn lengths_outside_the_rules_are_refused() {
        for bad in [0, 1, 3, 5, 7, 9] {
            assert_eq!(encode(10.0, 106.0, bad), Err(PlusCodeError::Length(bad)));
        }
        assert_eq!(encode(10.0, 106.0, 99).unwrap().len(), 16);
        assert!(encode(f64::NAN, 1.0, 10).is_err());
    }
}
