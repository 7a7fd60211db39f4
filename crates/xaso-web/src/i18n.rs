//! The message catalogue: every string a page shows comes from `i18n/vi.toml` (the default) or
//! `i18n/en.toml`. A test keeps both files' keys equal and checks every key the templates use.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    let mut out = HashMap::new();
    flatten("", &table, &mut out);
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
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
    let c = &*CATALOG;
    let primary = match lang {
        Lang::Vi => &c.vi,
        Lang::En => &c.en,
    };
    primary
        .get(key)
        .or_else(|| c.vi.get(key))
        .map(String::as_str)
        .unwrap_or_else(|| {
            tracing::warn!(key, "missing message");
            Box::leak(key.to_string().into_boxed_str())
        })
}

/// A message with `{name}` placeholders filled in.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(lang, key).to_string();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}
