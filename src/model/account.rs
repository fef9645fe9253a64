//! Row generation for blocks of accounts: chats and their daily activity, subscriptions (trial,
//! conversion, lifetime), service usage days with events and costs, and the distribution of that
//! usage onto chat rows. Each account draws only from its own streams, so a block's rows do not
//! depend on which thread made it or on what other blocks hold.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};

use super::BLOCK_ACCOUNTS;
use super::block::{Block, EndReason};
use super::calendar::Calendar;
use super::dist::{self, Survival};
use super::plan::{NOT_ADOPTED, Plan};
use super::rng::{Component, account_stream};
use crate::config::{Config, DistributeMode, Service};

/// Expands the [`Plan`] into rows, one block at a time.
pub struct Generator<'a> {
    c: &'a Config,
    cal: &'a Calendar,
    plan: &'a Plan,
    survival: [Survival; 3],
    /// Cumulative chat-type weights, normalised to end at 1.
    chat_type_cum: Vec<f64>,
}

/// One service's usage on one account-day.
#[derive(Debug, Clone, Copy)]
struct Usage {
    day: i32,
    service: u8,
    events: u32,
    unit_cost: f64,
}

impl<'a> Generator<'a> {
    pub fn new(c: &'a Config, cal: &'a Calendar, plan: &'a Plan) -> Self {
        let survival = c
            .services
            .each_ref()
            .map(|s| Survival::new(s.trial_days, &c.retention, c.post_churn));
        let total: f64 = c.chat_types.iter().map(|(_, w)| w).sum();
        let mut acc = 0.0;
        let chat_type_cum = c
            .chat_types
            .iter()
            .map(|(_, w)| {
                acc += w / total;
                acc
            })
            .collect();
        Generator {
            c,
            cal,
            plan,
            survival,
            chat_type_cum,
        }
    }

    pub fn n_blocks(&self) -> usize {
        self.plan.profiles.len().div_ceil(BLOCK_ACCOUNTS)
    }

    /// The rows of block `index` (accounts `index × BLOCK_ACCOUNTS ..`).
    pub fn block(&self, index: usize) -> Block {
        let days = self.cal.days as usize;
        let mut b = Block {
            index,
            expected_chat_days: vec![0.0; days],
            exposure: vec![0.0; days],
            ..Block::default()
        };
        let first = index * BLOCK_ACCOUNTS;
        let last = (first + BLOCK_ACCOUNTS).min(self.plan.profiles.len());
        for a in first..last {
            self.account(a, &mut b);
        }
        b
    }

    fn account(&self, a: usize, b: &mut Block) {
        let (c, cal) = (self.c, self.cal);
        let prof = self.plan.profiles[a];
        let id = a as i64 + 1;
        let e0 = cal.start_epoch;
        b.accounts.account_id.push(id);
        b.accounts.signup_date.push(e0 + prof.signup);
        b.accounts.activity_level.push(prof.activity_level);
        b.accounts.n_chats.push(prof.n_chats as i32);

        // Chats: the first opens at signup, the others on uniform days between signup and the end.
        let mut rng = account_stream(c.seed, a as u64, Component::Chats);
        let n = prof.n_chats as usize;
        let mut created = Vec::with_capacity(n);
        created.push(prof.signup);
        for _ in 1..n {
            created.push(prof.signup + rng.random_range(0..cal.days - prof.signup));
        }
        created.sort_unstable();
        for (k, &day) in created.iter().enumerate() {
            let u: f64 = rng.random();
            let t = self
                .chat_type_cum
                .iter()
                .position(|&cum| u < cum)
                .unwrap_or(self.chat_type_cum.len() - 1);
            b.chats.chat_id.push(prof.first_chat_id + k as i64);
            b.chats.account_id.push(id);
            b.chats.chat_type.push(t as u16);
            b.chats.created_date.push(e0 + day);
        }

        let usage = self.subscriptions_and_usage(a, id, b);
        self.chat_days(a, id, &prof, &created, &mut rng, &usage, b);
    }

    /// Writes the account's subscriptions and returns its service usage, ordered by day then
    /// service.
    fn subscriptions_and_usage(&self, a: usize, id: i64, b: &mut Block) -> Vec<Usage> {
        let (c, cal) = (self.c, self.cal);
        let adoption = self.plan.adoption[a];
        let mut life = account_stream(c.seed, a as u64, Component::Lifecycle);
        // Subscribed window per service: [from, to) in day indices, clipped to the range.
        let mut window = [(0i32, 0i32); 3];
        for s in Service::ALL {
            let si = s.index();
            // Two draws per service whether adopted or not, so that services do not shift each
            // other's streams.
            let u_convert: f64 = life.random();
            let lifetime = self.survival[si].lifetime(&mut life);
            let ad = adoption[si];
            if ad == NOT_ADOPTED {
                continue;
            }
            let p = &c.services[si];
            let trial_end = ad + p.trial_days as i32;
            let converted = u_convert < p.p_convert;
            let end = if converted {
                if lifetime.is_finite() {
                    (ad as f64 + lifetime.ceil()).min(i32::MAX as f64 / 2.0) as i32
                } else {
                    i32::MAX / 2
                }
            } else {
                trial_end
            };
            let (ended_on, reason) = match (end < cal.days, converted) {
                (false, _) => (None, EndReason::Active),
                (true, false) => (Some(cal.start_epoch + end), EndReason::TrialNotConverted),
                (true, true) => (Some(cal.start_epoch + end), EndReason::Churned),
            };
            let sub = &mut b.subscriptions;
            sub.account_id.push(id);
            sub.service.push(si as u8);
            sub.adopted_on.push(cal.start_epoch + ad);
            sub.trial_ends_on.push(cal.start_epoch + trial_end);
            sub.converted.push(converted);
            sub.ended_on.push(ended_on);
            sub.end_reason.push(reason);
            window[si] = (ad, end.min(cal.days));
        }

        let from = window.iter().filter(|w| w.1 > w.0).map(|w| w.0).min();
        let to = window.iter().map(|w| w.1).max().unwrap_or(0);
        let Some(from) = from else { return Vec::new() };
        let mut rng = account_stream(c.seed, a as u64, Component::Usage);
        let rho = c.correlation;
        let mut usage = Vec::new();
        for day in from..to {
            // Bundling: with probability rho a service reuses the account-day's shared uniform,
            // so services tend to be used on the same days; each marginal stays the same.
            let shared: f64 = if rho > 0.0 { rng.random() } else { 0.0 };
            for s in Service::ALL {
                let si = s.index();
                let (w0, w1) = window[si];
                if day < w0 || day >= w1 {
                    continue;
                }
                let p = &c.services[si];
                let u: f64 = if rho > 0.0 && rng.random::<f64>() < rho {
                    shared
                } else {
                    rng.random()
                };
                let q = (p.mean_active_days / 30.0 * cal.usage_factor[day as usize]).min(1.0);
                // The adoption day is always a usage day: it is the first use.
                if day == w0 || u < q {
                    let events = dist::events(&mut rng, p.mean_events, p.dispersion_k);
                    let unit_cost = dist::capped_lognormal(&mut rng, &p.cost);
                    usage.push(Usage {
                        day,
                        service: si as u8,
                        events,
                        unit_cost,
                    });
                }
            }
        }
        usage
    }

    /// Daily chat activity, then the day's service usage attached to its active chats.
    #[allow(clippy::too_many_arguments)]
    fn chat_days(
        &self,
        a: usize,
        id: i64,
        prof: &super::plan::Profile,
        created: &[i32],
        rng: &mut ChaCha8Rng,
        usage: &[Usage],
        b: &mut Block,
    ) {
        let (c, cal) = (self.c, self.cal);
        let e0 = cal.start_epoch;
        let mut drng = account_stream(c.seed, a as u64, Component::Distribute);
        let mut next_usage = 0;
        // (chat index, cost_dialog) of the day's active chats, in chat order.
        let mut active: Vec<(usize, f64)> = Vec::with_capacity(created.len());
        let mut existing = 0; // chats created by `day` (created is sorted)
        for day in prof.signup.max(0)..cal.days {
            active.clear();
            while existing < created.len() && created[existing] <= day {
                existing += 1;
            }
            let p = (c.base_daily_prob * prof.activity_level * cal.chat_factor[day as usize]).min(1.0);
            for (k, &cr) in created.iter().enumerate() {
                if cr <= day && rng.random::<f64>() < p {
                    active.push((k, dist::round6(dist::capped_lognormal(rng, &c.cost_dialog))));
                }
            }
            let start = next_usage;
            while next_usage < usage.len() && usage[next_usage].day == day {
                next_usage += 1;
            }
            let todays = &usage[start..next_usage];
            let n = existing as f64;
            b.exposure[day as usize] += n * prof.activity_level;
            b.expected_chat_days[day as usize] += n * p;
            if !todays.is_empty() {
                // With usage that day, a chat row is forced when no chat was active.
                b.expected_chat_days[day as usize] += (1.0 - p).powi(existing as i32);
                if active.is_empty() {
                    // Usage needs a chat row: one of the existing chats becomes active.
                    let k = drng.random_range(0..existing);
                    active.push((k, dist::round6(dist::capped_lognormal(&mut drng, &c.cost_dialog))));
                }
                self.distribute(id, prof.first_chat_id, day + e0, todays, &active, &mut drng, b);
            }
            for &(k, cost) in &active {
                b.chat_days.chat_id.push(prof.first_chat_id + k as i64);
                b.chat_days.account_id.push(id);
                b.chat_days.date.push(day + e0);
                b.chat_days.cost_dialog.push(cost);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn distribute(
        &self,
        id: i64,
        first_chat_id: i64,
        date: i32,
        todays: &[Usage],
        active: &[(usize, f64)],
        rng: &mut ChaCha8Rng,
        b: &mut Block,
    ) {
        let sd = &mut b.service_days;
        let mut push = |service: u8, k: usize, events: u32, unit: f64| {
            sd.account_id.push(id);
            sd.service.push(service);
            sd.date.push(date);
            sd.chat_id.push(first_chat_id + k as i64);
            sd.n_events.push(events as i32);
            sd.cost.push(dist::usage_cost(events, unit));
        };
        match self.c.distribute {
            DistributeMode::OneChat => {
                let (k, _) = active[rng.random_range(0..active.len())];
                for u in todays {
                    push(u.service, k, u.events, u.unit_cost);
                }
            }
            DistributeMode::Spread => {
                for u in todays {
                    // Each event goes to a uniformly chosen active chat: a multinomial split,
                    // drawn as a chain of binomials.
                    let mut left = u.events as u64;
                    for (i, &(k, _)) in active.iter().enumerate() {
                        let rest = (active.len() - i) as f64;
                        let x = if i + 1 == active.len() {
                            left
                        } else {
                            Binomial::new(left, 1.0 / rest).expect("valid p").sample(rng)
                        };
                        if x > 0 {
                            push(u.service, k, x as u32, u.unit_cost);
                        }
                        left -= x;
                    }
                }
            }
        }
    }
}
