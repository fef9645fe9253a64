//! One module per subcommand (`gen <name>`), plus the flags several of them share.

pub mod bench;
pub mod check;
pub mod config;
pub mod export;
pub mod load;
pub mod report;
pub mod sql;

use std::path::PathBuf;

use crate::config::{self as cfg, Config, Source};

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
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Override dataset.seed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Override one config value, e.g. --set accounts.n_accounts=500 (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
}

impl ConfigArgs {
    /// Reads, overrides and validates the config.
    pub fn load(&self) -> Result<(Source, Config), cfg::ConfigErrors> {
        let source = Source::from_path(self.config.as_deref())?;
        let config = cfg::load(&source, self.seed, &self.sets)?;
        Ok((source, config))
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

/// A DuckDB memory size: a number and a unit (B, KB, MB, GB, TB or KiB … TiB), checked here so
/// that a typo is an argument error before any file is touched.
fn parse_memory_limit(s: &str) -> Result<String, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let units = ["B", "KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB"];
    match (num.parse::<f64>(), unit.trim().to_ascii_uppercase()) {
        (Ok(v), u) if v > 0.0 && v.is_finite() && units.contains(&u.as_str()) => Ok(format!("{num}{u}")),
        _ => Err(format!(
            "`{s}` is not a memory size; allowed: a number and a unit such as 300MB, 2GB or 512MiB"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_limits_need_a_unit() {
        assert_eq!(parse_memory_limit("300MB").as_deref(), Ok("300MB"));
        assert_eq!(parse_memory_limit(" 2 gib ").as_deref(), Ok("2GIB"));
        assert_eq!(parse_memory_limit("1.5GB").as_deref(), Ok("1.5GB"));
        for bad in ["300", "lots", "0MB", "MB", "3XB"] {
            assert!(parse_memory_limit(bad).is_err(), "{bad}");
        }
    }
}
