//! Configuration: built-in defaults < TOML file < `XASO_*` environment < command-line flags.
//! Clap merges the last two; the file fills in whatever neither gave.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use serde::Deserialize;

/// Settings as given by one source — the TOML file, or flags and environment (merged by clap).
/// Every key is optional; `Config::resolve` layers the sources over the defaults.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<String>,
    pub public_url: Option<String>,
    pub trust_proxy: Option<bool>,
    pub area_code: Option<String>,
    pub area_as_of: Option<String>,
    pub tile_url: Option<String>,
    pub metrics_listen: Option<String>,
    pub metrics_token: Option<String>,
    pub commune_hosts: Option<String>,
    pub files_url: Option<String>,
    pub drain_secs: Option<u64>,
    pub job_lease_secs: Option<u64>,
}

impl Settings {
    /// Reads the TOML file, if one is named.
    pub fn load(path: Option<&Path>) -> Result<Settings> {
        let Some(path) = path else {
            return Ok(Settings::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("config file {} is not valid", path.display()))
    }
}

/// The settings in force. Debug output hides the metrics token.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub json_logs: bool,
    pub public_url: Option<String>,
    pub trust_proxy: bool,
    pub area: Option<(String, NaiveDate)>,
    /// Map tiles: a URL template with {z}, {x}, {y}; empty for no tiles (points only).
    pub tile_url: String,
    /// A separate address for `/metrics` (e.g. 127.0.0.1:9464), kept off the public one.
    pub metrics_listen: Option<SocketAddr>,
    /// The bearer token a metrics scraper sends.
    pub metrics_token: Option<String>,
    /// Host names that open a commune's page: (host, unit code).
    pub commune_hosts: Vec<(String, String)>,
    /// Where uploaded files live; `None` for the data folder's `files`.
    pub files_url: Option<String>,
    /// How long /readyz says "draining" after SIGTERM before the server stops accepting.
    pub drain: std::time::Duration,
    /// How long a claimed job stays with its instance without a heartbeat.
    pub job_lease: std::time::Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact(&self.database_url))
            .field("public_url", &self.public_url)
            .field("metrics_listen", &self.metrics_listen)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("files_url", &self.files_url)
            .finish_non_exhaustive()
    }
}

/// OpenStreetMap's tile server: fine for a pilot; an installation with many users runs or
/// buys its own (see docs/OPERATIONS.md).
pub const DEFAULT_TILE_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./xaso-data";
/// Long enough for a load balancer polling /readyz every second or two to take the instance
/// out before it stops accepting.
pub const DEFAULT_DRAIN_SECS: u64 = 3;
pub const DEFAULT_JOB_LEASE_SECS: u64 = 60;

impl Config {
    /// `o` (flags and environment) wins over `f` (the file), which wins over the defaults.
    pub fn resolve(o: Settings, f: Settings) -> Result<Config> {
        let listen_text = o
            .listen
            .or(f.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen: SocketAddr = listen_text.parse().with_context(|| {
            format!("listen address `{listen_text}` is not host:port (e.g. 127.0.0.1:8080)")
        })?;
        let data_dir = o
            .data_dir
            .or(f.data_dir)
            .unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        let database_url = match o.database_url.or(f.database_url).filter(|s| !s.is_empty()) {
            Some(url) => url,
            None => format!("sqlite://{}?mode=rwc", data_dir.join("xaso.db").display()),
        };
        if xaso_storage::Engine::from_url(&database_url).is_none() {
            bail!(
                "database URL must start with sqlite:// or postgres:// (got `{}`)",
                redact(&database_url)
            );
        }
        let json_logs = match o.log_format.or(f.log_format).as_deref() {
            None | Some("human") => false,
            Some("json") => true,
            Some(other) => bail!("log format `{other}` is not human or json"),
        };
        let area_code = o.area_code.or(f.area_code).filter(|s| !s.is_empty());
        let area = match area_code {
            Some(code) => {
                let as_of_text = o.area_as_of.or(f.area_as_of);
                let as_of = match as_of_text.as_deref() {
                    Some(s) => xaso_domain::time::parse_date(s)
                        .with_context(|| format!("area_as_of `{s}` is not a date (yyyy-mm-dd)"))?,
                    None => xaso_domain::time::today_vn(),
                };
                Some((code, as_of))
            }
            None => None,
        };
        let metrics_listen = match o
            .metrics_listen
            .or(f.metrics_listen)
            .filter(|s| !s.is_empty())
        {
            Some(text) => Some(text.parse::<SocketAddr>().with_context(|| {
                format!("metrics_listen `{text}` is not host:port (e.g. 127.0.0.1:9464)")
            })?),
            None => None,
        };
        if metrics_listen == Some(listen) && listen.port() != 0 {
            bail!("metrics_listen must differ from listen ({listen})");
        }
        let metrics_token = o
            .metrics_token
            .or(f.metrics_token)
            .filter(|s| !s.is_empty());
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            bail!("metrics_token is too short: use at least 16 random characters");
        }
        let commune_hosts = parse_hosts(
            o.commune_hosts
                .or(f.commune_hosts)
                .as_deref()
                .unwrap_or_default(),
        )?;
        // Checked where it is opened (`Files::open`), the one place that knows the schemes.
        let files_url = o.files_url.or(f.files_url).filter(|s| !s.is_empty());
        let job_lease_secs = o
            .job_lease_secs
            .or(f.job_lease_secs)
            .unwrap_or(DEFAULT_JOB_LEASE_SECS);
        if job_lease_secs < 2 {
            bail!("job_lease_secs must be at least 2 (jobs renew their lease every third of it)");
        }
        Ok(Config {
            files_url,
            drain: std::time::Duration::from_secs(
                o.drain_secs.or(f.drain_secs).unwrap_or(DEFAULT_DRAIN_SECS),
            ),
            job_lease: std::time::Duration::from_secs(job_lease_secs),
            commune_hosts,
            listen,
            metrics_listen,
            metrics_token,
            data_dir,
            database_url,
            json_logs,
            public_url: o.public_url.or(f.public_url),
            trust_proxy: o.trust_proxy.or(f.trust_proxy).unwrap_or(false),
            area,
            tile_url: o
                .tile_url
                .or(f.tile_url)
                .unwrap_or_else(|| DEFAULT_TILE_URL.into()),
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// `host=code, host=code`: the host names that open a commune's page.
fn parse_hosts(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for pair in text
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let Some((host, code)) = pair.split_once('=') else {
            bail!("commune_hosts: `{pair}` is not host=code (e.g. xaduchoa.example.vn=27937)");
        };
        let (host, code) = (host.trim().to_ascii_lowercase(), code.trim().to_string());
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            || code.is_empty()
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            bail!("commune_hosts: `{pair}` is not host=code (e.g. xaduchoa.example.vn=27937)");
        }
        out.push((host, code));
    }
    Ok(out)
}

/// A database URL with any password hidden, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub const EXAMPLE: &str = r#"# Xã Số configuration (xaso.toml). Every key is optional.
# Precedence: built-in defaults < this file < XASO_* environment variables < command-line flags.
# Use it with: xaso serve --config xaso.toml   (or XASO_CONFIG=xaso.toml)

# Address and port to serve on. Env: XASO_LISTEN. Flag: --listen
listen = "127.0.0.1:8080"

# Folder for the SQLite database and uploaded files. Env: XASO_DATA_DIR. Flag: --data-dir
data_dir = "./xaso-data"

# Database. Empty means SQLite in data_dir (xaso.db). For PostgreSQL:
#   database_url = "postgres://xaso@127.0.0.1:5432/xaso"
# Env: XASO_DATABASE_URL. Flag: --database-url. Keep passwords out of files in version control.
# database_url = ""

# Logs: "human" (default) or "json". Env: XASO_LOG_FORMAT. Levels: RUST_LOG (default "info").
log_format = "human"

# The public address people use. When it starts with https://, cookies are marked Secure.
# Env: XASO_PUBLIC_URL.
# public_url = "https://xaso.example.gov.vn"

# Read the client address from X-Forwarded-For (only behind your own reverse proxy).
# Env: XASO_TRUST_PROXY.
trust_proxy = false

# The area this installation serves, shown on the home page: a unit code and the date the code
# is read on (codes were reused in the 2025 reform). Env: XASO_AREA_CODE, XASO_AREA_AS_OF.
# Map tiles for the places maps: a URL template with {z}/{x}/{y}; "" shows points without tiles.
# tile_url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# area_code = "802"
# area_as_of = "2024-06-30"

# Host names that open a commune's page (its portal home) at "/": host=code pairs, comma
# separated. Point each name at this server (DNS and the reverse proxy). Env: XASO_COMMUNE_HOSTS.
# commune_hosts = "xaduchoa.example.vn=27937, haunghia.example.vn=27931"

# Where uploaded files (photos, evidence, documents, audio, stamp sheets) live. Default: the
# "files" folder in data_dir. For several servers, an S3-compatible store they all reach:
#   files_url = "s3://xaso-files/production"
# with the endpoint, region and keys in the environment (never in this file): AWS_ENDPOINT,
# AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (AWS_ALLOW_HTTP=true for a plain-HTTP
# endpoint on a private network). `xaso files migrate --to s3://…` copies an existing folder.
# Env: XASO_FILES_URL. Flag: --files-url
# files_url = ""

# On SIGTERM the server first answers /readyz with 503 for this many seconds (so a load
# balancer stops sending it requests), then stops accepting and finishes what it has.
# Env: XASO_DRAIN_SECS.
# drain_secs = 3

# A job claimed by a server that stops renewing it (killed, cut off) is taken over by
# another server after this many seconds. Env: XASO_JOB_LEASE_SECS.
# job_lease_secs = 60

# Prometheus metrics (/metrics) are private; choose one way to reach them, or both:
# - their own address, kept off the public one (a firewall or 127.0.0.1 keeps it internal).
#   Env: XASO_METRICS_LISTEN. Flag: --metrics-listen
# metrics_listen = "127.0.0.1:9464"
# - a bearer token the scraper sends (Authorization: Bearer …), at least 16 characters;
#   required on whichever address serves them. Env: XASO_METRICS_TOKEN (better than this file).
# metrics_token = ""
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses_and_flags_beat_file() {
        let file: Settings = toml::from_str(EXAMPLE).expect("example is valid");
        assert_eq!(file.listen.as_deref(), Some("127.0.0.1:8080"));
        let o = Settings {
            listen: Some("0.0.0.0:9000".into()),
            ..Default::default()
        };
        let c = Config::resolve(o, file).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert!(c.database_url.starts_with("sqlite://"));
        assert!(!c.secure_cookies());
    }

    #[test]
    fn commune_hosts_are_host_code_pairs() {
        let o = Settings {
            commune_hosts: Some("XaDucHoa.example.vn=27937, haunghia.example.vn=27931".into()),
            ..Default::default()
        };
        let c = Config::resolve(o, Settings::default()).unwrap();
        assert_eq!(
            c.commune_hosts,
            [
                ("xaduchoa.example.vn".to_string(), "27937".to_string()),
                ("haunghia.example.vn".to_string(), "27931".to_string())
            ]
        );
        let o = Settings {
            commune_hosts: Some("xaduchoa.example.vn".into()),
            ..Default::default()
        };
        let e = Config::resolve(o, Settings::default()).unwrap_err();
        assert!(e.to_string().contains("host=code"));
    }

    #[test]
    fn bad_values_are_explained() {
        let o = Settings {
            listen: Some("nowhere".into()),
            ..Default::default()
        };
        let e = Config::resolve(o, Settings::default()).unwrap_err();
        assert!(e.to_string().contains("not host:port"));
        let o = Settings {
            database_url: Some("mysql://x".into()),
            ..Default::default()
        };
        assert!(Config::resolve(o, Settings::default()).is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://xaso:secret@db:5432/x"),
            "postgres://xaso:***@db:5432/x"
        );
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
