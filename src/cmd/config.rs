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
            let (names, config) = c.load()?;
            // Targets are chosen from the plan: too few eligible accounts is found here too.
            if let Some(an) = &config.anomalies {
                let cal = crate::model::calendar::Calendar::new(&config);
                let plan = crate::model::plan::Plan::new(&config, &cal);
                crate::anomaly::choose(an, &config, &cal, &plan)?;
            }
            let anomalies = config.anomalies.as_ref().map_or(String::new(), |a| {
                let decoys = a.injections.iter().filter(|i| i.decoy).count();
                format!(
                    ", {} injection(s) and {decoys} known event(s)",
                    a.injections.len() - decoys
                )
            });
            crate::out!(
                "ok: {} is valid: seed {}, {} accounts, {} to {} ({} days), distribute_to_chats {}{anomalies}",
                names,
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
