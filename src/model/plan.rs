//! The global pass: everything that couples accounts. Per account it fixes the signup day, the
//! activity level, the number of chats (hence the chat-id range) and, per service, the adoption
//! day — `new_adopters_per_month` accounts are chosen each month among those already signed up
//! that never used the service. It is cheap (a few draws per account), runs once, and leaves the
//! expensive row generation free to run per block in any order.

use rand::Rng;
use rand_distr::{Distribution, Poisson};

use super::calendar::Calendar;
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

        let mut adoption = vec![[NOT_ADOPTED; 3]; n];
        let mut wanted = [0u64; 3];
        let mut placed = [0u64; 3];
        for s in Service::ALL {
            let si = s.index();
            let per_month = c.services[si].new_adopters_per_month as f64;
            let mut rng = global_stream(c.seed, si as u64);
            for m in cal.months() {
                // A month only partly inside the range gets its prorated share of adopters.
                let inside = (m.in_last - m.in_first + 1) as f64;
                let k = (per_month * inside / m.len as f64).round() as u64;
                wanted[si] += k;
                for _ in 0..k {
                    let day = loop {
                        let d = m.first + (dist::adoption_fraction(&mut rng, c.adoption_alpha) * m.len as f64) as i32;
                        if (m.in_first..=m.in_last).contains(&d) {
                            break d;
                        }
                    };
                    let eligible = signups.partition_point(|&su| su <= day);
                    if let Some(a) = pick_unadopted(&mut rng, &by_signup[..eligible], &adoption, si) {
                        adoption[a][si] = day;
                        placed[si] += 1;
                    }
                }
            }
        }
        Plan {
            profiles,
            adoption,
            adopters_wanted: wanted,
            adopters_placed: placed,
        }
    }
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
