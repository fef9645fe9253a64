//! One module per subcommand (`gen <name>`), plus the flags several of them share.

pub mod bench;
pub mod check;
pub mod config;
pub mod detect;
pub mod export;
pub mod generate;
pub mod load;
pub mod report;
pub mod score;
pub mod sql;
pub mod verify;

use std::path::PathBuf;

use crate::config::{self as cfg, Config};

/// The database file flag.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// DuckDB database file.
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
}

/// Which config to use and how to override it.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// YAML config file [default: the built-in default, same as configs/default.yaml].
    /// Repeatable: later files are merged over earlier ones (mappings key by key, anything else
    /// replaced); a file may also say `extends: FILE` (relative to itself) or `extends: default`.
    #[arg(long, value_name = "PATH")]
    pub config: Vec<PathBuf>,
    /// An anomaly spec merged in as the config's `anomalies:` block: ours (`injections:`) or
    /// the original generator's scenario file (`scenarios:`).
    #[arg(long, value_name = "PATH")]
    pub anomalies: Option<PathBuf>,
    /// Override dataset.seed.
    #[arg(long, value_name = "N", value_parser = whole::<0, { u64::MAX }>)]
    pub seed: Option<u64>,
    /// Override one config value, e.g. --set accounts.n_accounts=500 (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
}

impl ConfigArgs {
    /// Reads, layers, overrides and validates the config (printing its warnings on standard
    /// error); returns it and the layers' names.
    pub fn load(&self) -> Result<(String, Config), cfg::ConfigErrors> {
        let layers = cfg::read_layers(&self.config, self.anomalies.as_deref())?;
        let config = cfg::load_layers(&layers, self.seed, &self.sets)?;
        for w in config.warnings() {
            crate::err!("gen: warning: {w}");
        }
        Ok((config.blame.names(), config))
    }
}

/// DuckDB's memory cap, shared by every command that runs queries.
#[derive(clap::Args, Debug, Clone)]
pub struct MemoryArgs {
    /// DuckDB's memory limit (buffers, hash tables, sorts); beyond it DuckDB spills to a private
    /// temporary directory that is removed afterwards.
    #[arg(long, value_name = "SIZE", default_value = crate::db::DEFAULT_MEMORY_LIMIT, value_parser = parse_memory_limit)]
    pub memory_limit: String,
}

/// A process's peak resident memory in MB (`VmHWM` of a `/proc/PID/status` file), where /proc
/// has it: `gen generate` reports its own, `gen bench` polls its children's.
pub fn peak_rss_mb(status_file: &str) -> Option<f64> {
    let status = std::fs::read_to_string(status_file).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// A whole-number flag in `[MIN, MAX]`, with a message that says what is allowed (clap's own says
/// "invalid digit found in string").
pub fn whole<const MIN: u64, const MAX: u64>(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(v) if (MIN..=MAX).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` is not allowed; allowed: a whole number in [{MIN}, {MAX}]"
        )),
    }
}

/// A DuckDB memory size: a number and a unit (B, KB, MB, GB, TB, PB or KiB … PiB), checked here
/// so that a typo is an argument error before any file is touched. DuckDB knows no peta units,
/// so PB and PiB are passed on as TB and TiB.
fn parse_memory_limit(s: &str) -> Result<String, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim().to_ascii_uppercase();
    let (prefix, base) = match unit.strip_suffix("IB") {
        Some(p) if !p.is_empty() => (p, 1024f64),
        _ => (unit.strip_suffix('B').unwrap_or("?"), 1000f64),
    };
    let power = ["", "K", "M", "G", "T", "P"].iter().position(|p| *p == prefix);
    match (num.parse::<f64>(), power) {
        (Ok(v), Some(power)) if v.is_finite() => {
            let bytes = v * base.powi(power as i32);
            if !(16e6..=MAX_MEMORY_BYTES).contains(&bytes) {
                return Err(format!("`{s}` is out of range; allowed: a size from 16MB to 1PiB"));
            }
            Ok(match unit.as_str() {
                "PB" => format!("{}TB", v * 1000.0),
                "PIB" => format!("{}TIB", v * 1024.0),
                _ => format!("{num}{unit}"),
            })
        }
        _ => Err(format!(
            "`{s}` is not a memory size; allowed: a number and a unit (B, KB, MB, GB, TB, PB or KiB, MiB, GiB, TiB, PiB) such as 300MB, 2GB or 512MiB"
        )),
    }
}

/// The largest `--memory-limit`: 1 PiB, beyond any machine.
const MAX_MEMORY_BYTES: f64 = 1_125_899_906_842_624.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_limits_need_a_unit() {
        assert_eq!(parse_memory_limit("300MB").as_deref(), Ok("300MB"));
        assert_eq!(parse_memory_limit(" 2 gib ").as_deref(), Ok("2GIB"));
        assert_eq!(parse_memory_limit("1.5GB").as_deref(), Ok("1.5GB"));
        for bad in [
            "300",
            "lots",
            "0MB",
            "MB",
            "3XB",
            "1KB",
            "99999999999999999999GB",
            "1IB",
            "2PB",
            "1.1PiB",
        ] {
            assert!(parse_memory_limit(bad).is_err(), "{bad}");
        }
        // Peta units are accepted up to 1 PiB, and passed on in units DuckDB knows.
        assert_eq!(parse_memory_limit("1PB").as_deref(), Ok("1000TB"));
        assert_eq!(parse_memory_limit("1pib").as_deref(), Ok("1024TIB"));
        assert_eq!(parse_memory_limit("1000TB").as_deref(), Ok("1000TB"));
        assert_eq!(parse_memory_limit("1024TiB").as_deref(), Ok("1024TIB"));
        assert_eq!(
            parse_memory_limit("2PB").unwrap_err(),
            "`2PB` is out of range; allowed: a size from 16MB to 1PiB"
        );
    }
}
