//! `gen config show|validate`: print or check the effective config after `--seed` and `--set`.

use std::process::ExitCode;

use anyhow::Result;

use super::ConfigArgs;

#[derive(clap::Args, Debug)]
/// Show or validate the effective config (after --seed and --set overrides).
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Print the effective config as YAML (canonical: comments dropped, every key present).
    Show(ConfigArgs),
    /// Check the config and print a one-line summary; exit 2 with every problem if invalid.
    Validate(ConfigArgs),
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.action {
        Action::Show(c) => {
            let (_, config) = c.load()?;
            let _ = crate::stdio::write_out(config.effective_yaml().as_bytes());
        }
        Action::Validate(c) => {
            let (source, config) = c.load()?;
            crate::out!(
                "ok: {} is valid: seed {}, {} accounts, {} to {} ({} days), distribute_to_chats {}",
                source.name,
                config.seed,
                config.n_accounts,
                config.start,
                config.end,
                config.days(),
                config.distribute.name()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
