//! The message catalogue: every string a page shows comes from `i18n/vi.toml` (the default) or
//! `i18n/en.toml`. A test keeps both files' keys equal and checks every key the templates use.

// A fast hasher: every page looks up dozens of messages, and the keys are our own.
use foldhash::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

pub const VI_SOURCE: &str = include_str!("../i18n/vi.toml");
pub const EN_SOURCE: &str = include_str!("../i18n/en.toml");

pub struct Catalog {
    vi: HashMap<String, String>,
    en: HashMap<String, String>,
}

pub fn parse(source: &str) -> HashMap<String, String> {
    let table: toml::Table = source.parse().expect("message catalogue is valid TOML");
    let mut out = HashMap::default();
    flatten("", &table, &mut out);
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out),
            _ => panic!("catalogue value {key} is not a string"),
        }
    }
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog {
    vi: parse(VI_SOURCE),
    en: parse(EN_SOURCE),
});

/// The message for `key` in `lang`; Vietnamese when the English one is missing; the key
/// itself when both are (a test makes sure that never ships).
pub fn t(lang: Lang, key: &str) -> &'static str {
    try_t(lang, key).unwrap_or_else(|| {
        tracing::warn!(key, "missing message");
        Box::leak(key.to_string().into_boxed_str())
    })
}

/// The message for `key` if the catalogue has one (for names of data that may also hold
/// values a province added, shown as they are when the catalogue has no name for them).
pub fn try_t(lang: Lang, key: &str) -> Option<&'static str> {
    let c = &*CATALOG;
    let primary = match lang {
        Lang::Vi => &c.vi,
        Lang::En => &c.en,
    };
    primary
        .get(key)
        .or_else(|| c.vi.get(key))
        .map(String::as_str)
}

/// A message with `{name}` placeholders filled in.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(lang, key).to_string();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    /// Keys written literally as `t("key")` in templates and handlers.
    fn used_keys() -> BTreeSet<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        files(&root.join("templates"), &mut paths);
        files(&root.join("src"), &mut paths);
        let mut keys = BTreeSet::new();
        for p in paths {
            let text = std::fs::read_to_string(&p).unwrap();
            for pat in ["t(\"", "tf(self.p.lang, \"", "Some(\""] {
                for (i, _) in text.match_indices(pat) {
                    let rest = &text[i + pat.len()..];
                    let key: String = rest.chars().take_while(|c| *c != '"').collect();
                    if key.contains('.')
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                    {
                        keys.insert(key);
                    }
                }
            }
        }
        keys
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let vi: BTreeSet<_> = parse(VI_SOURCE).into_keys().collect();
        let en: BTreeSet<_> = parse(EN_SOURCE).into_keys().collect();
        let only_vi: Vec<_> = vi.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&vi).collect();
        assert!(
            only_vi.is_empty() && only_en.is_empty(),
            "only in vi: {only_vi:?}; only in en: {only_en:?}"
        );
    }

    #[test]
    fn every_key_used_exists() {
        let vi = parse(VI_SOURCE);
        let mut used = used_keys();
        assert!(used.len() > 100, "the scan found only {} keys", used.len());
        // Keys built at run time from enums.
        for l in ["province", "district", "commune", "village"] {
            used.insert(format!("level.{l}"));
        }
        for p in ["whole", "part", "remainder"] {
            used.insert(format!("portion.{p}"));
        }
        for r in xaso_domain::auth::ALL_ROLES {
            used.insert(format!("role.{}", r.as_str()));
        }
        for t in [
            "dt_actual",
            "dt_attendance",
            "dt_certificate",
            "dt_course",
            "dt_indicator",
            "dt_member",
            "dt_report_template",
            "dt_session",
            "dt_support",
            "dt_targets",
            "dt_team",
            "dt_topic",
            "ict_asset",
            "ict_kind",
            "ict_stocktake",
            "producer_document",
            "unit",
            "unit_import",
            "user",
            "api_token",
            "criteria_set",
            "commune_profile",
            "indicator_values",
            "year_review",
            "evidence",
            "dossier_file",
            "dossier_checklist",
            "place",
            "place_import",
            "place_photo",
            "qr_code",
            "relic",
            "relic_audio",
            "tour",
            "unit_boundary",
            "producer",
            "product",
            "batch",
            "stamp_order",
            "stamp",
        ] {
            used.insert(format!("audit_type.{t}"));
        }
        for s in xaso_domain::ict::STATUSES {
            used.insert(format!("ict_status.{}", s.as_str()));
        }
        for f in xaso_domain::ict::FUNDINGS {
            used.insert(format!("ict_funding.{}", f.as_str()));
        }
        for f in [
            "tag",
            "kind",
            "name",
            "place_id",
            "location",
            "custodian",
            "serial",
            "model",
            "purchased_on",
            "funding",
            "value_vnd",
            "warranty_until",
            "status",
            "ip",
            "mac",
            "vlan",
            "admin_url",
            "wifi_ssid",
            "wifi_hours",
            "wifi_howto",
            "note",
            "device_token",
        ] {
            used.insert(format!("ict.f_{f}"));
        }
        for (_, key) in crate::ict::MESSAGE_KEYS {
            used.insert(key.to_string());
        }
        for k in xaso_domain::trace::ProducerKind::ALL {
            used.insert(format!("producer_kind.{}", k.as_str()));
        }
        for l in xaso_domain::trace::LabelSize::ALL {
            used.insert(format!("stamps.size_{}", l.as_str()));
        }
        for st in ["draft", "released", "recalled"] {
            used.insert(format!("batch_status.{st}"));
        }
        for st in ["pending", "approved", "rejected", "suspended"] {
            used.insert(format!("producer_status.{st}"));
        }
        for r in xaso_domain::heritage::Rank::ALL {
            used.insert(format!("heritage.rank_{}", r.as_str()));
        }
        for h in ["h1", "h2", "h3", "h4", "h5"] {
            used.insert(format!("district.{h}"));
        }
        for st in ["draft", "submitted", "approved", "returned"] {
            used.insert(format!("review.state_{st}"));
        }
        for l in ["ntm", "nang_cao", "kieu_mau", "hien_dai"] {
            used.insert(format!("ntm_level.{l}"));
            used.insert(format!("rollup_at.{l}"));
        }
        for a in ["create", "update", "delete", "import"] {
            used.insert(format!("audit_action.{a}"));
        }
        let missing: Vec<_> = used.iter().filter(|k| !vi.contains_key(*k)).collect();
        assert!(
            missing.is_empty(),
            "keys used but not in the catalogue: {missing:?}"
        );
    }

    #[test]
    fn vietnamese_text_is_nfc() {
        use unicode_normalization::is_nfc;
        for (k, v) in parse(VI_SOURCE) {
            assert!(is_nfc(&v), "{k} is not NFC");
        }
    }
}
