//! The global pass: everything that couples accounts. Per account it fixes the signup day, the
//! activity level, the number of chats (hence the chat-id range) and, per service, the adoption
//! day — `new_adopters_per_month` accounts are chosen each month among those already signed up
//! that never used the service (with `correlation.strength`, preferably among accounts already
//! using another service). It is cheap (a few draws per account), runs once, and leaves the
//! expensive row generation free to run per block in any order.

use rand::Rng;
use rand_distr::{Distribution, Poisson};

use super::calendar::{Calendar, MonthSpan};
use super::dist;
use super::rng::{Component, account_stream, global_stream};
use crate::config::{Config, Service};

/// Marks "never adopted" in [`Plan::adoption`].
pub const NOT_ADOPTED: i32 = i32::MIN;

/// The per-account facts the global pass fixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// Day index of signup; negative = before the range (the account exists from day 0).
    pub signup: i32,
    pub activity_level: f64,
    pub n_chats: u32,
    /// Chat ids of the account are `first_chat_id .. first_chat_id + n_chats`.
    pub first_chat_id: i64,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub profiles: Vec<Profile>,
    /// Per account and service (in [`Service::ALL`] order): adoption day index or [`NOT_ADOPTED`].
    pub adoption: Vec<[i32; 3]>,
    /// Per service: adopters the config asked for over the range (after prorating partial months).
    pub adopters_wanted: [u64; 3],
    /// Per service: adopters placed; fewer than wanted only when no eligible account was left.
    pub adopters_placed: [u64; 3],
    /// The expected share of adoptions made by accounts that already used another service on an
    /// earlier day, given how many such accounts were available at each pick (the calibration
    /// target of `correlation.strength`'s cross-adoption).
    pub cross_adoption_share: f64,
}

/// Global stream id of the adopter assignment (ids 0..3 are the services' adoption days).
const ADOPTION_ASSIGNMENT: u64 = 3;

/// Per service, the accounts that used another service on an earlier day and have not adopted
/// this one: the candidates a bundled adoption picks from. A vector plus positions, so insert,
/// remove and a uniform pick are O(1) and the order (hence the picks) is deterministic.
#[derive(Default)]
struct CrossPools {
    members: [Vec<u32>; 3],
    position: [std::collections::HashMap<u32, usize>; 3],
}

impl CrossPools {
    fn len(&self, s: usize) -> usize {
        self.members[s].len()
    }

    fn insert(&mut self, s: usize, a: u32) {
        if let std::collections::hash_map::Entry::Vacant(e) = self.position[s].entry(a) {
            e.insert(self.members[s].len());
            self.members[s].push(a);
        }
    }

    fn remove(&mut self, s: usize, a: u32) {
        if let Some(i) = self.position[s].remove(&a) {
            self.members[s].swap_remove(i);
            if let Some(&moved) = self.members[s].get(i) {
                self.position[s].insert(moved, i);
            }
        }
    }

    fn pick<R: Rng>(&self, s: usize, rng: &mut R) -> usize {
        self.members[s][rng.random_range(0..self.members[s].len())] as usize
    }
}

/// Longest look-back for signups before the range.
const MAX_TENURE_DAYS: i32 = 365;

pub fn profile(c: &Config, account: u64, cal: &Calendar) -> (i32, f64, u32) {
    let mut rng = account_stream(c.seed, account, Component::Profile);
    let signup = if rng.random::<f64>() < c.before_start_share {
        -rng.random_range(1..=MAX_TENURE_DAYS)
    } else {
        rng.random_range(0..cal.days)
    };
    let level = dist::activity_level(&mut rng, c.activity_shape);
    let extra = if c.chats_mean > 1.0 {
        Poisson::new(c.chats_mean - 1.0)
            .expect("validated mean > 1")
            .sample(&mut rng) as u32
    } else {
        0
    };
    (signup, level, (1 + extra).min(c.chats_max))
}

impl Plan {
    pub fn new(c: &Config, cal: &Calendar) -> Plan {
        let n = c.n_accounts as usize;
        let mut profiles = Vec::with_capacity(n);
        let mut next_chat = 1i64;
        for a in 0..n {
            let (signup, activity_level, n_chats) = profile(c, a as u64, cal);
            profiles.push(Profile {
                signup,
                activity_level,
                n_chats,
                first_chat_id: next_chat,
            });
            next_chat += n_chats as i64;
        }

        // Accounts ordered by signup (ties by id) so "signed up by day d" is a prefix.
        let mut by_signup: Vec<u32> = (0..n as u32).collect();
        by_signup.sort_by_key(|&a| (profiles[a as usize].signup, a));
        let signups: Vec<i32> = by_signup.iter().map(|&a| profiles[a as usize].signup).collect();

        // Adoption slots: per service and month, `new_adopters_per_month` days with the
        // first-half bias, from the service's own stream; then filled in day order.
        let mut slots: Vec<(i32, usize)> = Vec::new();
        let mut wanted = [0u64; 3];
        for s in Service::ALL {
            let si = s.index();
            let mut rng = global_stream(c.seed, si as u64);
            for m in cal.months() {
                let k = monthly_quota(c.services[si].new_adopters_per_month, &m);
                wanted[si] += k;
                for _ in 0..k {
                    let day = loop {
                        let d = m.first + (dist::adoption_fraction(&mut rng, c.adoption_alpha) * m.len as f64) as i32;
                        if (m.in_first..=m.in_last).contains(&d) {
                            break d;
                        }
                    };
                    slots.push((day, si));
                }
            }
        }
        slots.sort_unstable();

        let mut adoption = vec![[NOT_ADOPTED; 3]; n];
        let mut placed = [0u64; 3];
        let mut cross = CrossPools::default();
        let mut cross_expected = 0.0;
        let mut rng = global_stream(c.seed, ADOPTION_ASSIGNMENT);
        let rho = c.correlation;
        let mut next_to_pool = 0; // slots before this one have joined the cross pools
        let mut filled: Vec<(i32, usize, usize)> = Vec::with_capacity(slots.len());
        for &(day, si) in &slots {
            // Adoptions of earlier days make their accounts candidates for the other services.
            while next_to_pool < filled.len() && filled[next_to_pool].0 < day {
                let (_, t, a) = filled[next_to_pool];
                for s in Service::ALL.iter().map(|s| s.index()).filter(|&s| s != t) {
                    if adoption[a][s] == NOT_ADOPTED {
                        cross.insert(s, a as u32);
                    }
                }
                next_to_pool += 1;
            }
            let eligible = signups.partition_point(|&su| su <= day);
            let unadopted = eligible as u64 - placed[si];
            let pool = cross.len(si);
            let bundle = rng.random::<f64>() < rho;
            let pick = if bundle && pool > 0 {
                Some(cross.pick(si, &mut rng))
            } else {
                pick_unadopted(&mut rng, &by_signup[..eligible], &adoption, si)
            };
            if let Some(a) = pick {
                if pool > 0 {
                    cross_expected += rho + (1.0 - rho) * pool as f64 / unadopted as f64;
                }
                adoption[a][si] = day;
                placed[si] += 1;
                cross.remove(si, a as u32);
                filled.push((day, si, a));
            }
        }
        let cross_share = if filled.is_empty() {
            0.0
        } else {
            cross_expected / filled.len() as f64
        };
        Plan {
            profiles,
            adoption,
            adopters_wanted: wanted,
            adopters_placed: placed,
            cross_adoption_share: cross_share,
        }
    }
}

/// Adopters to place in month `m`: `per_month`, prorated (and rounded) for a month only partly
/// inside the range.
pub fn monthly_quota(per_month: u32, m: &MonthSpan) -> u64 {
    (per_month as f64 * m.fraction()).round() as u64
}

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
    fn adopters_per_month_and_eligibility() {
        let (c, cal, p) = plan(&["accounts.n_accounts=2000"]);
        for s in Service::ALL {
            let si = s.index();
            let want = c.services[si].new_adopters_per_month as u64;
            assert_eq!(p.adopters_wanted[si], want * 12);
            assert_eq!(p.adopters_placed[si], want * 12);
            for m in cal.months() {
                let in_month = p
                    .adoption
                    .iter()
                    .filter(|a| (m.in_first..=m.in_last).contains(&a[si]))
                    .count() as u64;
                assert_eq!(in_month, want);
            }
        }
        for (prof, adopt) in p.profiles.iter().zip(&p.adoption) {
            for &d in adopt {
                assert!(d == NOT_ADOPTED || d >= prof.signup, "adopted before signup");
            }
        }
    }

    #[test]
    fn chat_ids_are_contiguous() {
        let (_, _, p) = plan(&["accounts.n_accounts=50"]);
        let mut next = 1;
        for prof in &p.profiles {
            assert_eq!(prof.first_chat_id, next);
            assert!(prof.n_chats >= 1 && prof.n_chats <= 8);
            next += prof.n_chats as i64;
        }
    }

    #[test]
    fn runs_out_of_eligible_accounts_gracefully() {
        let (_, _, p) = plan(&["accounts.n_accounts=10"]);
        assert!(p.adopters_placed[0] <= 10);
        assert!(p.adopters_placed[0] < p.adopters_wanted[0]);
    }
}
