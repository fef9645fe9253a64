//! Anomaly injection with ground truth: the `anomalies:` block of a config (our eleven kinds,
//! or the original generator's scenario file), the choice of each injection's targets from the
//! plan, and their application to generated blocks before the rows reach DuckDB, with labels of
//! every changed unit and the facts of the manifest. Pure: nothing here touches the database.
//!
//! - [`spec`]: parse and validate our language into [`spec::Anomalies`].
//! - [`original`]: the original's `anomaly_scenarios.yaml`, translated into the same.
//! - [`select`]: eligible accounts, deterministic ranking, overlap policy, per-target draws.
//! - [`inject`]: rewriting a block's rows, labels and per-target effects.

pub mod inject;
pub mod original;
pub mod select;
pub mod spec;

pub use inject::{Applied, CleanTotals, Effect, Injector, Label, Unit};
pub use select::{Target, choose};
pub use spec::{Anomalies, Injection, Kind, Overlap};

/// The difficulty band of a target from its signal-to-noise ratio (the mean absolute daily cost
/// change in units of the clean baseline's daily standard deviation): `easy` ≥ 3, `medium` ≥ 1,
/// `hard` below; `invisible` when nothing changed; `unknown` without a baseline of 7 days, or when
/// rows changed but the cost did not (cap_spike's chats without dialog cost).
pub fn difficulty(delta_cents: i64, window_days: i32, e: &Effect) -> (Option<f64>, &'static str) {
    if e.units == 0 {
        return (Some(0.0), "invisible");
    }
    if delta_cents == 0 {
        return (None, "unknown");
    }
    if e.baseline_days < 7 {
        return (None, "unknown");
    }
    let per_day = delta_cents.unsigned_abs() as f64 / window_days.max(1) as f64;
    if e.baseline_sd_cents == 0.0 {
        return (None, "easy");
    }
    let snr = per_day / e.baseline_sd_cents;
    let band = if snr >= 3.0 {
        "easy"
    } else if snr >= 1.0 {
        "medium"
    } else {
        "hard"
    };
    (Some(snr), band)
}
