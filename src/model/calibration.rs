//! Calibration targets: for each knob (and service, weekday, month, retention day …) the value the
//! loaded data should show, computed from the config alone — or, for the activity profiles, from
//! the model's exact per-day expectations accumulated while generating — together with the
//! sampling spread that sets its tolerance. The observed values come from the SQL in
//! `sql/calibration/`; `sql/calibration_report.sql` joins the two.
//!
//! A target is not always the knob's literal value: a cap on a lognormal moves its median and
//! spread, prorated partial months change the monthly quota, probabilities clipped at 1 flatten
//! the weekday profile. `configured` keeps the literal value where it is on the same scale.

use super::calendar::Calendar;
use super::plan::{self, Plan};
use crate::config::{Config, Cost, DistributeMode};

/// How a row's tolerance is derived from its spread (see `sql/calibration_report.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Exact by construction: tolerance is the floor only.
    Exact,
    /// A share of `n` trials: z × sd/√n plus one count (1/n).
    Share,
    /// A mean, ratio or estimator: z × standard error.
    Estimate,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::Share => "share",
            Kind::Estimate => "estimate",
        }
    }
}

/// One calibration row's target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Config key path of the knob.
    pub knob: &'static str,
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
    /// A number the observing SQL needs (retention day, weekday, month, cap).
    pub param: Option<f64>,
}

/// Spread multiplier of the tolerance: |observed − target| ≤ Z × standard error. At 4 a
/// correctly generated dataset leaves a row outside about once in 16,000 rows.
pub const Z: f64 = 4.0;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// All targets, in report order. `expected` and `exposure` are the per-day sums of
/// [`Block::expected_chat_days`](super::block::Block) and [`Block::exposure`](super::block::Block)
/// over every block.
pub fn targets(c: &Config, cal: &Calendar, plan: &Plan, expected: &[f64], exposure: &[f64]) -> Vec<Target> {
    let mut rows = Rows(Vec::new());
    let share_sd = |p: f64| (p * (1.0 - p)).sqrt();

    // Accounts and chats.
    let p = c.before_start_share;
    rows.add(
        "accounts.before_start_share",
        None,
        "share signed up before start_date",
        Some(p),
        p,
        share_sd(p),
        Kind::Share,
    );
    let a = c.activity_shape;
    rows.add(
        "accounts.activity_shape",
        None,
        "Gamma shape of activity_level (mean^2/variance)",
        Some(a),
        a,
        (2.0 * a * (1.0 + a)).sqrt(),
        Kind::Estimate,
    );
    let (mean, sd) = capped_poisson_moments(c.chats_mean - 1.0, c.chats_max);
    rows.add(
        "chats.mean_per_account",
        None,
        "chats per account",
        Some(c.chats_mean),
        mean,
        sd,
        Kind::Estimate,
    );
    let total: f64 = c.chat_types.iter().map(|(_, w)| w).sum();
    for (name, w) in &c.chat_types {
        let p = w / total;
        rows.add(
            "chats.chat_types",
            Some(name),
            "share of chats",
            Some(p),
            p,
            share_sd(p),
            Kind::Share,
        );
    }

    // Chat activity profiles: activity per unit of exposure, relative to the mean item.
    let mut profile_rows = |knob, names: &[&str], multipliers: &[f64], index: &dyn Fn(usize) -> usize, what| {
        let n = names.len();
        let (mut e, mut x) = (vec![0.0; n], vec![0.0; n]);
        for d in 0..expected.len() {
            e[index(d)] += expected[d];
            x[index(d)] += exposure[d];
        }
        let present = |i: usize| x[i] > 0.0;
        let rates: Vec<Option<f64>> = (0..n).map(|i| present(i).then(|| e[i] / x[i])).collect();
        let literal: Vec<Option<f64>> = (0..n).map(|i| present(i).then_some(multipliers[i])).collect();
        for (i, (t, configured)) in normalise(&rates).into_iter().zip(normalise(&literal)).enumerate() {
            if let Some(t) = t {
                rows.add(knob, Some(names[i]), what, configured, t, t, Kind::Estimate)
                    .param = Some(i as f64 + 1.0);
            }
        }
    };
    profile_rows(
        "activity.dow_multiplier",
        &WEEKDAYS,
        &c.dow,
        &|d| cal.dow[d] as usize,
        "chat activity index (mean weekday = 1)",
    );
    profile_rows(
        "activity.month_multiplier",
        &MONTHS,
        &c.month,
        &|d| cal.month[d] as usize,
        "chat activity index (mean month = 1)",
    );
    cost_rows(&mut rows, "activity.cost_dialog", None, &c.cost_dialog);

    // Adoption.
    let months = cal.months();
    let month_fraction: f64 = months.iter().map(|m| m.fraction()).sum();
    let (mut weighted, mut weight) = (0.0, 0.0);
    for s in &c.services {
        let quota: u64 = months
            .iter()
            .map(|m| plan::monthly_quota(s.new_adopters_per_month, m))
            .sum();
        rows.add(
            "services_model.new_adopters_per_month",
            Some(s.service.name()),
            "first-use adopters per month",
            Some(s.new_adopters_per_month as f64),
            quota as f64 / month_fraction,
            0.0,
            Kind::Exact,
        );
        for m in &months {
            let k = plan::monthly_quota(s.new_adopters_per_month, m) as f64;
            weighted += k * first_half_probability(c.adoption_alpha, m.len, m.in_first - m.first, m.in_last - m.first);
            weight += k;
        }
    }
    if weight > 0.0 {
        let p = weighted / weight;
        rows.add(
            "services_model.adoption_day_bias.alpha",
            None,
            "share of adoptions in the first half of the month",
            Some(1.0 - 0.5f64.powf(1.0 + c.adoption_alpha)),
            p,
            share_sd(p),
            Kind::Share,
        );
    }

    // Subscriptions.
    for s in &c.services {
        let p = s.p_convert;
        rows.add(
            "services_model.p_convert_after_trial",
            Some(s.service.name()),
            "converted share of trials ended in range",
            Some(p),
            p,
            share_sd(p),
            Kind::Share,
        );
    }
    for &(day, share) in &c.retention {
        rows.add(
            "services_model.retention_targets",
            Some(&format!("day {day}")),
            "share of converted still subscribed",
            Some(share),
            share,
            share_sd(share),
            Kind::Share,
        )
        .param = Some(day as f64);
    }
    let last = c.retention.last().map_or(0, |r| r.0);
    let p = c.post_churn;
    rows.add(
        "services_model.post90_daily_churn",
        None,
        &format!("daily churn after day {last}"),
        Some(p),
        p,
        share_sd(p),
        Kind::Share,
    )
    .param = Some(last as f64);

    // Usage, events and costs.
    for s in &c.services {
        let name = Some(s.service.name());
        rows.add(
            "services_usage_days.mean_active_days",
            name,
            "usage days per 30 subscribed days",
            Some(s.mean_active_days),
            s.mean_active_days,
            0.0,
            Kind::Estimate,
        );
    }
    for s in &c.services {
        let name = Some(s.service.name());
        let m = s.mean_events - 1.0;
        let k = s.dispersion_k;
        rows.add(
            "services_event_volume.mean_events_per_active_day",
            name,
            "mean events per usage day",
            Some(s.mean_events),
            s.mean_events,
            (m + m * m / k).sqrt(),
            Kind::Estimate,
        );
        if m > 0.0 {
            rows.add(
                "services_event_volume.dispersion_k",
                name,
                "negative-binomial k (moments)",
                Some(k),
                k,
                nb_k_sd(m, k),
                Kind::Estimate,
            );
        }
    }
    for s in &c.services {
        cost_rows(&mut rows, "services.cost_when_used", Some(s.service.name()), &s.cost);
    }

    // Distribution to chats and bundling.
    match c.distribute {
        DistributeMode::OneChat => {
            rows.add(
                "services_model.distribute_to_chats.mode",
                Some("one_chat"),
                "chats per account usage-day",
                Some(1.0),
                1.0,
                0.0,
                Kind::Exact,
            );
        }
        DistributeMode::Spread => {
            rows.add(
                "services_model.distribute_to_chats.mode",
                Some("spread"),
                "chats per service usage-day / expected",
                None,
                1.0,
                1.0,
                Kind::Estimate,
            );
        }
    }
    let r = c.correlation;
    let p = plan.cross_adoption_share;
    rows.add(
        "services_model.correlation.strength",
        None,
        "share of adoptions by users of another service",
        None,
        p,
        share_sd(p),
        Kind::Share,
    );
    rows.add(
        "services_model.correlation.strength",
        None,
        "bundling strength squared (excess same-day use)",
        Some(r * r),
        r * r,
        0.0,
        Kind::Estimate,
    );
    rows.0
}

/// The rows being built, in report order.
struct Rows(Vec<Target>);

impl Rows {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        knob: &'static str,
        item: Option<&str>,
        metric: &str,
        configured: Option<f64>,
        target: f64,
        sd: f64,
        kind: Kind,
    ) -> &mut Target {
        self.0.push(Target {
            knob,
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
}

/// Median, spread and cap share of a capped lognormal, on the scale the SQL measures them:
/// the median, half the distance between the 15.87 % and 84.13 % quantiles of ln(value), and
/// the share of values at the cap.
fn cost_rows(rows: &mut Rows, knob: &'static str, item: Option<&str>, c: &Cost) {
    let mu = c.median.ln();
    let cap = c.max.ln();
    let median = c.median.min(c.max);
    rows.add(
        knob,
        item,
        "median",
        Some(c.median),
        median,
        median * c.sigma * (std::f64::consts::PI / 2.0).sqrt(),
        Kind::Estimate,
    );
    let sigma = ((mu + c.sigma).min(cap) - (mu - c.sigma).min(cap)) / 2.0;
    rows.add(
        knob,
        item,
        "sigma of ln (quantiles)",
        Some(c.sigma),
        sigma,
        c.sigma,
        Kind::Estimate,
    );
    let p = 1.0 - normal_cdf((cap - mu) / c.sigma);
    rows.add(
        knob,
        item,
        "share at the cap",
        None,
        p,
        (p * (1.0 - p)).sqrt(),
        Kind::Share,
    )
    .param = Some(c.max);
}

/// Divides each present value by the mean of the present values.
fn normalise(v: &[Option<f64>]) -> Vec<Option<f64>> {
    let present: Vec<f64> = v.iter().flatten().copied().collect();
    let mean = present.iter().sum::<f64>() / present.len().max(1) as f64;
    v.iter()
        .map(|x| x.and_then(|x| (mean > 0.0).then(|| x / mean)))
        .collect()
}

/// Mean and standard deviation of `min(1 + Poisson(lambda), max)`.
fn capped_poisson_moments(lambda: f64, max: u32) -> (f64, f64) {
    let lambda = lambda.max(0.0);
    let (mut m1, mut m2, mut mass) = (0.0, 0.0, 0.0);
    let mut pmf = (-lambda).exp();
    for j in 0..max.saturating_sub(1) {
        let n = 1.0 + j as f64;
        m1 += n * pmf;
        m2 += n * n * pmf;
        mass += pmf;
        pmf *= lambda / (j as f64 + 1.0);
    }
    let top = max as f64;
    m1 += top * (1.0 - mass);
    m2 += top * top * (1.0 - mass);
    (m1, (m2 - m1 * m1).max(0.0).sqrt())
}

/// Standard deviation of one observation for the moment estimator `k̂ = m̂² / (v̂ − m̂)` of a
/// negative binomial with mean `m` and dispersion `k` (delta method with its cumulants).
fn nb_k_sd(m: f64, k: f64) -> f64 {
    let k2 = m * (1.0 + m / k);
    let k3 = k2 * (1.0 + 2.0 * m / k);
    let k4 = k2 * (1.0 + 6.0 * m / k + 6.0 * m * m / (k * k));
    let dm = 2.0 * k / m + k * k / (m * m);
    let dv = -k * k / (m * m);
    (dm * dm * k2 + dv * dv * (k4 + 2.0 * k2 * k2) + 2.0 * dm * dv * k3)
        .max(0.0)
        .sqrt()
}

/// The probability that an adoption day falls in the first half of its month (day-of-month
/// index `i < len / 2`), given the model's draw `i = ⌊x·len⌋` with `P(x < t) = 1 − (1 − t)^(1+α)`,
/// redrawn until `lo ≤ i ≤ hi`.
pub fn first_half_probability(alpha: f64, len: i32, lo: i32, hi: i32) -> f64 {
    let f = |i: i32| 1.0 - (1.0 - (i as f64 / len as f64).clamp(0.0, 1.0)).powf(1.0 + alpha);
    let half = (len + 1) / 2; // first index of the second half
    let inside = f(hi + 1) - f(lo);
    if inside <= 0.0 {
        return 0.0;
    }
    let first = if lo < half { f((hi + 1).min(half)) - f(lo) } else { 0.0 };
    first / inside
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
    use crate::model::rng::global_stream;

    #[test]
    fn normal_cdf_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_746).abs() < 1e-7);
        assert!((normal_cdf(-2.0) - 0.022_750_132).abs() < 1e-7);
        assert!(normal_cdf(6.0) < 1.0 && normal_cdf(6.0) > 0.999_999_99);
    }

    #[test]
    fn first_half_matches_the_draw() {
        let mut rng = global_stream(9, 9);
        for (alpha, len, lo, hi) in [(0.0, 31, 0, 30), (1.0, 28, 0, 27), (2.0, 31, 5, 20), (1.0, 30, 20, 29)] {
            let n = 200_000;
            let mut hits = 0;
            let mut kept = 0;
            while kept < n {
                let i = (crate::model::dist::adoption_fraction(&mut rng, alpha) * len as f64) as i32;
                if (lo..=hi).contains(&i) {
                    kept += 1;
                    hits += ((i as f64) < len as f64 / 2.0) as u32;
                }
            }
            let want = first_half_probability(alpha, len, lo, hi);
            let got = hits as f64 / n as f64;
            assert!(
                (got - want).abs() < 0.005,
                "alpha {alpha} len {len} [{lo},{hi}]: {got} vs {want}"
            );
        }
    }

    #[test]
    fn capped_poisson_matches_simulation() {
        let (m, sd) = capped_poisson_moments(1.0, 8);
        assert!((m - 1.999_9).abs() < 1e-3, "{m}");
        assert!((sd - 1.0).abs() < 0.01, "{sd}");
        let (m, _) = capped_poisson_moments(5.0, 3);
        assert!(m < 3.0 && m > 2.9, "{m}");
        assert_eq!(capped_poisson_moments(0.0, 1), (1.0, 0.0));
    }

    #[test]
    fn nb_k_spread_matches_simulation() {
        // The spread of k̂ over repeated samples agrees with the delta-method figure.
        let (mean, k, n, reps) = (8.0, 1.5, 4000, 300);
        let mut rng = global_stream(10, 10);
        let ks: Vec<f64> = (0..reps)
            .map(|_| {
                let xs: Vec<f64> = (0..n)
                    .map(|_| crate::model::dist::events(&mut rng, mean, k) as f64 - 1.0)
                    .collect();
                let m = xs.iter().sum::<f64>() / n as f64;
                let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
                m * m / (v - m)
            })
            .collect();
        let mk = ks.iter().sum::<f64>() / reps as f64;
        let sd = (ks.iter().map(|x| (x - mk).powi(2)).sum::<f64>() / (reps - 1) as f64).sqrt();
        let want = nb_k_sd(mean - 1.0, k) / (n as f64).sqrt();
        assert!((sd / want - 1.0).abs() < 0.25, "simulated sd {sd} vs delta {want}");
    }
}
