//! `xaso pluscode …`: Plus Codes on the command line, offline, no database.

use anyhow::{bail, Result};
use clap::Subcommand;
use xaso_domain::pluscode;

#[derive(Subcommand)]
pub enum PluscodeCommand {
    /// Encode a point (WGS84 degrees) as a full Plus Code.
    Encode {
        #[arg(allow_negative_numbers = true)]
        lat: f64,
        #[arg(allow_negative_numbers = true)]
        lng: f64,
        /// Digits: 2, 4, 6, 8, or 10 to 15 [default: 10].
        #[arg(long, default_value_t = pluscode::DEFAULT_LENGTH)]
        length: usize,
    },
    /// Decode a full code to its area (south-west and north-east corners, centre, length).
    Decode { code: String },
    /// Shorten a full code relative to a nearby reference point.
    Shorten {
        code: String,
        #[arg(allow_negative_numbers = true)]
        lat: f64,
        #[arg(allow_negative_numbers = true)]
        lng: f64,
    },
    /// Recover the full code nearest a reference point from a short code.
    Recover {
        short: String,
        #[arg(allow_negative_numbers = true)]
        lat: f64,
        #[arg(allow_negative_numbers = true)]
        lng: f64,
    },
    /// Say whether a code is valid, and whether it is short or full; exits 1 when invalid.
    Validate { code: String },
}

pub fn run(cmd: PluscodeCommand) -> Result<()> {
    match cmd {
        PluscodeCommand::Encode { lat, lng, length } => {
            println!("{}", pluscode::encode(lat, lng, length)?)
        }
        PluscodeCommand::Decode { code } => {
            let a = pluscode::decode(&code)?;
            println!(
                "latitude_lo={} longitude_lo={} latitude_hi={} longitude_hi={} latitude_center={} longitude_center={} code_length={}",
                a.latitude_lo,
                a.longitude_lo,
                a.latitude_hi,
                a.longitude_hi,
                a.latitude_center(),
                a.longitude_center(),
                a.code_length
            );
        }
        PluscodeCommand::Shorten { code, lat, lng } => {
            println!("{}", pluscode::shorten(&code, lat, lng)?)
        }
        PluscodeCommand::Recover { short, lat, lng } => {
            println!("{}", pluscode::recover_nearest(&short, lat, lng)?)
        }
        PluscodeCommand::Validate { code } => {
            let (valid, short, full) = (
                pluscode::is_valid(&code),
                pluscode::is_short(&code),
                pluscode::is_full(&code),
            );
            println!("valid={valid} short={short} full={full}");
            if !valid {
                bail!("`{code}` is not a valid Plus Code");
            }
        }
    }
    Ok(())
}
