//! Criteria sets as YAML: the form a province's coordination office can write by hand, keep in
//! version control and send around. The fields are those of [`CriteriaSet`] (see
//! data/criteria/README.md); a YAML file describes one whole set.

use xaso_domain::criteria::CriteriaSet;

use super::SetVersion;
use crate::error::Problem;
use crate::{Actor, Error, Result};

/// Largest YAML file accepted; the national 2021–2025 set is about 20 KB.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// A set as YAML, with a header comment saying where it came from.
pub fn export(v: &SetVersion) -> Result<String> {
    let body = serde_saphyr::to_string(&v.set).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(format!(
        "# {} — version {} ({})\n# Edit and import it again on /staff/criteria: every import makes a new version.\n{body}",
        v.set.key, v.version, v.change_note
    ))
}

/// Reads a whole set from YAML and checks it. A syntax or shape error names its line.
pub fn parse(bytes: &[u8]) -> Result<CriteriaSet> {
    if bytes.len() > MAX_BYTES {
        return Err(Error::invalid("file", "the YAML file is larger than 2 MB"));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::invalid("file", "the file is not UTF-8 text (save it as UTF-8)"))?;
    let text = xaso_domain::text::nfc(text);
    let set: CriteriaSet = serde_saphyr::from_str(&text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("line {}", l.line()))
            .unwrap_or_else(|| "file".into());
        // The parser's message is English and technical: kept for logs and the API's detail.
        Error::Invalid(vec![Problem::new(
            at,
            format!("not a readable criteria set: {e}"),
        )])
    })?;
    set.validate()
        .map_err(|e| Error::invalid("set", e.to_string()))?;
    if set.from_year > set.to_year {
        return Err(Error::invalid("set", "from_year must not be after to_year"));
    }
    if set.keys.is_empty() {
        return Err(Error::invalid(
            "set",
            "the set lists no regions or groups (keys)",
        ));
    }
    Ok(set)
}

/// Imports a whole set from YAML as a new version of its key (or as a new set). When
/// `expected_key` is given, the file must describe that set. Returns the key and version.
pub async fn import(
    store: &xaso_storage::Store,
    actor: &Actor,
    expected_key: Option<&str>,
    bytes: &[u8],
    note: &str,
) -> Result<(String, i64)> {
    if !actor.is_admin() {
        return Err(Error::Forbidden);
    }
    let set = parse(bytes)?;
    if let Some(k) = expected_key {
        if set.key != k {
            return Err(Error::invalid(
                "key",
                format!("the file describes set `{}`, not `{k}`", set.key),
            ));
        }
    }
    if let Some(req) = &set.requires {
        if req != &set.key && super::set(store, req).await.is_err() {
            return Err(Error::invalid(
                "requires",
                format!("the required set `{req}` does not exist"),
            ));
        }
    }
    let key = set.key.clone();
    let version = super::save_set(store, actor, set, note).await?;
    Ok((key, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_national_set_survives_a_round_trip() {
        for set in xaso_domain::criteria::national_sets() {
            let v = SetVersion {
                version: 1,
                set: set.clone(),
                change_note: "test".into(),
                created_by: "test".into(),
                created_at: String::new(),
            };
            let text = export(&v).unwrap();
            assert_eq!(parse(text.as_bytes()).unwrap(), set, "{}", set.key);
        }
    }

    #[test]
    fn a_hand_written_file_reads_with_plain_keys_and_numbers() {
        let text = "key: x-2026
level: hien_dai
from_year: 2026
to_year: 2030
name_vi: Thử
name_en: Trial
decision: QĐ thử
keyed_by: group
keys: [group1, group2]
pilot: true
criteria:
- no: HD1
  name_vi: Chuyển đổi số
  name_en: Digital
  indicators:
  - code: HD1.1
    name_vi: Tỷ lệ
    name_en: Share
    unit: '%'
    kind: percent_at_least
    thresholds: {group1: 80, group2: 70.5}
    evidence_required: true
";
        let set = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(set.criteria[0].no, "HD1");
        assert_eq!(set.criteria[0].indicators[0].thresholds["group2"], 70.5);
        assert!(set.pilot);
    }

    #[test]
    fn a_broken_file_names_its_line() {
        let text = "key: x\nlevel: ntm\nfrom_year: [2021\n";
        match parse(text.as_bytes()) {
            Err(Error::Invalid(p)) => assert!(p[0].at.starts_with("line "), "{p:?}"),
            other => panic!("{other:?}"),
        }
        let wrong_kind = include_str!("../../../../data/criteria/vn-xa-ntm-2026-2030.json")
            .replace("\"judged\"", "\"guessed\"");
        // JSON is YAML too: an unknown kind is refused with where it is.
        match parse(wrong_kind.as_bytes()) {
            Err(Error::Invalid(p)) => {
                assert!(p[0].at.starts_with("line "), "{p:?}");
                assert!(p[0].detail.contains("guessed"), "{p:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_set_with_a_bad_threshold_key_is_refused() {
        let mut set = xaso_domain::criteria::national_sets().remove(0);
        set.criteria[0].indicators[0].kind = xaso_domain::criteria::Kind::AtLeast;
        set.criteria[0].indicators[0]
            .thresholds
            .insert("MARS".into(), 1.0);
        let text = serde_saphyr::to_string(&set).unwrap();
        assert!(matches!(parse(text.as_bytes()), Err(Error::Invalid(_))));
    }
}
