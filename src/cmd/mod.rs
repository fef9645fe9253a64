//! One module per subcommand (`gen <name>`), plus the flags several of them share.

pub mod bench;
pub mod check;
pub mod config;
pub mod export;
pub mod load;
pub mod report;
pub mod sql;

use std::path::{Path, PathBuf};

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

/// The directory `file` will be written in (`.` for a bare name), or an error saying that it
/// does not exist, before anything is written.
pub fn existing_dir<'a>(file: &'a Path, action: &str) -> anyhow::Result<&'a Path> {
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        anyhow::bail!(
            "cannot {action} {}: directory {} does not exist",
            file.display(),
            dir.display()
        );
    }
    Ok(dir)
}
