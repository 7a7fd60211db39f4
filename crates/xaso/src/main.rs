//! `xaso`: the one binary of Xã Số — web server, migrations, demo, imports, accounts, backups.

mod config;
mod pluscode;
mod server;

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use xaso_core::units::ImportOptions;
use xaso_core::users::RoleGrant;
use xaso_core::Actor;
use xaso_domain::auth::Role;
use xaso_storage::Store;

use config::{Config, Settings};

#[derive(Parser)]
#[command(
    name = "xaso",
    version,
    about = "Xã Số: the digital side of Vietnam's new-rural-area programme for an area and its communes"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// Settings every command shares.
#[derive(Args, Clone)]
struct Common {
    /// TOML configuration file (see `xaso config example`).
    #[arg(long, env = "XASO_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Folder for the SQLite database and uploaded files [default: ./xaso-data].
    #[arg(long, env = "XASO_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://… or postgres://… [default: SQLite in the data folder].
    #[arg(long, env = "XASO_DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Log format: human or json.
    #[arg(long, env = "XASO_LOG_FORMAT", global = true)]
    log_format: Option<String>,
    /// Where uploaded files live: s3://bucket/prefix (credentials from AWS_* variables) or
    /// file:///folder [default: the files folder in the data folder].
    #[arg(long, env = "XASO_FILES_URL", global = true)]
    files_url: Option<String>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "XASO_LISTEN")]
    listen: Option<String>,
    /// Public address (https://… marks cookies Secure).
    #[arg(long, env = "XASO_PUBLIC_URL")]
    public_url: Option<String>,
    /// Trust X-Forwarded-For from a reverse proxy.
    #[arg(long, env = "XASO_TRUST_PROXY")]
    trust_proxy: Option<bool>,
    /// Code of the area shown on the home page (e.g. 802).
    #[arg(long, env = "XASO_AREA_CODE")]
    area_code: Option<String>,
    /// Date the area code is read on (yyyy-mm-dd).
    #[arg(long, env = "XASO_AREA_AS_OF")]
    area_as_of: Option<String>,
    /// Map tile URL template ({z}/{x}/{y}); empty for points without tiles.
    #[arg(long, env = "XASO_TILE_URL")]
    tile_url: Option<String>,
    /// Serve /metrics on this address only (e.g. 127.0.0.1:9464), not on the public one.
    #[arg(long, env = "XASO_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Bearer token required to read /metrics (at least 16 characters).
    #[arg(long, env = "XASO_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Host names that open a commune's page: host=code pairs, comma separated.
    #[arg(long, env = "XASO_COMMUNE_HOSTS")]
    commune_hosts: Option<String>,
    /// Seconds /readyz reports "draining" after SIGTERM before the server stops accepting.
    #[arg(long, env = "XASO_DRAIN_SECS")]
    drain_secs: Option<u64>,
    /// Seconds a claimed job is kept by its instance without a heartbeat before another
    /// instance may take it over.
    #[arg(long, env = "XASO_JOB_LEASE_SECS")]
    job_lease_secs: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the platform (runs migrations first).
    Serve(ServeArgs),
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Load the demo data (once), then serve. Demo accounts and token are printed; never use in production.
    Demo(ServeArgs),
    /// Import data from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a backup archive to FILE while the platform runs: a consistent image of the
    /// database (SQLite, or pg_dump for PostgreSQL), every uploaded file, and a manifest with
    /// checksums and the schema version.
    Backup {
        /// Where to write the archive (a .zip); must not exist yet.
        file: PathBuf,
    },
    /// Restore a backup archive into an empty data folder (or an empty PostgreSQL database),
    /// after checking every checksum in it; then bring the schema up to date.
    Restore {
        /// The archive `xaso backup` wrote.
        file: PathBuf,
        /// Only check the archive (checksums, schema version); write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The file store (photos, evidence, documents, audio).
    #[command(subcommand)]
    Files(FilesCommand),
    /// Plus Codes (Open Location Code), offline: encode, decode, shorten, recover, validate.
    #[command(subcommand)]
    Pluscode(pluscode::PluscodeCommand),
    /// Run as a loudspeaker cluster's agent (on the device, not the server): fetch its
    /// schedule, play each item through a command, air emergency alerts, report what played
    /// (docs/PLAYERS.md).
    Speaker(SpeakerArgs),
}

#[derive(Args)]
struct SpeakerArgs {
    /// The platform's address, e.g. https://xaso.example.vn
    #[arg(long, env = "XASO_SERVER")]
    server: String,
    /// The device's id (its asset id in the commune's ICT register).
    #[arg(long, env = "XASO_DEVICE")]
    device: String,
    /// A file holding the device token (xsd_…); or set XASO_DEVICE_TOKEN.
    #[arg(long, env = "XASO_DEVICE_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    /// Folder for files, the last schedule, unsent reports and the play log (plays.jsonl).
    #[arg(long, env = "XASO_SPEAKER_CACHE", default_value = "./xaso-speaker")]
    cache: PathBuf,
    /// How to play a file; {file} is its path (appended when absent).
    #[arg(long, env = "XASO_PLAY_COMMAND", default_value = "aplay -q {file}")]
    play: String,
    /// How to speak an alert before the server's recording arrives ({file}: WAV to write,
    /// {text}: the text); empty to wait for the server's recording.
    #[arg(
        long,
        env = "XASO_SPEAK_COMMAND",
        default_value = "espeak-ng -v vi -w {file} {text}"
    )]
    speak: String,
    /// Seconds between schedule checks.
    #[arg(long, default_value_t = 60)]
    poll: u64,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import administrative units (code,name,type,parent_code,level) or a reform mapping
    /// (old_code,…,new_code,…,portion|split) from CSV. Each file is all-or-nothing.
    Units {
        /// CSV files, imported in the order given.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// First day the listed units are valid (unit lists). Omit when unknown.
        #[arg(long)]
        valid_from: Option<String>,
        /// Last day the listed units are valid (unit lists). Omit while still valid.
        #[arg(long)]
        valid_to: Option<String>,
        /// The day new units took over (mappings).
        #[arg(long, default_value = "2025-07-01")]
        effective: String,
        /// Import only the rows of this province code.
        #[arg(long)]
        province: Option<String>,
    },
    /// Import unit boundaries from a GeoJSON FeatureCollection whose features carry the unit's
    /// GSO code in a `code` property (all or nothing). Places are then checked against them.
    Boundaries {
        file: PathBuf,
        /// The day the codes are read on (yyyy-mm-dd).
        #[arg(long, default_value = "2025-07-01")]
        as_of: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account. Without --password-stdin a random password is generated and printed once.
    Add {
        username: String,
        /// Role: admin, area_officer, commune_officer, village_team, producer.
        #[arg(long)]
        role: String,
        /// Code of the unit the role covers (not for admin).
        #[arg(long)]
        unit: Option<String>,
        /// Date the unit code is read on (yyyy-mm-dd) [default: today].
        #[arg(long)]
        as_of: Option<String>,
        /// Full name shown in the interface.
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (ends the account's sessions).
    Passwd {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts and their roles.
    List,
}

#[derive(Subcommand)]
enum FilesCommand {
    /// Copy every file of the configured store (by default the data folder's files) into
    /// another store, e.g. s3://bucket/prefix, reading each back to check its SHA-256. Run it
    /// again after a failure: files already there are skipped. Nothing is deleted; switch
    /// files_url to the new store afterwards.
    Migrate {
        /// The store to copy into: s3://bucket/prefix or file:///folder.
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented example configuration file.
    Example,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn overrides(common: &Common, serve: Option<&ServeArgs>) -> Settings {
    Settings {
        listen: serve.and_then(|s| s.listen.clone()),
        data_dir: common.data_dir.clone(),
        database_url: common.database_url.clone(),
        log_format: common.log_format.clone(),
        public_url: serve.and_then(|s| s.public_url.clone()),
        trust_proxy: serve.and_then(|s| s.trust_proxy),
        area_code: serve.and_then(|s| s.area_code.clone()),
        area_as_of: serve.and_then(|s| s.area_as_of.clone()),
        tile_url: serve.and_then(|s| s.tile_url.clone()),
        metrics_listen: serve.and_then(|s| s.metrics_listen.clone()),
        metrics_token: serve.and_then(|s| s.metrics_token.clone()),
        commune_hosts: serve.and_then(|s| s.commune_hosts.clone()),
        files_url: common.files_url.clone(),
        drain_secs: serve.and_then(|s| s.drain_secs),
        job_lease_secs: serve.and_then(|s| s.job_lease_secs),
    }
}

async fn run(cli: Cli) -> Result<()> {
    if let Command::Config(ConfigCommand::Example) = cli.command {
        print!("{}", config::EXAMPLE);
        return Ok(());
    }
    if let Command::Pluscode(cmd) = cli.command {
        return pluscode::run(cmd);
    }
    if let Command::Speaker(args) = cli.command {
        return speaker(args).await;
    }
    let file = Settings::load(cli.common.config.as_deref())?;
    let serve_args = match &cli.command {
        Command::Serve(a) | Command::Demo(a) => Some(a.clone()),
        _ => None,
    };
    let mut o = overrides(&cli.common, serve_args.as_ref());
    if matches!(cli.command, Command::Demo(_)) && o.area_code.is_none() && file.area_code.is_none()
    {
        // The demo is about the former Đức Hòa district.
        o.area_code = Some("802".into());
        o.area_as_of = Some("2024-06-30".into());
    }
    let config = Config::resolve(o, file)?;
    init_logs(&config);
    match cli.command {
        Command::Serve(_) => {
            let store = open(&config).await?;
            server::serve(config, store, None).await
        }
        Command::Demo(_) => {
            let store = open(&config).await?;
            let files = server::open_files(&config)?;
            // The demo's printed stamps carry this installation's address.
            let base = config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.listen));
            let loaded = xaso_core::demo::load(&store, &files, &base)
                .await
                .context("loading the demo data failed")?;
            server::serve(config, store, Some(loaded)).await
        }
        Command::Migrate => {
            open(&config).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Import(ImportCommand::Boundaries { file, as_of }) => {
            let store = open(&config).await?;
            let day = date_arg("--as-of", Some(&as_of))?.expect("given");
            let data =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let source = file.display().to_string();
            match xaso_core::places::import_boundaries(
                &store,
                &Actor::system("cli"),
                &data,
                day,
                &source,
            )
            .await
            {
                Ok(n) => {
                    println!("{source}: {n} boundaries stored");
                    Ok(())
                }
                Err(xaso_core::Error::Invalid(problems)) => {
                    for p in &problems {
                        eprintln!("  {}: {}", p.at, p.detail);
                    }
                    bail!("nothing imported from {source}")
                }
                Err(e) => Err(anyhow::anyhow!("{e}")),
            }
        }
        Command::Import(ImportCommand::Units {
            files,
            valid_from,
            valid_to,
            effective,
            province,
        }) => {
            let store = open(&config).await?;
            let opts = ImportOptions {
                valid_from: date_arg("--valid-from", valid_from.as_deref())?,
                valid_to: date_arg("--valid-to", valid_to.as_deref())?,
                effective: date_arg("--effective", Some(&effective))?.expect("given"),
                province,
                source: String::new(),
            };
            let actor = Actor::system("cli");
            for path in files {
                let data = std::fs::read(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let opts = ImportOptions {
                    source: path.display().to_string(),
                    ..opts.clone()
                };
                let started = std::time::Instant::now();
                match xaso_core::units::import_csv(&store, &actor, &data, &opts).await {
                    Ok(r) => println!(
                        "{}: {} rows imported as {:?} ({} new, {} updated) in {:.2} s",
                        path.display(),
                        r.rows,
                        r.kind,
                        r.inserted,
                        r.updated,
                        started.elapsed().as_secs_f64()
                    ),
                    Err(xaso_core::Error::Invalid(problems)) => {
                        eprintln!(
                            "{}: nothing imported; {} problem(s):",
                            path.display(),
                            problems.len()
                        );
                        for p in problems.iter().take(200) {
                            eprintln!("  {}: {}", p.at, p.detail);
                        }
                        if problems.len() > 200 {
                            eprintln!("  … and {} more", problems.len() - 200);
                        }
                        bail!("import of {} failed", path.display());
                    }
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("import of {} failed", path.display()))
                    }
                }
            }
            Ok(())
        }
        Command::Files(FilesCommand::Migrate { to }) => {
            let from = server::open_files(&config)?;
            let target = xaso_storage::Files::open(&to)
                .with_context(|| format!("cannot use the file store {to}"))?;
            println!("copying files from {} to {}", from.place(), target.place());
            let mut last = std::time::Instant::now();
            let c = from
                .copy_into(&target, |done, total| {
                    if last.elapsed().as_secs() >= 2 || done == total {
                        println!("  {done}/{total}");
                        last = std::time::Instant::now();
                    }
                })
                .await
                .context("migration stopped")?;
            println!(
                "files copied and checked: {}, already there: {}, bytes in all: {}; now set files_url = \"{to}\"",
                c.copied, c.already, c.bytes
            );
            Ok(())
        }
        Command::User(cmd) => {
            let store = open(&config).await?;
            user_command(&store, cmd).await
        }
        Command::Backup { file } => {
            if file.exists() {
                bail!("{} already exists; choose a new file name", file.display());
            }
            let store = open(&config).await?;
            let files = server::open_files(&config)?;
            let s = xaso_core::backup::write(&store, &files, &config.database_url, &file)
                .await
                .map_err(explain)
                .with_context(|| format!("backup to {} failed", file.display()))?;
            print_summary("backup written to", &file, &s);
            Ok(())
        }
        Command::Restore { file, check } => {
            if check {
                let m = xaso_core::backup::check(&file).map_err(explain)?;
                println!(
                    "{}: a whole {} backup of {}, schema version {}, {} tables, {} files; every checksum matches",
                    file.display(),
                    m.engine,
                    m.created_at,
                    m.schema_version,
                    m.tables.len(),
                    m.files.len()
                );
                return Ok(());
            }
            let files = server::open_files(&config)?;
            let s = xaso_core::backup::restore(&file, &config.database_url, &files)
                .await
                .map_err(explain)
                .with_context(|| format!("nothing restored from {}", file.display()))?;
            // An older backup's schema is brought up to date like any database.
            open(&config).await?;
            print_summary("restored from", &file, &s);
            println!(
                "into {} (files in {})",
                config::redact(&config.database_url),
                config.data_dir.join("files").display()
            );
            Ok(())
        }
        Command::Config(_) | Command::Pluscode(_) | Command::Speaker(_) => {
            unreachable!("handled above")
        }
    }
}

/// The loudspeaker agent (crate xaso-speaker) with the computer's clock.
async fn speaker(args: SpeakerArgs) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let token = match (&args.token_file, std::env::var("XASO_DEVICE_TOKEN")) {
        (Some(f), _) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the token file {}", f.display()))?
            .trim()
            .to_string(),
        (None, Ok(t)) => t.trim().to_string(),
        (None, Err(_)) => {
            anyhow::bail!("give the device token in a file (--token-file) or XASO_DEVICE_TOKEN")
        }
    };
    if !token.starts_with("xsd_") {
        anyhow::bail!("a device token starts with xsd_ (make one on the device's page)");
    }
    let mut config = xaso_speaker::Config::new(&args.server, &args.device, &token, args.cache);
    config.play = args.play;
    config.speak = args.speak;
    config.poll = std::time::Duration::from_secs(args.poll.max(5));
    xaso_speaker::run(config, std::sync::Arc::new(xaso_speaker::SystemClock)).await
}

fn date_arg(name: &str, v: Option<&str>) -> Result<Option<NaiveDate>> {
    match v {
        None => Ok(None),
        Some(s) => xaso_domain::time::parse_date(s)
            .map(Some)
            .with_context(|| format!("{name} `{s}` is not a date (yyyy-mm-dd)")),
    }
}

async fn open(config: &Config) -> Result<Store> {
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create data folder {}", config.data_dir.display()))?;
    }
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| {
            format!(
                "cannot open database {}",
                config::redact(&config.database_url)
            )
        })?;
    store.migrate().await.context("database migration failed")?;
    xaso_core::criteria::ensure_national(&store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("storing the national criteria sets failed")?;
    Ok(store)
}

fn read_password(from_stdin: bool) -> Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        Ok((line.trim_end_matches(['\r', '\n']).to_string(), false))
    } else {
        Ok((xaso_core::auth::random_secret()[..20].to_string(), true))
    }
}

async fn user_command(store: &Store, cmd: UserCommand) -> Result<()> {
    let actor = Actor::system("cli");
    match cmd {
        UserCommand::Add {
            username,
            role,
            unit,
            as_of,
            name,
            password_stdin,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role `{role}`; use admin, area_officer, commune_officer, village_team or producer")
            })?;
            let as_of =
                date_arg("--as-of", as_of.as_deref())?.unwrap_or_else(xaso_domain::time::today_vn);
            let (password, generated) = read_password(password_stdin)?;
            let grant = RoleGrant {
                role,
                unit_code: unit,
            };
            xaso_core::users::add(store, &actor, &username, &name, &password, &[grant], as_of)
                .await
                .map_err(explain)?;
            println!("user {} added", username.trim().to_lowercase());
            if generated {
                println!("password (shown once): {password}");
            }
            Ok(())
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let (password, generated) = read_password(password_stdin)?;
            xaso_core::users::set_password(store, &actor, &username, &password)
                .await
                .map_err(explain)?;
            println!("password of {username} changed; their sessions were ended");
            if generated {
                println!("new password (shown once): {password}");
            }
            Ok(())
        }
        UserCommand::List => {
            for u in xaso_core::users::list(store, &actor)
                .await
                .map_err(explain)?
            {
                println!(
                    "{:<24} {:<40} {}{}",
                    u.username,
                    u.display_name,
                    u.roles.join("; "),
                    if u.active { "" } else { " (disabled)" }
                );
            }
            Ok(())
        }
    }
}

fn print_summary(what: &str, file: &std::path::Path, s: &xaso_core::backup::Summary) {
    let rows: u64 = s.manifest.tables.values().map(|t| t.rows).sum();
    let file_bytes: u64 = s.manifest.files.iter().map(|f| f.bytes).sum();
    println!(
        "{what} {} ({:.1} MB): {} database, schema version {}, {} tables with {rows} rows, {} files ({:.1} MB)",
        file.display(),
        s.bytes as f64 / 1e6,
        s.manifest.engine,
        s.manifest.schema_version,
        s.manifest.tables.len(),
        s.manifest.files.len(),
        file_bytes as f64 / 1e6
    );
}

/// Turns a core error into a message for the terminal.
fn explain(e: xaso_core::Error) -> anyhow::Error {
    match e {
        xaso_core::Error::Invalid(problems) => anyhow::anyhow!(
            "{}",
            problems
                .iter()
                .map(|p| format!("{}: {}", p.at, p.detail))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        xaso_core::Error::NotFound => anyhow::anyhow!("no such user"),
        other => anyhow::anyhow!(other),
    }
}

fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.json_logs {
        builder.json().init();
    } else {
        builder.init();
    }
}
