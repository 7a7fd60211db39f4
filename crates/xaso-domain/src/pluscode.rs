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

/// Value of each byte as a digit (either case), or -1: one table lookup instead of a search.
const DIGIT: [i8; 256] = {
    let mut t = [-1i8; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        t[ALPHABET[i] as usize] = i as i8;
        t[ALPHABET[i].to_ascii_lowercase() as usize] = i as i8;
        i += 1;
    }
    t
};

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
    // Far outside the world the products below would not fit an i64 (a longitude of 10^12
    // came from a fuzzer): latitude is clipped anyway, and a longitude wraps to the same
    // place, so both are brought in range first. Within ±10^6 the arithmetic is the
    // specification's, to the last digit of its test data.
    let lat = lat.clamp(-1e6, 1e6);
    let lng = if (-1e6..1e6).contains(&lng) {
        lng
    } else {
        normalize_longitude(lng)
    };
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
    Ok(encode_buf(lat, lng, length)?.as_str().to_string())
}

/// Encodes a point already turned into integers by [`location_to_integers`].
pub fn encode_integers(lat_val: i64, lng_val: i64, length: usize) -> Result<String, PlusCodeError> {
    Ok(encode_integers_buf(lat_val, lng_val, length)?
        .as_str()
        .to_string())
}

/// A code in a fixed buffer: encoding without a heap allocation, for bulk work.
#[derive(Clone, Copy)]
pub struct CodeBuf {
    bytes: [u8; MAX_DIGIT_COUNT + 1],
    len: usize,
}

impl CodeBuf {
    pub fn as_str(&self) -> &str {
        // Only ASCII from ALPHABET, '0' and '+' is ever written.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// Encodes a point into a [`CodeBuf`].
pub fn encode_buf(lat: f64, lng: f64, length: usize) -> Result<CodeBuf, PlusCodeError> {
    if !lat.is_finite() || !lng.is_finite() {
        return Err(PlusCodeError::NotANumber);
    }
    let (lat_val, lng_val) = location_to_integers(lat, lng);
    encode_integers_buf(lat_val, lng_val, length)
}

fn encode_integers_buf(
    mut lat_val: i64,
    mut lng_val: i64,
    length: usize,
) -> Result<CodeBuf, PlusCodeError> {
    let length = check_length(length)?;
    // Digits are produced from the last to the first.
    let mut digits = [PADDING; MAX_DIGIT_COUNT];
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
    // Short requests are padded with 0 up to the separator.
    for d in digits.iter_mut().take(SEPARATOR_POSITION).skip(length) {
        *d = PADDING;
    }
    let mut out = CodeBuf {
        bytes: [0; MAX_DIGIT_COUNT + 1],
        len: 0,
    };
    out.bytes[..SEPARATOR_POSITION].copy_from_slice(&digits[..SEPARATOR_POSITION]);
    out.bytes[SEPARATOR_POSITION] = SEPARATOR;
    let tail = length.saturating_sub(SEPARATOR_POSITION);
    out.bytes[SEPARATOR_POSITION + 1..SEPARATOR_POSITION + 1 + tail]
        .copy_from_slice(&digits[SEPARATOR_POSITION..SEPARATOR_POSITION + tail]);
    out.len = SEPARATOR_POSITION + 1 + tail;
    Ok(out)
}

/// Where a valid code's separator is, or None when the code is not valid. One pass over the
/// bytes checks every rule of the specification.
fn separator_of(code: &str) -> Option<usize> {
    let b = code.as_bytes();
    let mut sep = None;
    let mut pad: Option<(usize, usize)> = None; // first padding byte, run length
    for (i, &c) in b.iter().enumerate() {
        if c == SEPARATOR {
            if sep.is_some() {
                return None;
            }
            sep = Some(i);
        } else if c == PADDING {
            match &mut pad {
                None => pad = Some((i, 1)),
                // Padding comes in one run.
                Some((start, run)) if *start + *run == i => *run += 1,
                Some(_) => return None,
            }
        } else if DIGIT[c as usize] < 0 || pad.is_some() {
            // Not a digit, or a digit after the padding.
            return None;
        }
    }
    let sep = sep?;
    if b.len() == 1 || sep > SEPARATOR_POSITION || sep % 2 == 1 {
        return None;
    }
    if let Some((start, run)) = pad {
        // Padding only in full codes, never first, an even run, then nothing but '+'.
        if sep < SEPARATOR_POSITION
            || start == 0
            || run % 2 == 1
            || run > SEPARATOR_POSITION - 2
            || start + run != sep
            || b.len() != sep + 1
        {
            return None;
        }
    }
    if b.len() - sep - 1 == 1 {
        return None;
    }
    Some(sep)
}

/// Whether `code` is a valid full or short code (either case).
pub fn is_valid(code: &str) -> bool {
    separator_of(code).is_some()
}

/// Whether `code` is a valid short code (its first digits left off, separator before 8).
pub fn is_short(code: &str) -> bool {
    separator_of(code).is_some_and(|s| s < SEPARATOR_POSITION)
}

/// Whether `code` is a valid full code that names a real place (first digits in range).
pub fn is_full(code: &str) -> bool {
    match separator_of(code) {
        Some(sep) if sep >= SEPARATOR_POSITION => full_range(code.as_bytes()),
        _ => false,
    }
}

fn full_range(b: &[u8]) -> bool {
    let first_lat = DIGIT[b[0] as usize] as i64 * BASE;
    if first_lat >= LAT_MAX * 2 {
        return false;
    }
    if b.len() > 1 {
        let first_lng = DIGIT[b[1] as usize] as i64 * BASE;
        if first_lng >= LNG_MAX * 2 {
            return false;
        }
    }
    true
}

/// The common case, a 10-digit full code ("7P28RFG4+6P"), in straight-line code: ten table
/// lookups, two sums and four divisions. Anything else (or anything invalid) returns None and
/// takes the general path, which gives the reason.
#[inline]
fn decode_10(b: &[u8]) -> Option<CodeArea> {
    if b.len() != SEPARATOR_POSITION + 3 || b[SEPARATOR_POSITION] != SEPARATOR {
        return None;
    }
    let d = [
        DIGIT[b[0] as usize],
        DIGIT[b[1] as usize],
        DIGIT[b[2] as usize],
        DIGIT[b[3] as usize],
        DIGIT[b[4] as usize],
        DIGIT[b[5] as usize],
        DIGIT[b[6] as usize],
        DIGIT[b[7] as usize],
        DIGIT[b[9] as usize],
        DIGIT[b[10] as usize],
    ];
    // A negative entry marks a byte that is not a digit (padding, a second '+', anything).
    if d.iter().fold(0i8, |acc, v| acc | v) < 0 {
        return None;
    }
    // The first digits must stay inside ±90° and ±180°.
    if d[0] as i64 * BASE >= LAT_MAX * 2 || d[1] as i64 * BASE >= LNG_MAX * 2 {
        return None;
    }
    let lat_scale = FINAL_LAT_PRECISION / PAIR_PRECISION;
    let lng_scale = FINAL_LNG_PRECISION / PAIR_PRECISION;
    let place = [PAIR_FIRST_PLACE_VALUE, 8000, 400, 20, 1];
    let mut lat = -LAT_MAX * PAIR_PRECISION;
    let mut lng = -LNG_MAX * PAIR_PRECISION;
    for (k, pv) in place.iter().enumerate() {
        lat += d[2 * k] as i64 * pv;
        lng += d[2 * k + 1] as i64 * pv;
    }
    let (lat_units, lng_units) = (lat * lat_scale, lng * lng_scale);
    let (lat_d, lng_d) = (FINAL_LAT_PRECISION as f64, FINAL_LNG_PRECISION as f64);
    Some(CodeArea {
        latitude_lo: lat_units as f64 / lat_d,
        longitude_lo: lng_units as f64 / lng_d,
        latitude_hi: (lat_units + lat_scale) as f64 / lat_d,
        longitude_hi: (lng_units + lng_scale) as f64 / lng_d,
        code_length: PAIR_CODE_LENGTH,
    })
}

/// The area of a full code. Digits after the 15th are ignored, as the specification says.
pub fn decode(code: &str) -> Result<CodeArea, PlusCodeError> {
    match decode_10(code.as_bytes()) {
        Some(area) => Ok(area),
        None => decode_any(code),
    }
}

/// Any full code, with the reason when it is not one.
fn decode_any(code: &str) -> Result<CodeArea, PlusCodeError> {
    let b = code.as_bytes();
    match separator_of(code) {
        None => return Err(PlusCodeError::Invalid(code.to_string())),
        Some(sep) if sep < SEPARATOR_POSITION || !full_range(b) => {
            return Err(PlusCodeError::NotFull(code.to_string()))
        }
        Some(_) => {}
    }
    // A valid full code has its 8 digits (or padding) first, then '+', then the rest.
    let mut digits = [0i64; MAX_DIGIT_COUNT];
    let mut n = 0;
    for &c in b[..SEPARATOR_POSITION]
        .iter()
        .chain(&b[SEPARATOR_POSITION + 1..])
    {
        let v = DIGIT[c as usize];
        if v < 0 || n == MAX_DIGIT_COUNT {
            break;
        }
        digits[n] = v as i64;
        n += 1;
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
    // Everything in the finest units, as exact integers; each edge is then one correctly
    // rounded division, so 20.37 comes out as 20.37 and not 20.369999999999997.
    let lat_scale = FINAL_LAT_PRECISION / PAIR_PRECISION;
    let lng_scale = FINAL_LNG_PRECISION / PAIR_PRECISION;
    let mut lat_units = normal_lat * lat_scale;
    let mut lng_units = normal_lng * lng_scale;
    let mut lat_step = pv * lat_scale;
    let mut lng_step = pv * lng_scale;
    if n > PAIR_CODE_LENGTH {
        let mut row_pv = GRID_LAT_FIRST_PLACE_VALUE;
        let mut col_pv = GRID_LNG_FIRST_PLACE_VALUE;
        for (i, d) in digits.iter().enumerate().take(n).skip(PAIR_CODE_LENGTH) {
            lat_units += (d / GRID_COLUMNS) * row_pv;
            lng_units += (d % GRID_COLUMNS) * col_pv;
            if i < n - 1 {
                row_pv /= GRID_ROWS;
                col_pv /= GRID_COLUMNS;
            }
        }
        lat_step = row_pv;
        lng_step = col_pv;
    }
    let (lat_d, lng_d) = (FINAL_LAT_PRECISION as f64, FINAL_LNG_PRECISION as f64);
    Ok(CodeArea {
        latitude_lo: lat_units as f64 / lat_d,
        longitude_lo: lng_units as f64 / lng_d,
        latitude_hi: (lat_units + lat_step) as f64 / lat_d,
        longitude_hi: (lng_units + lng_step) as f64 / lng_d,
        code_length: n,
    })
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
    #[test]
    fn the_ten_digit_shortcut_agrees_with_the_general_decoder() {
        let mut n = 0;
        for i in 0..200 {
            for j in 0..200 {
                let lat = -89.9 + i as f64 * 0.8993;
                let lng = -179.9 + j as f64 * 1.7991;
                let code = super::encode(lat, lng, 10).unwrap();
                let fast = super::decode_10(code.as_bytes()).expect("a 10-digit code");
                assert_eq!(fast, super::decode_any(&code).unwrap(), "{code}");
                n += 1;
            }
        }
        assert_eq!(n, 40_000);
        // Not for the shortcut: padded, short, longer codes and junk go the general way.
        for c in [
            "7P280000+",
            "RFG4+6P",
            "7P28RFG4+6PX",
            "7P28RFG4+6",
            "7P28RFG4-6P",
            "ZP28RFG4+6P",
        ] {
            assert!(super::decode_10(c.as_bytes()).is_none(), "{c}");
        }
    }

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
