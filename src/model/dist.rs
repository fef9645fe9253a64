//! The distributions of the model, each a small pure function of a random stream so that its
//! exact semantics are in one place (and documented in the README's model section), plus the
//! exact moments the calibration targets need.

use rand::Rng;
use rand_distr::{Binomial, Distribution, Gamma, Poisson, StandardNormal};

use crate::config::{Cost, Pricing};

/// Costs are in currency units, rounded to cents.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Poisson(λ) as a count; 0 for λ ≤ 0.
pub fn poisson<R: Rng>(rng: &mut R, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    Poisson::new(lambda).map_or(0, |p| p.sample(rng).min(u32::MAX as f64) as u64)
}

/// Negative binomial with the given mean and dispersion `k` (variance `mean + mean²/k`), drawn
/// as a Gamma–Poisson mixture; 0 for a mean ≤ 0.
pub fn negative_binomial<R: Rng>(rng: &mut R, mean: f64, k: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    let lambda = Gamma::new(k, mean / k).map_or(mean, |g| g.sample(rng));
    poisson(rng, lambda)
}

/// Geometric on {1, 2, …} with the given mean (≥ 1): each day in the pool ends the stay with
/// probability 1/mean.
pub fn geometric_days<R: Rng>(rng: &mut R, mean: f64) -> u32 {
    let u: f64 = rng.random();
    if mean <= 1.0 {
        return 1;
    }
    let q = 1.0 - 1.0 / mean; // probability of staying another day
    let extra = ((1.0 - u).ln() / q.ln()).floor();
    (1.0 + extra).min(1e9) as u32
}

/// `exp(sigma × Z)`, Z standard normal: LogNormal(0, sigma).
pub fn lognormal_unit<R: Rng>(rng: &mut R, sigma: f64) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    (sigma * z).exp()
}

/// Gamma with mean 1 and the given shape (variance 1/shape): a per-account activity level.
pub fn activity_level<R: Rng>(rng: &mut R, shape: f64) -> f64 {
    Gamma::new(shape, 1.0 / shape).map_or(1.0, |g| g.sample(rng))
}

/// Binomial(n, q).
pub fn binomial<R: Rng>(rng: &mut R, n: u64, q: f64) -> u64 {
    if n == 0 || q <= 0.0 {
        return 0;
    }
    if q >= 1.0 {
        return n;
    }
    Binomial::new(n, q).map_or(0, |b| b.sample(rng))
}

/// The base cost of a used service-day before volume scaling:
/// `clip(min + LogNormal(ln(median − min), sigma), min, max)`; the minimum when median = min.
/// One normal draw either way, so the stream does not depend on the parameters.
pub fn base_cost<R: Rng>(rng: &mut R, c: &Cost) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    let above = if c.median > c.min {
        ((c.median - c.min).ln() + c.sigma * z).exp()
    } else {
        0.0
    };
    (c.min + above).clamp(c.min, c.max)
}

/// A paid service-day's cost: the base cost scaled by volume, `× max(1, events / mean)`, in
/// cents, never below one cent (a used service always costs something).
pub fn scaled_cost(base: f64, events: u64, mean_events: f64) -> f64 {
    let scale = if mean_events > 0.0 {
        (events as f64 / mean_events).max(1.0)
    } else {
        1.0
    };
    round2(base * scale).max(0.01)
}

/// The opt-in usage pricing: `clip(base_fee + per_sec × Σ durations, min, max)` over `events`
/// events of LogNormal(ln median_sec, sigma) seconds each, in cents (at least one).
pub fn usage_cost<R: Rng>(rng: &mut R, p: &Pricing, events: u64) -> f64 {
    let mut seconds = 0.0;
    for _ in 0..events {
        seconds += p.duration.median_sec * lognormal_unit(rng, p.duration.sigma);
    }
    round2((p.base_fee + p.per_sec * seconds).clamp(p.min, p.max)).max(0.01)
}

/// The survival of a converted subscription, by whole days since adoption: subscribed through the
/// trial, then piecewise-constant daily churn hazards chosen so that exactly `r30`, `r60` and `r90`
/// of converted subscribers are still subscribed on days 30, 60 and 90, then `post90` per day.
#[derive(Debug, Clone)]
pub struct Survival {
    /// (segment start day, survival there, daily survival factor within the segment).
    segments: Vec<(f64, f64, f64)>,
}

impl Survival {
    pub fn new(trial_days: u32, targets: [f64; 3], post90: f64) -> Survival {
        let t = f64::from(trial_days);
        let [r30, r60, r90] = targets;
        let factor = |from: f64, to: f64, len: f64| {
            if from <= 0.0 { 1.0 } else { (to / from).powf(1.0 / len) }
        };
        Survival {
            segments: vec![
                (t, 1.0, factor(1.0, r30, 30.0 - t)),
                (30.0, r30, factor(r30, r60, 30.0)),
                (60.0, r60, factor(r60, r90, 30.0)),
                (90.0, r90, 1.0 - post90),
            ],
        }
    }

    /// `S(t)`: the share of converted subscribers still subscribed `t` whole days after adoption.
    pub fn survival(&self, t: u32) -> f64 {
        let t = f64::from(t);
        match self.segments.iter().rev().find(|(start, _, _)| *start < t) {
            None => 1.0,
            Some(&(start, s, g)) => s * g.powf(t - start),
        }
    }

    /// The first day offset `t` with `S(t) < u`, i.e. `ended_on − adopted_on`, for one uniform
    /// `u` in (0, 1]; `None` when the subscription never ends.
    pub fn end_offset(&self, u: f64) -> Option<u32> {
        for (i, &(start, s, g)) in self.segments.iter().enumerate() {
            let end = self.segments.get(i + 1).map_or(f64::INFINITY, |n| n.0);
            // Within the segment S(start + j) = s × g^j for 1 ≤ j ≤ end − start.
            if s < u {
                return Some(start as u32);
            }
            let j = if g >= 1.0 {
                continue;
            } else if g <= 0.0 {
                1.0
            } else {
                // The smallest j ≥ 1 with s·g^j < u.
                ((u / s).ln() / g.ln()).floor() + 1.0
            };
            if start + j <= end {
                return Some((start + j).min(f64::from(u32::MAX / 4)) as u32);
            }
        }
        None
    }

    /// A lifetime from one draw of the stream.
    pub fn draw<R: Rng>(&self, rng: &mut R) -> Option<u32> {
        self.end_offset(1.0 - rng.random::<f64>()) // u in (0, 1]
    }
}

/// Chooses `n` of `candidates` without replacement, each next pick in proportion to `weight` among
/// those left (successive sampling), by the Efraimidis–Spirakis keys `ln(U) / w`; returns the
/// chosen positions in increasing order. Zero weights are never chosen while others remain.
pub fn weighted_choice<R: Rng>(rng: &mut R, weights: &[f64], n: usize, out: &mut Vec<usize>) {
    out.clear();
    if n == 0 {
        return;
    }
    if n >= weights.len() {
        out.extend(0..weights.len());
        return;
    }
    let mut keys: Vec<(f64, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let u: f64 = 1.0 - rng.random::<f64>();
            let key = if w > 0.0 { u.ln() / w } else { f64::NEG_INFINITY };
            (key, i)
        })
        .collect();
    keys.select_nth_unstable_by(n - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    out.extend(keys[..n].iter().map(|k| k.1));
    out.sort_unstable();
}

/// Moments of a clamped count X: mean and variance, and those of X² (for the dispersion rows of
/// the calibration report).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Moments {
    pub mean: f64,
    pub var: f64,
    /// E[X²] and Var[X²].
    pub sq_mean: f64,
    pub sq_var: f64,
}

/// Moments of `clamp(N, lo, hi)` for a count N with `ln P(N = 0) = ln_p0` and
/// `ln P(N = j + 1) − ln P(N = j) = ln_ratio(j)`, summed in log space (no underflow for large
/// means) until the remaining mass is negligible or `hi` is reached.
fn clamped_moments(ln_p0: f64, ln_ratio: &dyn Fn(f64) -> f64, lo: u64, hi: u64, mean_hint: f64) -> Moments {
    let mut m = [0.0f64; 4];
    let mut mass = 0.0;
    let mut ln_p = ln_p0;
    let mut j = 0u64;
    let mut add = |v: f64, p: f64| {
        let mut x = p;
        for mk in m.iter_mut() {
            x *= v;
            *mk += x;
        }
    };
    while j < hi {
        let p = ln_p.exp();
        add(j.max(lo) as f64, p);
        mass += p;
        ln_p += ln_ratio(j as f64);
        j += 1;
        if mass > 1.0 - 1e-14 && j as f64 > mean_hint {
            break;
        }
    }
    if j == hi {
        add(hi.max(lo) as f64, (1.0 - mass).max(0.0));
    }
    Moments {
        mean: m[0],
        var: (m[1] - m[0] * m[0]).max(0.0),
        sq_mean: m[1],
        sq_var: (m[3] - m[1] * m[1]).max(0.0),
    }
}

/// Moments of `clamp(Poisson(λ), lo, hi)`.
pub fn poisson_clamped(lambda: f64, lo: u64, hi: u64) -> Moments {
    if lambda <= 0.0 {
        let v = lo.min(hi) as f64;
        return Moments {
            mean: v,
            sq_mean: v * v,
            ..Moments::default()
        };
    }
    let ln_l = lambda.ln();
    clamped_moments(
        -lambda,
        &|j| ln_l - (j + 1.0).ln(),
        lo,
        hi,
        lambda + 10.0 * lambda.sqrt() + 10.0,
    )
}

/// Moments of `clamp(NB(mean, k), lo, hi)`.
pub fn nb_clamped(mean: f64, k: f64, lo: u64, hi: u64) -> Moments {
    if mean <= 0.0 {
        let v = lo.min(hi) as f64;
        return Moments {
            mean: v,
            sq_mean: v * v,
            ..Moments::default()
        };
    }
    let p = k / (k + mean);
    let ln_q = (1.0 - p).ln();
    clamped_moments(
        k * p.ln(),
        &|j| (j + k).ln() - (j + 1.0).ln() + ln_q,
        lo,
        hi,
        mean + 10.0 * (mean + mean * mean / k).sqrt() + 10.0,
    )
}

/// Mean and variance of `min(Binomial(n, p), cap)`: the adoptions a month's slots place on some
/// days when only `cap` accounts are free. Summed over the pmf within 12 standard deviations of
/// the mean (the mass outside is below 1e-30) and normalised there, so a large `n` costs O(√n).
pub fn binomial_capped(n: u64, p: f64, cap: u64) -> (f64, f64) {
    if n == 0 || p <= 0.0 {
        return (0.0, 0.0);
    }
    if p >= 1.0 {
        return (n.min(cap) as f64, 0.0);
    }
    let (nf, q) = (n as f64, 1.0 - p);
    let (mean, var) = (nf * p, nf * p * q);
    if cap >= n {
        return (mean, var);
    }
    let reach = 12.0 * var.sqrt() + 10.0;
    let lo = (mean - reach).floor().max(0.0) as u64;
    let hi = ((mean + reach).ceil() as u64).min(n);
    if cap <= lo {
        return (cap as f64, 0.0);
    }
    if cap >= hi {
        return (mean, var);
    }
    // ln of the pmf up to a constant, by the ratio P(j + 1) / P(j) = (n − j) / (j + 1) · p / q.
    let ln_odds = (p / q).ln();
    let mut ln_w = Vec::with_capacity((hi - lo + 1) as usize);
    let mut l = 0.0;
    for j in lo..=hi {
        ln_w.push(l);
        l += ((nf - j as f64) / (j as f64 + 1.0)).ln() + ln_odds;
    }
    let top = ln_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mut mass, mut m1, mut m2) = (0.0, 0.0, 0.0);
    for (j, l) in (lo..=hi).zip(ln_w) {
        let w = (l - top).exp();
        let x = j.min(cap) as f64;
        mass += w;
        m1 += w * x;
        m2 += w * x * x;
    }
    let m = m1 / mass;
    (m, (m2 / mass - m * m).max(0.0))
}

/// The standard deviation of one observation of `((X − μ)² − X) / μ²`, an unbiased estimate of
/// `1/k` for X ~ NB(μ, k) with μ known (from the NB's cumulants).
pub fn nb_inverse_k_sd(mu: f64, k: f64) -> f64 {
    let k2 = mu * (1.0 + mu / k);
    let k3 = k2 * (1.0 + 2.0 * mu / k);
    let k4 = k2 * (1.0 + 6.0 * mu / k + 6.0 * mu * mu / (k * k));
    let m4 = k4 + 3.0 * k2 * k2;
    let ey2 = m4 - 2.0 * (k3 + mu * k2) + k2 + mu * mu;
    let ey = mu * mu / k;
    (ey2 - ey * ey).max(0.0).sqrt() / (mu * mu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rng::global_stream;

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        (m, xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0))
    }

    #[test]
    fn binomial_capped_matches_a_direct_sum_and_the_limits() {
        // A direct sum of the pmf for a small n.
        let direct = |n: u64, p: f64, cap: u64| {
            let (mut pmf, mut m1, mut m2) = ((1.0 - p).powi(n as i32), 0.0, 0.0);
            for j in 0..=n {
                let x = j.min(cap) as f64;
                m1 += pmf * x;
                m2 += pmf * x * x;
                pmf *= (n - j) as f64 / (j as f64 + 1.0) * p / (1.0 - p);
            }
            (m1, m2 - m1 * m1)
        };
        for (n, p, cap) in [
            (40, 0.3, 10),
            (40, 0.3, 12),
            (60, 0.82, 45),
            (7, 0.5, 0),
            (100, 0.01, 1),
        ] {
            let (m, v) = binomial_capped(n, p, cap);
            let (dm, dv) = direct(n, p, cap);
            assert!(
                (m - dm).abs() < 1e-9 && (v - dv).abs() < 1e-9,
                "{n} {p} {cap}: {m} {v} vs {dm} {dv}"
            );
        }
        assert_eq!(binomial_capped(50, 0.4, 50), (20.0, 12.0));
        assert_eq!(binomial_capped(50, 1.0, 30), (30.0, 0.0));
        assert_eq!(binomial_capped(50, 0.0, 30), (0.0, 0.0));
        // A saturated month: a million slots for 300 free accounts places exactly 300.
        assert_eq!(binomial_capped(1_000_000, 0.8, 300), (300.0, 0.0));
        let (m, v) = binomial_capped(10_000_000, 0.5, 5_000_000);
        let sd = (2.5e6f64).sqrt();
        // E[min(X, mean)] = mean − E[(X − mean)+] ≈ mean − sd/√(2π).
        assert!(
            (m - (5e6 - sd / (2.0 * std::f64::consts::PI).sqrt())).abs() < 1.0,
            "{m}"
        );
        assert!(v > 0.0 && v < 2.5e6, "{v}");
    }

    #[test]
    fn survival_hits_every_target_exactly() {
        let s = Survival::new(7, [0.85, 0.6, 0.45], 0.01);
        assert_eq!(s.survival(0), 1.0);
        assert_eq!(s.survival(7), 1.0);
        assert!((s.survival(30) - 0.85).abs() < 1e-12);
        assert!((s.survival(60) - 0.6).abs() < 1e-12);
        assert!((s.survival(90) - 0.45).abs() < 1e-12);
        assert!((s.survival(91) - 0.45 * 0.99).abs() < 1e-12);
        // The drawn lifetimes have that survival: subscribed on day t iff end > t.
        let mut rng = global_stream(1, 1);
        let n = 200_000;
        let ends: Vec<Option<u32>> = (0..n).map(|_| s.draw(&mut rng)).collect();
        for (t, want) in [
            (7, 1.0),
            (30, 0.85),
            (60, 0.6),
            (90, 0.45),
            (120, 0.45 * 0.99f64.powi(30)),
        ] {
            let alive = ends.iter().filter(|e| e.is_none_or(|e| e > t)).count() as f64 / n as f64;
            assert!((alive - want).abs() < 0.004, "day {t}: {alive} vs {want}");
        }
    }

    #[test]
    fn end_offset_inverts_survival() {
        let s = Survival::new(7, [0.85, 0.6, 0.45], 0.01);
        for t in [8u32, 29, 30, 31, 59, 60, 61, 90, 91, 200] {
            // Just below S(t): still subscribed on day t; just above: ended by day t.
            let st = s.survival(t);
            assert!(s.end_offset(st * (1.0 - 1e-9)).is_none_or(|e| e > t), "t {t}");
            assert!(
                s.end_offset((st * (1.0 + 1e-9)).min(1.0)).is_some_and(|e| e <= t),
                "t {t}"
            );
        }
        let never = Survival::new(7, [1.0, 1.0, 1.0], 0.0);
        assert_eq!(never.end_offset(0.5), None);
        let all_gone = Survival::new(0, [0.0, 0.0, 0.0], 0.5);
        assert_eq!(all_gone.end_offset(0.3), Some(1));
    }

    #[test]
    fn negative_binomial_has_its_mean_and_variance() {
        let mut rng = global_stream(2, 2);
        let xs: Vec<f64> = (0..200_000)
            .map(|_| negative_binomial(&mut rng, 30.0, 10.0) as f64)
            .collect();
        let (m, v) = mean_var(&xs);
        assert!((m - 30.0).abs() < 0.1, "{m}");
        assert!((v / (30.0 + 90.0) - 1.0).abs() < 0.03, "{v}");
    }

    #[test]
    fn geometric_has_its_mean() {
        let mut rng = global_stream(3, 3);
        let xs: Vec<f64> = (0..200_000).map(|_| geometric_days(&mut rng, 45.0) as f64).collect();
        let (m, v) = mean_var(&xs);
        assert!((m - 45.0).abs() < 0.4, "{m}");
        assert!((v / (45.0 * 44.0) - 1.0).abs() < 0.03, "{v}");
        assert!(xs.iter().all(|&x| x >= 1.0));
    }

    #[test]
    fn base_cost_has_its_median_and_bounds() {
        let mut rng = global_stream(4, 4);
        let c = Cost {
            min: 2.0,
            max: 109.0,
            median: 5.0,
            sigma: 0.7,
        };
        let mut xs: Vec<f64> = (0..100_001).map(|_| base_cost(&mut rng, &c)).collect();
        assert!(xs.iter().all(|&x| (2.0..=109.0).contains(&x)));
        xs.sort_by(f64::total_cmp);
        assert!((xs[50_000] - 5.0).abs() < 0.05, "{}", xs[50_000]);
        let flat = Cost { median: 2.0, ..c };
        assert_eq!(base_cost(&mut rng, &flat), 2.0);
    }

    #[test]
    fn weighted_choice_follows_the_weights() {
        let mut rng = global_stream(5, 5);
        let w = [1.0, 3.0, 0.0, 6.0];
        let mut out = Vec::new();
        let mut hits = [0usize; 4];
        for _ in 0..100_000 {
            weighted_choice(&mut rng, &w, 1, &mut out);
            hits[out[0]] += 1;
        }
        assert_eq!(hits[2], 0);
        assert!((hits[3] as f64 / 100_000.0 - 0.6).abs() < 0.01, "{hits:?}");
        weighted_choice(&mut rng, &w, 3, &mut out);
        assert_eq!(out, [0, 1, 3]);
    }

    #[test]
    fn clamped_moments_match_simulation_and_do_not_underflow() {
        let m = poisson_clamped(12.0, 1, 50);
        assert!((m.mean - 12.0).abs() < 1e-4 && (m.var - 12.0).abs() < 1e-3, "{m:?}");
        assert!((m.sq_mean - (12.0 + 144.0)).abs() < 1e-3, "{m:?}");
        let m = poisson_clamped(12.0, 1, 10);
        assert!(m.mean < 10.0 && m.mean > 9.0, "{m:?}");
        // A mean where exp(−λ) underflows.
        let m = poisson_clamped(900.0, 0, 2000);
        assert!((m.mean - 900.0).abs() < 1e-6 && (m.var - 900.0).abs() < 1e-3, "{m:?}");
        let mut rng = global_stream(6, 6);
        let xs: Vec<f64> = (0..200_000)
            .map(|_| (negative_binomial(&mut rng, 50.0, 8.0).clamp(1, 40)) as f64)
            .collect();
        let (sm, sv) = mean_var(&xs);
        let m = nb_clamped(50.0, 8.0, 1, 40);
        assert!((sm - m.mean).abs() < 0.05, "{sm} vs {m:?}");
        assert!((sv / m.var - 1.0).abs() < 0.03, "{sv} vs {m:?}");
        let squares: Vec<f64> = xs.iter().map(|x| x * x).collect();
        let (sq, sqv) = mean_var(&squares);
        assert!((sq / m.sq_mean - 1.0).abs() < 0.005, "{sq} vs {m:?}");
        assert!((sqv / m.sq_var - 1.0).abs() < 0.05, "{sqv} vs {m:?}");
    }

    #[test]
    fn inverse_k_estimate_is_unbiased_with_the_stated_spread() {
        let mut rng = global_stream(7, 7);
        let (mu, k) = (30.0, 10.0);
        let ts: Vec<f64> = (0..400_000)
            .map(|_| {
                let x = negative_binomial(&mut rng, mu, k) as f64;
                ((x - mu).powi(2) - x) / (mu * mu)
            })
            .collect();
        let (m, v) = mean_var(&ts);
        assert!((m - 0.1).abs() < 0.003, "{m}");
        assert!(
            (v.sqrt() / nb_inverse_k_sd(mu, k) - 1.0).abs() < 0.03,
            "{} vs {}",
            v.sqrt(),
            nb_inverse_k_sd(mu, k)
        );
    }
}
