//! A quick estimate of a dataset's size from its config alone, for the warning `gen load` prints
//! before a large load: expected joint rows from the chat pool's mean path and the activity model.
//! Within about 10 % of the real count at the default config; it is an estimate, not a target.

use crate::config::Config;

use super::calendar::Calendar;

/// Expected rows of the joint view (active chat-days).
pub fn joint_rows(c: &Config, cal: &Calendar) -> f64 {
    let lambda = if c.lifecycle_enabled { c.new_chats_lambda } else { 0.0 };
    let stay = 1.0 - 1.0 / c.lifetime_mean_days.max(1.0);
    let cap = f64::from(c.max_concurrent);
    let mut pool = c.initial_mean.clamp(f64::from(c.initial_min), f64::from(c.initial_max));
    let mut rows = 0.0;
    for d in 0..cal.days as usize {
        if d > 0 {
            pool *= stay;
        }
        pool = (pool + lambda * cal.factor[d]).min(cap);
        let q = (c.base_q * cal.factor[d]).clamp(c.q_clip_min, c.q_clip_max);
        let k = c.p_full_day * pool + (1.0 - c.p_full_day) * (pool * q + (1.0 - q).powf(pool)).min(pool.max(1.0));
        rows += if pool > 0.0 { k.max(pool.min(1.0)) } else { 0.0 };
    }
    // Accounts that sign up during the range exist for half of it on average.
    let existing = c.before_start_share + (1.0 - c.before_start_share) * 0.5;
    rows * c.n_accounts as f64 * existing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Source, load};

    #[test]
    fn default_config_is_about_2_6_million_rows() {
        let c = load(&Source::builtin(), None, &[]).unwrap();
        let rows = joint_rows(&c, &Calendar::new(&c));
        assert!((2.3e6..2.9e6).contains(&rows), "{rows}");
    }
}
