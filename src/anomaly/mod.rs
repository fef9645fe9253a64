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
pub use select::{Target, choose, passed_over};
pub use spec::{Anomalies, Injection, Kind, Overlap};

/// The difficulty band of a target: how far its change stands out of the clean day-to-day spread
/// of what it changes, over the days a detector can weigh it. With `snr` the mean absolute daily
/// cost change in units of the baseline's daily standard deviation (zero days included, so a
/// sparse series has a wide spread), and n the window's days, at most the baseline's days,
/// z = snr × √n: the z-score of the change summed over n days against the spread of a sum of n
/// clean days. A sum's spread is known only over as many days as the baseline has, so a longer
/// change counts as one of the baseline's length. Bands: `easy` z ≥ 10, `medium` ≥ 2, `hard`
/// below (`easy` when the baseline never varied); `invisible` when nothing changed; `unknown`
/// without a baseline of 7 days, or when rows changed but the cost did not (cap_spike's chats
/// without dialog cost). Returns (snr, z, band).
pub fn difficulty(delta_cents: i64, window_days: i32, e: &Effect) -> (Option<f64>, Option<f64>, &'static str) {
    if e.units == 0 {
        return (Some(0.0), Some(0.0), "invisible");
    }
    if delta_cents == 0 || e.baseline_days < 7 {
        return (None, None, "unknown");
    }
    let days = window_days.max(1);
    let per_day = delta_cents.unsigned_abs() as f64 / days as f64;
    if e.baseline_sd_cents == 0.0 {
        return (None, None, "easy");
    }
    let snr = per_day / e.baseline_sd_cents;
    let z = snr * (days.min(e.baseline_days as i32) as f64).sqrt();
    let band = if z >= EASY_Z {
        "easy"
    } else if z >= MEDIUM_Z {
        "medium"
    } else {
        "hard"
    };
    (Some(snr), Some(z), band)
}

/// The difficulty bands' lower bounds on z.
pub const EASY_Z: f64 = 10.0;
pub const MEDIUM_Z: f64 = 2.0;
