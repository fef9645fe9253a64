//! The global pass: everything that couples accounts. It fixes each account's id, signup day and
//! activity level, and, per paid service, who adopts on which day: from the launch month on, each
//! calendar month's `new_adopters_per_month` adoption days are drawn with the adoption-day bias
//! (× the weekday multiplier), and each goes to an account drawn uniformly among those that exist
//! by that day and have not adopted the service (with `correlation.strength`, preferably one that
//! already uses another service). It is cheap — a few draws per account and per adoption — runs
//! once, and leaves the expensive row generation free to run per block in any order.

use chrono::{Datelike, NaiveDate};
use rand::Rng;

use super::calendar::Calendar;
use super::dist;
use super::ids;
use super::rng::{Component, account_stream, global_stream};
use crate::config::{AdoptionBias, Config, Service};

/// The per-account facts the global pass fixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    pub id: i64,
    /// Day index of signup: 0 for accounts that exist from the first day.
    pub signup: i32,
    pub activity_level: f64,
}

/// One calendar month of one service's adoption schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthQuota {
    /// Day index of the month's first day (may be before the range).
    pub first: i32,
    /// Adoptions the month asked for (its share of `new_adopters_per_month`).
    pub quota: u64,
    /// Adoptions placed (fewer only when no eligible account was left).
    pub placed: u64,
    /// Among the placed, the expected number on days 1–15 of the month.
    pub first_half_expected: f64,
    /// The variance of that number (a sum of Bernoulli variances).
    pub first_half_var: f64,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub profiles: Vec<Profile>,
    /// Per paid service (in `Service::PAID` order): (account index, adoption day), by account.
    pub adoptions: [Vec<(u32, i32)>; 3],
    /// Per paid service: the schedule month by month.
    pub months: [Vec<MonthQuota>; 3],
    /// The expected share of adoptions made by accounts that already used another service on an
    /// earlier day, given how many such accounts were available at each pick (the calibration
    /// target of `correlation.strength`).
    pub cross_adoption_share: f64,
}

/// Global stream ids: 0–2 the paid services' adoption days, 3 the assignment to accounts.
const ADOPTION_ASSIGNMENT: u64 = 3;

/// The weight of day-of-month `dom` (1-based) in a month of `len` days under `bias`, before the
/// weekday multiplier.
pub fn day_weight(bias: AdoptionBias, dom: u32, len: u32) -> f64 {
    match bias {
        AdoptionBias::ExpDecay(alpha) => (-alpha * f64::from(dom - 1)).exp(),
        AdoptionBias::Polynomial(alpha) => {
            let (x0, x1) = (f64::from(dom - 1) / f64::from(len), f64::from(dom) / f64::from(len));
            (1.0 - x0).powf(1.0 + alpha) - (1.0 - x1).powf(1.0 + alpha)
        }
    }
}

/// The adoption-day weights of one calendar month: (day index, weight) for every day of the month,
/// in the range or not.
fn month_weights(c: &Config, cal: &Calendar, first: i32) -> Vec<(i32, f64)> {
    let date: NaiveDate = cal.date(first);
    let len = date
        .checked_add_months(chrono::Months::new(1))
        .map_or(31, |next| (next - date).num_days() as u32);
    (0..len)
        .map(|i| {
            let d = date + chrono::Days::new(u64::from(i));
            let dow = c.dow[d.weekday().num_days_from_monday() as usize];
            (first + i as i32, day_weight(c.adoption_bias, i + 1, len) * dow)
        })
        .collect()
}

/// Per service, the accounts that used another service on an earlier day and have not adopted
/// this one: the candidates a bundled adoption picks from. A vector plus each account's position in
/// it, so insert, remove and a uniform pick are O(1) and the order (hence the picks) is
/// deterministic. Positions are a flat array by account (4 bytes per account and service), not a
/// hash map: at 10 M accounts the map was most of the plan's time and memory.
struct CrossPools {
    members: [Vec<u32>; 3],
    position: [Vec<u32>; 3],
}

/// Not in the pool.
const ABSENT: u32 = u32::MAX;

impl CrossPools {
    fn new(accounts: usize) -> CrossPools {
        CrossPools {
            members: Default::default(),
            position: std::array::from_fn(|_| vec![ABSENT; accounts]),
        }
    }

    fn len(&self, s: usize) -> usize {
        self.members[s].len()
    }

    fn insert(&mut self, s: usize, a: u32) {
        if self.position[s][a as usize] == ABSENT {
            self.position[s][a as usize] = self.members[s].len() as u32;
            self.members[s].push(a);
        }
    }

    fn remove(&mut self, s: usize, a: u32) {
        let i = std::mem::replace(&mut self.position[s][a as usize], ABSENT);
        if i != ABSENT {
            let i = i as usize;
            self.members[s].swap_remove(i);
            if let Some(&moved) = self.members[s].get(i) {
                self.position[s][moved as usize] = i as u32;
            }
        }
    }

    fn pick<R: Rng>(&self, s: usize, rng: &mut R) -> u32 {
        self.members[s][rng.random_range(0..self.members[s].len())]
    }
}

/// One account's signup day and activity level, from its own stream.
pub fn profile(c: &Config, account: u64, cal: &Calendar) -> (i32, f64) {
    let mut rng = account_stream(c.seed, account, Component::Profile);
    let signup = if c.before_start_share >= 1.0 || rng.random::<f64>() < c.before_start_share {
        0
    } else {
        rng.random_range(0..cal.days)
    };
    let level = c
        .activity_shape
        .map_or(1.0, |shape| dist::activity_level(&mut rng, shape));
    (signup, level)
}

impl Plan {
    pub fn new(c: &Config, cal: &Calendar) -> Plan {
        let n = c.n_accounts as usize;
        let ids = ids::account_ids(c.seed, c.n_accounts, c.account_id_min, c.account_id_max);
        let profiles: Vec<Profile> = ids
            .iter()
            .enumerate()
            .map(|(a, &id)| {
                let (signup, activity_level) = profile(c, a as u64, cal);
                Profile {
                    id,
                    signup,
                    activity_level,
                }
            })
            .collect();

        // Accounts ordered by signup (ties by index) so "exists by day d" is a prefix.
        let mut by_signup: Vec<u32> = (0..n as u32).collect();
        by_signup.sort_by_key(|&a| (profiles[a as usize].signup, a));
        let signups: Vec<i32> = by_signup.iter().map(|&a| profiles[a as usize].signup).collect();

        // Adoption slots: per service and month, the month's quota of days drawn by the bias
        // weights among the month's days inside the range and on or after launch.
        // (day, service, month), packed small: at 10 M accounts there are 15 M slots.
        let mut slots: Vec<(i32, u8, u16)> = Vec::new();
        let mut months: [Vec<MonthQuota>; 3] = Default::default();
        let mut slot_first_half: Vec<f64> = Vec::new(); // per month of every service, P(day 1–15)
        for s in Service::PAID {
            let si = s.paid_index().expect("paid");
            let p = c.service(s);
            let launch = cal.index(p.launch);
            let mut rng = global_stream(c.seed, si as u64);
            for m in cal.months() {
                let weights = month_weights(c, cal, m.first);
                let total: f64 = weights.iter().map(|w| w.1).sum();
                let eligible: Vec<(i32, f64)> = weights
                    .into_iter()
                    .filter(|&(d, _)| d >= m.in_first && d <= m.in_last && d >= launch)
                    .collect();
                let inside: f64 = eligible.iter().map(|w| w.1).sum();
                let quota = if total > 0.0 && inside > 0.0 {
                    (f64::from(p.new_adopters_per_month) * inside / total).round() as u64
                } else {
                    0
                };
                let early: f64 = eligible.iter().filter(|(d, _)| d - m.first < 15).map(|w| w.1).sum();
                slot_first_half.push(if inside > 0.0 { early / inside } else { 0.0 });
                let month_index = months[si].len();
                months[si].push(MonthQuota {
                    first: m.first,
                    quota,
                    placed: 0,
                    first_half_expected: 0.0,
                    first_half_var: 0.0,
                });
                let mut cum = Vec::with_capacity(eligible.len());
                let mut acc = 0.0;
                for &(_, w) in &eligible {
                    acc += w;
                    cum.push(acc);
                }
                for _ in 0..quota {
                    let u: f64 = rng.random::<f64>() * acc;
                    let i = cum.partition_point(|&x| x <= u).min(eligible.len() - 1);
                    slots.push((eligible[i].0, si as u8, month_index as u16));
                }
            }
        }
        slots.sort_unstable();
        let months_per_service = months[0].len();

        let mut adoption: Vec<[i32; 3]> = vec![[NOT_ADOPTED; 3]; n];
        let mut placed_count = [0u64; 3];
        let mut cross = CrossPools::new(n);
        let mut cross_expected = 0.0;
        let mut rng = global_stream(c.seed, ADOPTION_ASSIGNMENT);
        let rho = c.correlation;
        let mut next_to_pool = 0; // placed adoptions before this one have joined the cross pools
        let mut filled: Vec<(i32, u8, u32)> = Vec::with_capacity(slots.len());
        for &(day, si, month) in &slots {
            let (si, month) = (usize::from(si), usize::from(month));
            // Adoptions of earlier days make their accounts candidates for the other services.
            while next_to_pool < filled.len() && filled[next_to_pool].0 < day {
                let (_, t, a) = filled[next_to_pool];
                let t = usize::from(t);
                for s in (0..3).filter(|&s| s != t) {
                    if adoption[a as usize][s] == NOT_ADOPTED {
                        cross.insert(s, a);
                    }
                }
                next_to_pool += 1;
            }
            let eligible = signups.partition_point(|&su| su <= day);
            let unadopted = eligible as u64 - placed_count[si].min(eligible as u64);
            let pool = cross.len(si);
            let bundle = rho > 0.0 && rng.random::<f64>() < rho;
            let pick = if bundle && pool > 0 {
                Some(cross.pick(si, &mut rng) as usize)
            } else {
                pick_unadopted(&mut rng, &by_signup[..eligible], &adoption, si)
            };
            if let Some(a) = pick {
                if pool > 0 && unadopted > 0 {
                    cross_expected += rho + (1.0 - rho) * pool as f64 / unadopted as f64;
                }
                adoption[a][si] = day;
                placed_count[si] += 1;
                cross.remove(si, a as u32);
                filled.push((day, si as u8, a as u32));
                let q = &mut months[si][month];
                q.placed += 1;
                let p = slot_first_half[si * months_per_service + month];
                q.first_half_expected += p;
                q.first_half_var += p * (1.0 - p);
            }
        }
        let cross_adoption_share = if filled.is_empty() {
            0.0
        } else {
            cross_expected / filled.len() as f64
        };
        let adoptions = [0, 1, 2].map(|si| {
            adoption
                .iter()
                .enumerate()
                .filter(|(_, a)| a[si] != NOT_ADOPTED)
                .map(|(i, a)| (i as u32, a[si]))
                .collect()
        });
        Plan {
            profiles,
            adoptions,
            months,
            cross_adoption_share,
        }
    }

    /// Adoptions of paid service `si` by accounts `from .. to`, by account.
    pub fn adoptions_in(&self, si: usize, from: usize, to: usize) -> &[(u32, i32)] {
        let v = &self.adoptions[si];
        let lo = v.partition_point(|&(a, _)| (a as usize) < from);
        let hi = v.partition_point(|&(a, _)| (a as usize) < to);
        &v[lo..hi]
    }
}

/// Marks "never adopted" while planning.
const NOT_ADOPTED: i32 = i32::MIN;

/// A uniformly chosen account among `pool` that has not adopted service `si`: rejection sampling,
/// then an exact scan once most of the pool has adopted.
fn pick_unadopted<R: Rng>(rng: &mut R, pool: &[u32], adoption: &[[i32; 3]], si: usize) -> Option<usize> {
    if pool.is_empty() {
        return None;
    }
    for _ in 0..32 {
        let a = pool[rng.random_range(0..pool.len())] as usize;
        if adoption[a][si] == NOT_ADOPTED {
            return Some(a);
        }
    }
    let free: Vec<u32> = pool
        .iter()
        .copied()
        .filter(|&a| adoption[a as usize][si] == NOT_ADOPTED)
        .collect();
    if free.is_empty() {
        return None;
    }
    Some(free[rng.random_range(0..free.len())] as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Source, load};

    fn plan(sets: &[&str]) -> (Config, Calendar, Plan) {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let c = load(&Source::builtin(), None, &sets).unwrap();
        let cal = Calendar::new(&c);
        let p = Plan::new(&c, &cal);
        (c, cal, p)
    }

    #[test]
    fn adopters_per_month_from_launch() {
        let (c, cal, p) = plan(&[]);
        for (si, s) in Service::PAID.iter().enumerate() {
            let want = u64::from(c.service(*s).new_adopters_per_month);
            let launch = cal.index(c.service(*s).launch);
            for m in &p.months[si] {
                let expected = if m.first + 31 <= launch { 0 } else { want };
                assert_eq!(m.quota, expected, "{s:?} month starting {}", m.first);
                assert_eq!(m.placed, m.quota);
            }
            assert!(p.adoptions[si].iter().all(|&(_, d)| d >= launch && d < cal.days));
            assert!(p.adoptions[si].windows(2).all(|w| w[0].0 < w[1].0));
        }
        // The full config: 440 / 1920 / 2200 adoptions over 2025, as the original's.
        let totals: Vec<usize> = p.adoptions.iter().map(Vec::len).collect();
        assert_eq!(totals, [440, 1920, 2200]);
    }

    #[test]
    fn exp_decay_puts_most_adoptions_early_in_the_month() {
        let (_, cal, p) = plan(&[]);
        let days: Vec<i32> = p.adoptions.iter().flatten().map(|&(_, d)| d).collect();
        let early = days.iter().filter(|&&d| cal.dom[d as usize] <= 15).count() as f64 / days.len() as f64;
        assert!((0.78..0.86).contains(&early), "{early}");
    }

    #[test]
    fn runs_out_of_eligible_accounts_gracefully() {
        let (_, _, p) = plan(&["accounts.n_accounts=10"]);
        assert!(p.adoptions[1].len() <= 10);
        let placed: u64 = p.months[1].iter().map(|m| m.placed).sum();
        let asked: u64 = p.months[1].iter().map(|m| m.quota).sum();
        assert_eq!(placed, 10);
        assert!(asked > placed);
    }

    #[test]
    fn a_month_partly_inside_the_range_gets_its_share() {
        let (_, _, p) = plan(&["dataset.end_date=2025-03-15"]);
        let march = p.months[1][2];
        assert!(march.quota > 100 && march.quota < 160, "{march:?}");
    }
}
