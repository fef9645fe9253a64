//! Calibration targets: for each knob (and service, weekday, month, retention day …) the value the
//! loaded data should show and the spread that sets its tolerance. A target is computed from the
//! config alone where the model allows (a share, a clipped Poisson's mean), from the plan (the
//! adoptions each month could place), or from expectations the generator accumulates given the
//! path it took (a chat's room under the pool cap, a subscription window's eligible days) — each
//! the expectation of an observable given what came before, so observed − target has mean 0. The
//! activity rows' targets need the stored pool sizes and are computed by their SQL. The observed
//! values come from `sql/calibration/`; `sql/calibration_report.sql` joins the two.

use super::block::{Expected, Sums};
use super::calendar::Calendar;
use super::dist;
use super::plan::Plan;
use crate::config::{AdoptionBias, Config, Cost, DistributeMode, Service};

/// How a row's tolerance is derived (see `sql/calibration_report.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Exact by construction: tolerance is the floor only.
    Exact,
    /// A share of `n` trials: z × sd/√n plus one count (1/n).
    Share,
    /// A mean, ratio or estimator: z × standard error.
    Estimate,
    /// Target and standard error computed by the observing SQL (from stored pool sizes).
    Model,
    /// The knob has no effect at this config (a switch that is off); reported, not checked.
    Inactive,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::Share => "share",
            Kind::Estimate => "estimate",
            Kind::Model => "model",
            Kind::Inactive => "inactive",
        }
    }
}

/// One calibration row's target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Config key path of the knob.
    pub knob: String,
    /// Service, chat type, weekday, month or retention day; `None` for a global knob.
    pub item: Option<String>,
    pub metric: String,
    /// The knob's literal value, when on the same scale as the target.
    pub configured: Option<f64>,
    pub target: f64,
    /// Standard deviation of one observation, so the standard error is `sd / √n` with the `n`
    /// the SQL reports; 0 when the SQL computes its own standard error.
    pub sd: f64,
    /// Smallest tolerance.
    pub floor: f64,
    pub kind: Kind,
    /// A number the observing SQL needs (retention day, weekday, month, a count from the model).
    pub param: Option<f64>,
}

/// Spread multiplier of the tolerance: |observed − target| ≤ Z × standard error. At 4.5 a
/// correctly generated dataset leaves a normal row outside about once in 150,000 rows; the
/// margin above 4 covers estimators that are only nearly normal at small n.
pub const Z: f64 = 4.5;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The rows being built, in report order.
struct Rows(Vec<Target>);

impl Rows {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        knob: &str,
        item: Option<&str>,
        metric: &str,
        configured: Option<f64>,
        target: f64,
        sd: f64,
        kind: Kind,
    ) -> &mut Target {
        self.0.push(Target {
            knob: knob.to_string(),
            item: item.map(str::to_string),
            metric: metric.to_string(),
            configured,
            target,
            sd,
            floor: 1e-9,
            kind,
            param: None,
        });
        self.0.last_mut().expect("just pushed")
    }

    fn exact(
        &mut self,
        knob: &str,
        item: Option<&str>,
        metric: &str,
        configured: Option<f64>,
        target: f64,
    ) -> &mut Target {
        self.add(knob, item, metric, configured, target, 0.0, Kind::Exact)
    }

    fn share(&mut self, knob: &str, item: Option<&str>, metric: &str, configured: Option<f64>, p: f64) -> &mut Target {
        self.add(knob, item, metric, configured, p, (p * (1.0 - p)).sqrt(), Kind::Share)
    }

    fn model(&mut self, knob: &str, item: Option<&str>, metric: &str, configured: Option<f64>) -> &mut Target {
        self.add(knob, item, metric, configured, 0.0, 0.0, Kind::Model)
    }

    fn inactive(&mut self, knob: &str, metric: &str) -> &mut Target {
        self.add(knob, None, metric, None, 0.0, 0.0, Kind::Inactive)
    }

    /// A mean over `sums.n` units with its exact expectation: target E/n, one-observation sd
    /// √(Var/n) so that the standard error is √Var / n.
    fn sums(
        &mut self,
        knob: &str,
        item: Option<&str>,
        metric: &str,
        configured: Option<f64>,
        (mean, var, n): (f64, f64, f64),
    ) {
        if n > 0.0 {
            self.add(
                knob,
                item,
                metric,
                configured,
                mean / n,
                (var / n).sqrt(),
                Kind::Estimate,
            );
        }
    }
}

/// All targets, in report order. `expected` is the sum of every block's [`Expected`].
pub fn targets(c: &Config, cal: &Calendar, plan: &Plan, expected: &Expected) -> Vec<Target> {
    let mut rows = Rows(Vec::new());
    let days = f64::from(cal.days);

    // Accounts.
    let n = c.n_accounts as f64;
    rows.exact("accounts.n_accounts", None, "accounts", Some(n), n);
    rows.exact("accounts.account_id_min", None, "ids below account_id_min", None, 0.0)
        .param = Some(c.account_id_min as f64);
    rows.exact("accounts.account_id_max", None, "ids above account_id_max", None, 0.0)
        .param = Some(c.account_id_max as f64);
    let p = c.before_start_share + (1.0 - c.before_start_share) / days;
    rows.share(
        "accounts.before_start_share",
        None,
        "share existing on the first day",
        Some(c.before_start_share),
        p,
    );
    match c.activity_shape {
        Some(a) => {
            rows.add(
                "accounts.activity_shape",
                None,
                "Gamma shape of activity_level (mean^2/variance)",
                Some(a),
                a,
                (2.0 * a * (1.0 + a)).sqrt(),
                Kind::Estimate,
            );
        }
        None => {
            rows.exact(
                "accounts.activity_shape",
                None,
                "largest |activity_level - 1| (null: every account alike)",
                None,
                0.0,
            );
        }
    }

    // Chats and their pool.
    rows.exact(
        "chats.max_concurrent_per_account",
        None,
        "share of account-days with a pool above the cap",
        Some(f64::from(c.max_concurrent)),
        0.0,
    )
    .param = Some(f64::from(c.max_concurrent));
    rows.exact(
        "chats.chat_id_digits",
        None,
        "share of chat ids longer than the digits",
        Some(f64::from(c.chat_id_digits)),
        0.0,
    )
    .param = Some(10f64.powi(c.chat_id_digits as i32));
    let weighted = c.raw.chats.chat_type_weights.is_some();
    let total: f64 = c.chat_types.iter().map(|(_, w)| w).sum();
    for (name, w) in &c.chat_types {
        let p = w / total;
        let knob = if weighted {
            "chats.chat_type_weights"
        } else {
            "chats.chat_types"
        };
        rows.share(knob, Some(name), "share of chats", Some(p), p);
    }
    let init = dist::poisson_clamped(c.initial_mean, u64::from(c.initial_min), u64::from(c.initial_max));
    rows.add(
        "chat_lifecycle.initial_active_chats_per_account",
        Some("mean"),
        "mean initial pool per account (clipped Poisson)",
        Some(c.initial_mean),
        init.mean,
        init.var.sqrt(),
        Kind::Estimate,
    );
    rows.exact(
        "chat_lifecycle.initial_active_chats_per_account",
        Some("bounds"),
        "share of initial pools outside the bounds",
        None,
        0.0,
    );
    if c.lifecycle_enabled {
        rows.sums(
            "chat_lifecycle.new_chats_lambda_per_account_day",
            None,
            "arrivals per account-day (seasonality and cap included)",
            Some(c.new_chats_lambda),
            (expected.arrivals, expected.arrivals_var, expected.account_days),
        );
    } else {
        rows.exact(
            "chat_lifecycle.enabled",
            None,
            "chat arrivals (enabled: false)",
            None,
            0.0,
        );
    }
    // The observing SQL derives the tolerance from the ends this mean implies (param).
    rows.add(
        "chat_lifecycle.lifetime.mean_days",
        None,
        "mean spell in the pool (censored MLE)",
        Some(c.lifetime_mean_days),
        c.lifetime_mean_days,
        0.0,
        Kind::Estimate,
    )
    .param = Some(c.lifetime_mean_days);
    let p = c.reactivation_prob;
    rows.share(
        "chat_lifecycle.reactivation_prob",
        None,
        "reactivations per account-day with an expired chat",
        Some(p),
        p,
    )
    .param = Some(expected.reactivation_days);

    // Daily activity: targets from the stored pool sizes (sql/calibration/activity.sql).
    rows.model(
        "activity.base_q",
        None,
        "active chats per account-day (binomial with floor and full days)",
        Some(c.base_q),
    );
    rows.exact(
        "activity.base_q",
        Some("floor"),
        "share of account-days with a pool but no active chat",
        None,
        0.0,
    );
    rows.model(
        "activity.p_full_day",
        None,
        "share of full days (estimated)",
        Some(c.p_full_day),
    );
    rows.model(
        "activity.q_clip_min",
        None,
        "active chats per account-day where q is clipped up",
        Some(c.q_clip_min),
    );
    rows.model(
        "activity.q_clip_max",
        None,
        "active chats per account-day where q is clipped down",
        Some(c.q_clip_max),
    );
    for (knob, names, values, what) in [
        ("activity.dow_multiplier", &WEEKDAYS[..], &c.dow[..], "weekday"),
        ("activity.month_multiplier", &MONTHS[..], &c.month[..], "month"),
    ] {
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        for (i, (name, v)) in names.iter().zip(values).enumerate() {
            rows.model(
                knob,
                Some(name),
                &format!("active chats per pool chat relative to the mean {what}"),
                Some(v / mean),
            )
            .param = Some(i as f64 + 1.0);
        }
    }
    let sigma = c.popularity_sigma;
    rows.add(
        "activity.chat_popularity_lognorm_sigma",
        None,
        "sd of ln(popularity) over chats",
        Some(sigma),
        sigma,
        sigma / 2f64.sqrt(),
        Kind::Estimate,
    )
    .floor = 1e-6;

    // Dialog and paid-service usage days.
    let dialog = c.service(Service::Dialog);
    count_rows(
        &mut rows,
        "services_usage_days.dialog",
        "dialog",
        "dialog days per account",
        dialog.mean_active_days,
        dialog.days_k,
        &expected.dialog_days,
    );
    for (si, p) in c.paid().iter().enumerate() {
        count_rows(
            &mut rows,
            "services_usage_days",
            p.service.name(),
            "usage days per adopter (at least the adoption day)",
            p.mean_active_days,
            p.days_k,
            &expected.usage_days[si],
        );
    }
    if c.scale_to_window {
        rows.inactive(
            "services_usage_days.reference_window_days",
            "in the usage and dialog day targets above (scale_to_window: true)",
        );
    } else {
        rows.inactive(
            "services_usage_days.reference_window_days",
            "not used (scale_to_window: false)",
        );
    }
    let s = c.intensity_sigma;
    rows.add(
        "services_usage_days.intensity_sigma",
        None,
        "sd of ln(intensity) over adopters",
        Some(s),
        s,
        s / 2f64.sqrt(),
        Kind::Estimate,
    )
    .floor = 1e-6;

    // Events and costs.
    for p in c.paid() {
        let name = Some(p.service.name());
        if c.usage_pricing {
            let r = p.pricing.base_rate;
            rows.add(
                "services_model.usage.base_event_rate_per_day",
                name,
                "mean events per usage day (Poisson)",
                Some(r),
                r,
                r.sqrt(),
                Kind::Estimate,
            );
            continue;
        }
        let (m, k) = (p.mean_events, p.events_k);
        rows.add(
            "services_event_volume.mean_events_per_active_day",
            name,
            "mean events per usage day",
            Some(m),
            m,
            (m + m * m / k).sqrt(),
            Kind::Estimate,
        );
        if m > 0.0 {
            rows.add(
                "services_event_volume.dispersion_k",
                name,
                "1/k: mean of ((events - mean)^2 - events) / mean^2",
                Some(k),
                1.0 / k,
                dist::nb_inverse_k_sd(m, k),
                Kind::Estimate,
            )
            .param = Some(m);
        }
    }
    for p in &c.services {
        let name = p.service.name();
        if c.usage_pricing {
            rows.exact(
                "services_model.usage.pricing",
                Some(name),
                "share of costs outside the pricing bounds",
                None,
                0.0,
            );
            continue;
        }
        cost_rows(&mut rows, name, &p.cost);
    }
    if c.usage_pricing {
        rows.inactive(
            "services.cost_when_used",
            "not used (services_model.usage.enabled: true)",
        );
    } else {
        rows.inactive("services_model.usage", "not used (enabled: false)");
    }
    for (item, share) in [("qc", c.split_qc), ("check_list", c.split_check_list)] {
        rows.exact(
            "services.classifications_split",
            Some(item),
            "share of the classifications cost",
            Some(share),
            share,
        )
        .floor = 0.002;
    }

    // Adoption, trials, conversion, retention.
    for (si, p) in c.paid().iter().enumerate() {
        let name = Some(p.service.name());
        rows.exact(
            "services_model.launch_dates",
            name,
            "share of adoptions before launch",
            None,
            0.0,
        );
        let months = &plan.months[si];
        let active: Vec<_> = months.iter().filter(|m| m.quota > 0).collect();
        let placed: u64 = months.iter().map(|m| m.placed).sum();
        if !active.is_empty() {
            rows.exact(
                "services_model.new_adopters_per_month",
                name,
                "adoptions per month with a quota (partial months prorated)",
                Some(f64::from(p.new_adopters_per_month)),
                placed as f64 / active.len() as f64,
            )
            .param = Some(active.len() as f64);
        }
    }
    rows.exact(
        "services_model.launch_dates",
        Some("dialog"),
        "share of dialog days before launch",
        None,
        0.0,
    );
    let (mut e, mut v, mut k) = (0.0, 0.0, 0.0);
    for m in plan.months.iter().flatten() {
        e += m.first_half_expected;
        v += m.first_half_var;
        k += m.placed as f64;
    }
    if k > 0.0 {
        let literal = match c.adoption_bias {
            AdoptionBias::ExpDecay(a) => {
                (0..15).map(|d| (-a * f64::from(d)).exp()).sum::<f64>()
                    / (0..30).map(|d| (-a * f64::from(d)).exp()).sum::<f64>()
            }
            AdoptionBias::Polynomial(a) => 1.0 - 0.5f64.powf(1.0 + a),
        };
        rows.add(
            "services_model.adoption_day_bias",
            Some(c.adoption_bias.name()),
            "share of adoptions on days 1-15 of their month",
            Some(literal),
            e / k,
            (v / k).sqrt(),
            Kind::Share,
        );
    }
    for p in c.paid() {
        let name = Some(p.service.name());
        rows.exact(
            "services_model.trial_days",
            name,
            "trial length (days)",
            Some(f64::from(p.trial_days)),
            f64::from(p.trial_days),
        );
        rows.share(
            "services_model.p_convert_after_trial",
            name,
            "converted share of trials ended in range",
            Some(p.p_convert),
            p.p_convert,
        );
        for (day, r) in [30, 60, 90].into_iter().zip(p.retention) {
            rows.share(
                "services_model.retention_targets",
                Some(&format!("{} r{day}", p.service.name())),
                &format!("share of converted still subscribed on day {day}"),
                Some(r),
                r,
            )
            .param = Some(f64::from(day));
        }
        let q = p.post90_daily_churn;
        rows.share(
            "services_model.post90_daily_churn",
            name,
            "churn per subscriber-day after day 90",
            Some(q),
            q,
        );
    }

    // Distribution to chats and bundling.
    match c.distribute {
        DistributeMode::OneChat => {
            rows.exact(
                "services_model.distribute_to_chats.mode",
                Some("one_chat"),
                "chats per account usage-day",
                Some(1.0),
                1.0,
            );
        }
        DistributeMode::Spread => {
            rows.add(
                "services_model.distribute_to_chats.mode",
                Some("spread"),
                "chats per paid usage-day / expected",
                None,
                1.0,
                1.0,
                Kind::Estimate,
            );
        }
    }
    let p = plan.cross_adoption_share;
    rows.share(
        "services_model.correlation.strength",
        None,
        "share of adoptions by users of another service",
        Some(c.correlation),
        p,
    );
    rows.0
}

/// A day count's rows: the mean per unit (its exact expectation, clamping included) under
/// `<section>.mean_active_days`, and the mean of its square (which the dispersion k moves) under
/// `<section>.dispersion_k`.
fn count_rows(rows: &mut Rows, section: &str, item: &str, metric: &str, mean: f64, k: f64, s: &Sums) {
    let item = Some(item);
    let knob = format!("{section}.mean_active_days");
    rows.sums(&knob, item, metric, Some(mean), (s.mean, s.var, s.n));
    let knob = format!("{section}.dispersion_k");
    let metric = format!("mean of ({metric})^2");
    rows.sums(&knob, item, &metric, Some(k), (s.sq_mean, s.sq_var, s.n));
}

/// A service's cost rows, on the base cost (volume scaling divided out): the median, sigma as
/// half the distance between the 15.87 % and 84.13 % quantiles of ln(cost − min), the share at
/// the cap; or, when median = min, the share of costs at the minimum.
fn cost_rows(rows: &mut Rows, item: &str, c: &Cost) {
    let knob = "services.cost_when_used";
    if c.median <= c.min {
        rows.exact(knob, Some(item), "share of costs at min (median = min)", Some(1.0), 1.0)
            .floor = 1e-9;
        return;
    }
    let mu = (c.median - c.min).ln();
    let cap = (c.max - c.min).ln();
    let median = c.median.min(c.max);
    // Costs are whole cents: the median moves by up to half a cent.
    rows.add(
        knob,
        Some(item),
        "median",
        Some(c.median),
        median,
        (c.median - c.min) * c.sigma * (std::f64::consts::PI / 2.0).sqrt(),
        Kind::Estimate,
    )
    .floor = 0.0051;
    let sigma = ((mu + c.sigma).min(cap) - (mu - c.sigma).min(cap)) / 2.0;
    rows.add(
        knob,
        Some(item),
        "sigma of ln(cost - min) (quantiles)",
        Some(c.sigma),
        sigma,
        c.sigma,
        Kind::Estimate,
    )
    .floor = 0.005;
    let p = if c.sigma > 0.0 {
        1.0 - normal_cdf((cap - mu) / c.sigma)
    } else {
        f64::from(u8::from(c.median >= c.max))
    };
    rows.share(knob, Some(item), "share at max", None, p).param = Some(c.max);
}

/// The standard normal CDF, from [`erfc`] (about 1e-7 accurate, plenty for a tolerance).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function, Numerical Recipes' Chebyshev fit (fractional error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_746).abs() < 1e-7);
        assert!((normal_cdf(-2.0) - 0.022_750_132).abs() < 1e-7);
        assert!(normal_cdf(6.0) < 1.0 && normal_cdf(6.0) > 0.999_999_99);
    }
}
