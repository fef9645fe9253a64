//! The distributions of the model, each a small pure function of a random stream so that its
//! exact semantics are in one place (and documented in the README's model section).

use rand::Rng;
use rand_distr::{Distribution, Gamma, Poisson, StandardNormal};

use crate::config::Cost;

/// Costs are rounded to this many decimal places (micro-units), so that exports print short,
/// stable numbers.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The cost of `events` events at `unit` each, rounded like every cost but never below one
/// micro-unit: a used service always costs something, so `has_<service>` and a positive cost agree
/// in the joint view even when a lognormal draw lands far below the stored resolution.
pub fn usage_cost(events: u32, unit: f64) -> f64 {
    round6(events as f64 * unit).max(1e-6)
}

/// `min(max, median × exp(sigma × Z))`, Z standard normal: a lognormal with the given median.
pub fn capped_lognormal<R: Rng>(rng: &mut R, c: &Cost) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    (c.median * (c.sigma * z).exp()).min(c.max)
}

/// Events on a usage day: `1 + NB`, where NB is negative binomial with mean `mean - 1` and
/// dispersion `k` (variance `m + m²/k`), drawn as a Gamma–Poisson mixture. The mean is `mean`.
pub fn events<R: Rng>(rng: &mut R, mean: f64, k: f64) -> u32 {
    let m = mean - 1.0;
    if m <= 0.0 {
        return 1;
    }
    let lambda = Gamma::new(k, m / k).expect("validated k > 0, m > 0").sample(rng);
    if lambda <= 0.0 {
        return 1;
    }
    let n = Poisson::new(lambda).map(|p| p.sample(rng)).unwrap_or(lambda);
    1 + n.min(u32::MAX as f64 - 1.0) as u32
}

/// Per-account activity level, Gamma with mean 1 and the given shape (variance 1/shape).
pub fn activity_level<R: Rng>(rng: &mut R, shape: f64) -> f64 {
    Gamma::new(shape, 1.0 / shape).expect("validated shape > 0").sample(rng)
}

/// Fraction of a month for an adoption day, with density `(1 + α)(1 − x)^α` on [0, 1):
/// uniform at α = 0, more mass early as α grows; `P(x < ½) = 1 − ½^(1+α)`.
pub fn adoption_fraction<R: Rng>(rng: &mut R, alpha: f64) -> f64 {
    let u: f64 = rng.random();
    1.0 - (1.0 - u).powf(1.0 / (1.0 + alpha))
}

/// The survival curve of a converted subscription, in days since adoption: 1 until the trial
/// ends, then piecewise exponential through each `(day, share)` retention target, then a constant
/// daily churn probability after the last target.
#[derive(Debug, Clone)]
pub struct Survival {
    knots: Vec<(f64, f64)>,
    tail_hazard: f64,
}

impl Survival {
    pub fn new(trial_days: u32, targets: &[(u32, f64)], post_daily_churn: f64) -> Self {
        let mut knots = vec![(trial_days as f64, 1.0)];
        knots.extend(targets.iter().map(|&(d, s)| (d as f64, s)));
        Survival {
            knots,
            tail_hazard: -(1.0 - post_daily_churn).ln(),
        }
    }

    /// `S(t)`: the share of converted subscribers still subscribed `t` days after adoption.
    pub fn survival(&self, t: f64) -> f64 {
        let (t0, s0) = self.knots[0];
        if t <= t0 {
            return s0;
        }
        for w in self.knots.windows(2) {
            let ((a, sa), (b, sb)) = (w[0], w[1]);
            if t <= b {
                return sa * (sb / sa).powf((t - a) / (b - a));
            }
        }
        let &(tl, sl) = self.knots.last().expect("at least the trial knot");
        sl * (-self.tail_hazard * (t - tl)).exp()
    }

    /// Lifetime `L` in days with `P(L > t) = S(t)`, by inversion of one uniform; the subscriber is
    /// subscribed on day offsets `0 ≤ k < L`. Infinite when there is no tail churn.
    pub fn lifetime<R: Rng>(&self, rng: &mut R) -> f64 {
        self.lifetime_at(1.0 - rng.random::<f64>()) // u in (0, 1]
    }

    /// The inverse of [`Self::survival`] beyond the trial: the `t` with `S(t) = u`.
    pub fn lifetime_at(&self, u: f64) -> f64 {
        for w in self.knots.windows(2) {
            let ((a, sa), (b, sb)) = (w[0], w[1]);
            if u >= sb {
                if sa == sb || u >= sa {
                    return a;
                }
                return a + (b - a) * (sa / u).ln() / (sa / sb).ln();
            }
        }
        let &(tl, sl) = self.knots.last().expect("at least the trial knot");
        if self.tail_hazard == 0.0 {
            return f64::INFINITY;
        }
        tl + (sl / u).ln() / self.tail_hazard
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rng::global_stream;

    #[test]
    fn survival_hits_targets() {
        let s = Survival::new(14, &[(30, 0.85), (60, 0.7), (90, 0.6)], 0.004);
        assert_eq!(s.survival(10.0), 1.0);
        assert!((s.survival(30.0) - 0.85).abs() < 1e-12);
        assert!((s.survival(90.0) - 0.6).abs() < 1e-12);
        assert!((s.survival(91.0) - 0.6 * 0.996).abs() < 1e-12);
        let mut rng = global_stream(1, 1);
        let n = 200_000;
        let alive30 = (0..n).filter(|_| s.lifetime(&mut rng) > 30.0).count() as f64 / n as f64;
        assert!((alive30 - 0.85).abs() < 0.005, "{alive30}");
    }

    #[test]
    fn lifetime_inverts_survival() {
        let s = Survival::new(14, &[(30, 0.85), (60, 0.7), (90, 0.6)], 0.004);
        for t in [20.0, 45.0, 75.0, 200.0] {
            let l = s.lifetime_at(s.survival(t));
            assert!((l - t).abs() < 1e-9, "{t} vs {l}");
        }
    }

    #[test]
    fn events_have_configured_mean_and_dispersion() {
        let mut rng = global_stream(2, 2);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| events(&mut rng, 8.0, 1.5) as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!((mean - 8.0).abs() < 0.1, "{mean}");
        let m = 7.0;
        assert!((var - (m + m * m / 1.5)).abs() / (m + m * m / 1.5) < 0.05, "{var}");
        assert!(xs.iter().all(|&x| x >= 1.0));
    }

    #[test]
    fn adoption_bias_first_half_share() {
        let mut rng = global_stream(3, 3);
        for alpha in [0.0, 1.0, 3.0] {
            let n = 100_000;
            let first = (0..n).filter(|_| adoption_fraction(&mut rng, alpha) < 0.5).count() as f64 / n as f64;
            let want = 1.0 - 0.5f64.powf(1.0 + alpha);
            assert!((first - want).abs() < 0.01, "alpha {alpha}: {first} vs {want}");
        }
    }

    #[test]
    fn capped_lognormal_respects_cap_and_median() {
        let mut rng = global_stream(4, 4);
        let c = Cost {
            median: 0.02,
            sigma: 0.8,
            max: 0.05,
        };
        let mut xs: Vec<f64> = (0..100_001).map(|_| capped_lognormal(&mut rng, &c)).collect();
        assert!(xs.iter().all(|&x| x > 0.0 && x <= 0.05));
        xs.sort_by(f64::total_cmp);
        assert!((xs[50_000] - 0.02).abs() < 0.0005, "{}", xs[50_000]);
    }
}
