//! Row generation for blocks of accounts. Per account, from its own streams: the chat pool day by
//! day (initial chats, expiries, arrivals, reactivations), the active chats of each day, dialog
//! days, each adopted service's subscription (intensity, trial, conversion, lifetime), usage days,
//! events and costs, and where on the account-day's chat rows the usage lands. Each account draws
//! only from its own streams, so a block's rows do not depend on which thread made it or on what
//! other blocks hold.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::BLOCK_ACCOUNTS;
use super::block::{Block, EndReason, SpellOrigin};
use super::calendar::Calendar;
use super::dist::{self, Survival};
use super::ids::ChatIds;
use super::plan::Plan;
use super::rng::{Component, account_stream, service_stream};
use crate::config::{Config, DistributeMode, Service, ServiceParams};

/// Expands the [`Plan`] into rows, one block at a time.
pub struct Generator<'a> {
    c: &'a Config,
    cal: &'a Calendar,
    plan: &'a Plan,
    survival: [Survival; 3],
    chat_ids: ChatIds,
    chat_types: ChatTypes,
}

/// Draws a new chat's type in proportion to the configured weights.
#[derive(Debug, Clone)]
pub struct ChatTypes {
    /// Cumulative weights, normalised to end at 1.
    cum: Vec<f64>,
}

impl ChatTypes {
    pub fn new(c: &Config) -> Self {
        let total: f64 = c.chat_types.iter().map(|(_, w)| w).sum();
        let mut acc = 0.0;
        let cum = c
            .chat_types
            .iter()
            .map(|(_, w)| {
                acc += w / total;
                acc
            })
            .collect();
        ChatTypes { cum }
    }

    /// The type (an index into `Config::chat_types`) for a uniform draw `u` in [0, 1).
    pub fn pick(&self, u: f64) -> u16 {
        self.cum.iter().position(|&c| u < c).unwrap_or(self.cum.len() - 1) as u16
    }
}

/// An adopted paid service's fate, drawn from its lifecycle stream.
#[derive(Debug, Clone, Copy)]
pub struct Lifecycle {
    pub intensity: f64,
    pub converted: bool,
    /// First day after the trial (day index).
    pub trial_end: i32,
    /// First day no longer subscribed (day index; may be past the range).
    pub end: i32,
}

/// A chat an account has ever had.
#[derive(Debug, Clone, Copy)]
struct Known {
    id: i64,
    weight: f64,
    /// The row in `chat_spells` of its current (or last) spell.
    spell_row: usize,
}

/// A chat in the pool: an index into the account's known chats, and the first day it is out.
#[derive(Debug, Clone, Copy)]
struct InPool {
    known: usize,
    until: i32,
}

/// One service's usage on one account-day.
#[derive(Debug, Clone, Copy)]
struct Usage {
    day: i32,
    service: u8,
    events: u64,
    cost: f64,
}

/// Buffers reused from account to account.
#[derive(Default)]
struct Scratch {
    known: Vec<Known>,
    pool: Vec<InPool>,
    expired: Vec<usize>,
    weights: Vec<f64>,
    chosen: Vec<usize>,
    active: Vec<i64>,
    /// Per day index: (first row in the block's chat_days, rows) of the account's active chats.
    rows: Vec<(usize, usize)>,
    eligible: Vec<i32>,
    days: Vec<i32>,
    /// Per day index: whether another service of the account is used that day (bundling).
    used: Vec<bool>,
    usage: Vec<Usage>,
}

impl<'a> Generator<'a> {
    pub fn new(c: &'a Config, cal: &'a Calendar, plan: &'a Plan) -> Self {
        let survival = [0, 1, 2].map(|i| {
            let s = &c.paid()[i];
            Survival::new(s.trial_days, s.retention, s.post90_daily_churn)
        });
        Generator {
            c,
            cal,
            plan,
            survival,
            chat_ids: ChatIds::new(c.seed, c.chat_id_digits, c.n_accounts),
            chat_types: ChatTypes::new(c),
        }
    }

    pub fn n_blocks(&self) -> usize {
        super::n_blocks(self.plan.profiles.len())
    }

    /// The rows of block `index` (accounts `index × BLOCK_ACCOUNTS ..`); an error only when an
    /// account runs out of chat ids (`chats.chat_id_digits` too small for this config).
    pub fn block(&self, index: usize) -> Result<Block, String> {
        let first = index * BLOCK_ACCOUNTS;
        let last = (first + BLOCK_ACCOUNTS).min(self.plan.profiles.len());
        let mut b = self.accounts(first, last)?;
        b.index = index;
        Ok(b)
    }

    /// The rows of accounts `first .. last` (any range: each account's rows depend only on its
    /// own streams), e.g. one account the anomaly targeting looks at.
    pub fn accounts(&self, first: usize, last: usize) -> Result<Block, String> {
        let mut b = Block::default();
        let mut scratch = Scratch::default();
        let mut next_adoption = [0usize; 3];
        let adoptions: [&[(u32, i32)]; 3] = [0, 1, 2].map(|si| self.plan.adoptions_in(si, first, last));
        for a in first..last {
            let adopted = [0, 1, 2].map(|si| {
                let list = adoptions[si];
                let i = next_adoption[si];
                match list.get(i) {
                    Some(&(acc, day)) if acc as usize == a => {
                        next_adoption[si] += 1;
                        Some(day)
                    }
                    _ => None,
                }
            });
            self.account(a, adopted, &mut b, &mut scratch)?;
        }
        Ok(b)
    }

    fn account(&self, a: usize, adopted: [Option<i32>; 3], b: &mut Block, s: &mut Scratch) -> Result<(), String> {
        let prof = self.plan.profiles[a];
        let initial = self.pool_and_activity(a, b, s)?;
        let acc = &mut b.accounts;
        acc.account_id.push(prof.id);
        acc.signup_date.push(self.cal.start_epoch + prof.signup);
        acc.activity_level.push(prof.activity_level);
        acc.initial_chats.push(initial as i32);

        s.usage.clear();
        self.dialog(a, b, s);
        s.used.clear();
        s.used.resize(self.cal.days as usize, false);
        for (si, day) in adopted.iter().enumerate() {
            if let Some(day) = *day {
                self.subscription(a, si, day, b, s);
            }
        }
        s.usage.sort_by_key(|u| (u.day, u.service));
        self.distribute(a, b, s);
        Ok(())
    }

    /// Simulates the account's chat pool and daily activity from its first day to the end of the
    /// range, writing chats, spells, account-days and chat-days; returns the initial pool size.
    fn pool_and_activity(&self, a: usize, b: &mut Block, s: &mut Scratch) -> Result<u32, String> {
        let (c, cal) = (self.c, self.cal);
        let prof = self.plan.profiles[a];
        let (id, level, first) = (prof.id, prof.activity_level, prof.signup);
        let e0 = cal.start_epoch;
        let cap = c.max_concurrent as usize;
        let mut pool_rng = account_stream(c.seed, a as u64, Component::Pool);
        let mut act_rng = account_stream(c.seed, a as u64, Component::Activity);
        s.known.clear();
        s.pool.clear();
        s.expired.clear();
        s.rows.clear();
        s.rows.resize(cal.days as usize, (0, 0));

        let n0 = (dist::poisson(&mut pool_rng, c.initial_mean) as u32).clamp(c.initial_min, c.initial_max);
        for _ in 0..n0 {
            self.new_chat(a, id, first, SpellOrigin::Initial, &mut pool_rng, b, s)?;
        }
        let lambda = if c.lifecycle_enabled {
            c.new_chats_lambda * level
        } else {
            0.0
        };
        for d in first..cal.days {
            if d > first {
                let ad = &mut b.chat_spells.ended_on;
                let known = &s.known;
                let expired = &mut s.expired;
                s.pool.retain(|p| {
                    if p.until <= d {
                        ad[known[p.known].spell_row] = Some(e0 + d);
                        expired.push(p.known);
                        false
                    } else {
                        true
                    }
                });
            }
            // Arrivals, never beyond the cap.
            let lam = lambda * cal.factor[d as usize];
            let room = cap.saturating_sub(s.pool.len());
            let arrivals = (dist::poisson(&mut pool_rng, lam) as usize).min(room);
            if lam > 0.0 {
                let m = dist::poisson_clamped(lam, 0, room as u64);
                b.expected.arrivals += m.mean;
                b.expected.arrivals_var += m.var;
            }
            for _ in 0..arrivals {
                self.new_chat(a, id, d, SpellOrigin::Arrival, &mut pool_rng, b, s)?;
            }
            // A rare return of an expired chat.
            let mut reactivated = false;
            if !s.expired.is_empty() && s.pool.len() < cap {
                b.expected.reactivation_days += 1.0;
                if pool_rng.random::<f64>() < c.reactivation_prob {
                    let i = pool_rng.random_range(0..s.expired.len());
                    let k = s.expired.swap_remove(i);
                    let life = dist::geometric_days(&mut pool_rng, c.lifetime_mean_days);
                    self.start_spell(id, k, d, life, SpellOrigin::Reactivation, b, s);
                    reactivated = true;
                }
            }
            let m = s.pool.len();
            b.expected.account_days += 1.0;
            let ad = &mut b.account_days;
            ad.account_id.push(id);
            ad.date.push(e0 + d);
            ad.pool_size.push(m as i32);
            ad.arrivals.push(arrivals as i32);
            ad.reactivated.push(reactivated);
            if m == 0 {
                continue;
            }
            // Today's active chats: all of them on a full day, else Binomial(pool, q) raised to
            // one, drawn in proportion to each chat's popularity.
            let k = if act_rng.random::<f64>() < c.p_full_day {
                m
            } else {
                let q = (c.base_q * cal.factor[d as usize] * level).clamp(c.q_clip_min, c.q_clip_max);
                (dist::binomial(&mut act_rng, m as u64, q) as usize).max(1)
            };
            s.active.clear();
            if k == m {
                s.active.extend(s.pool.iter().map(|p| s.known[p.known].id));
            } else {
                s.weights.clear();
                s.weights.extend(s.pool.iter().map(|p| s.known[p.known].weight));
                dist::weighted_choice(&mut act_rng, &s.weights, k, &mut s.chosen);
                s.active.extend(s.chosen.iter().map(|&i| s.known[s.pool[i].known].id));
            }
            s.active.sort_unstable();
            let cd = &mut b.chat_days;
            s.rows[d as usize] = (cd.chat_id.len(), k);
            for &chat in &s.active {
                cd.chat_id.push(chat);
                cd.account_id.push(id);
                cd.date.push(e0 + d);
            }
        }
        Ok(n0)
    }

    /// A new chat joins the pool on day `d`: its id, type, popularity and first lifetime.
    #[allow(clippy::too_many_arguments)]
    fn new_chat(
        &self,
        a: usize,
        id: i64,
        d: i32,
        origin: SpellOrigin,
        rng: &mut ChaCha8Rng,
        b: &mut Block,
        s: &mut Scratch,
    ) -> Result<(), String> {
        let ordinal = s.known.len() as u64;
        let chat_id = self.chat_ids.id(a as u64, ordinal).ok_or_else(|| {
            format!(
                "account {id} needs more than {} chat ids: chats.chat_id_digits = {} is too small for this config (allowed: more digits, or fewer accounts or chat arrivals)",
                self.chat_ids.slots, self.c.chat_id_digits
            )
        })?;
        let u: f64 = rng.random();
        let t = self.chat_types.pick(u);
        let weight = dist::lognormal_unit(rng, self.c.popularity_sigma);
        let life = dist::geometric_days(rng, self.c.lifetime_mean_days);
        let ch = &mut b.chats;
        ch.chat_id.push(chat_id);
        ch.account_id.push(id);
        ch.chat_type.push(t);
        ch.created_date.push(self.cal.start_epoch + d);
        ch.popularity.push(weight);
        s.known.push(Known {
            id: chat_id,
            weight,
            spell_row: 0,
        });
        self.start_spell(id, s.known.len() - 1, d, life, origin, b, s);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn start_spell(&self, id: i64, k: usize, d: i32, life: u32, origin: SpellOrigin, b: &mut Block, s: &mut Scratch) {
        let until = d.saturating_add(life.min(i32::MAX as u32 / 2) as i32);
        let sp = &mut b.chat_spells;
        s.known[k].spell_row = sp.chat_id.len();
        sp.chat_id.push(s.known[k].id);
        sp.account_id.push(id);
        sp.started_on.push(self.cal.start_epoch + d);
        sp.ended_on.push(None);
        sp.origin.push(origin);
        s.pool.push(InPool { known: k, until });
    }

    /// Days of `from .. to` on which the account has at least one active chat row.
    fn eligible_days(&self, from: i32, to: i32, s: &mut Scratch) {
        s.eligible.clear();
        let (from, to) = (from.max(0), to.min(self.cal.days));
        s.eligible.extend((from..to).filter(|&d| s.rows[d as usize].1 > 0));
    }

    /// Chooses `n` of the eligible days, `forced` first if it is one of them, the others in
    /// proportion to the seasonal factor (× `boost` on days another service is used); the result
    /// goes to `s.days`, in increasing order.
    fn pick_days(&self, rng: &mut ChaCha8Rng, n: usize, forced: Option<i32>, boost: f64, s: &mut Scratch) {
        s.days.clear();
        let forced = forced.filter(|f| s.eligible.binary_search(f).is_ok());
        if let Some(f) = forced {
            s.days.push(f);
        }
        let want = n.saturating_sub(s.days.len());
        s.weights.clear();
        s.weights.extend(s.eligible.iter().map(|&d| {
            if Some(d) == forced {
                0.0
            } else {
                let w = self.cal.factor[d as usize];
                if boost > 1.0 && s.used[d as usize] {
                    w * boost
                } else {
                    w
                }
            }
        }));
        let candidates = s.eligible.len() - usize::from(forced.is_some());
        dist::weighted_choice(rng, &s.weights, want.min(candidates), &mut s.chosen);
        s.days.extend(s.chosen.iter().map(|&i| s.eligible[i]));
        s.days.sort_unstable();
        s.days.dedup();
    }

    /// Expected days over a window of `w` eligible days: the configured mean, scaled by the window
    /// when `scale_to_window` is on.
    fn window_mean(&self, mean: f64, w: usize) -> f64 {
        if self.c.scale_to_window {
            mean * w as f64 / self.c.reference_window_days
        } else {
            mean
        }
    }

    /// One used service-day's events and cost.
    fn events_and_cost(&self, p: &ServiceParams, rng: &mut ChaCha8Rng) -> (u64, f64) {
        if self.c.usage_pricing {
            let events = dist::poisson(rng, p.pricing.base_rate);
            (events, dist::usage_cost(rng, &p.pricing, events))
        } else if p.service == Service::Dialog {
            (0, dist::round2(dist::base_cost(rng, &p.cost)).max(0.01))
        } else {
            let events = dist::negative_binomial(rng, p.mean_events, p.events_k);
            let base = dist::base_cost(rng, &p.cost);
            (events, dist::scaled_cost(base, events, p.mean_events))
        }
    }

    /// Dialog days: NB(mean, k) of the account's days with a chat row from the dialog launch on.
    fn dialog(&self, a: usize, b: &mut Block, s: &mut Scratch) {
        let p = self.c.service(Service::Dialog);
        let first = self.plan.profiles[a].signup.max(self.cal.index(p.launch));
        self.eligible_days(first, self.cal.days, s);
        let w = s.eligible.len();
        let mean = self.window_mean(p.mean_active_days, w);
        let mut rng = account_stream(self.c.seed, a as u64, Component::Dialog);
        let n = (dist::negative_binomial(&mut rng, mean, p.days_k) as usize).min(w);
        b.expected
            .dialog_days
            .push(&dist::nb_clamped(mean, p.days_k, 0, w as u64));
        self.pick_days(&mut rng, n, None, 1.0, s);
        for i in 0..s.days.len() {
            let (events, cost) = self.events_and_cost(p, &mut rng);
            s.usage.push(Usage {
                day: s.days[i],
                service: Service::Dialog.index() as u8,
                events,
                cost,
            });
        }
    }

    /// An adopted paid service's intensity, conversion and end day (from its own stream, so the
    /// anomaly targeting can ask which accounts are subscribed when without generating rows).
    pub fn lifecycle(&self, a: usize, si: usize, adopted: i32) -> Lifecycle {
        let (c, p) = (self.c, &self.c.paid()[si]);
        let mut life = service_stream(c.seed, a as u64, Component::Lifecycle, si);
        let intensity = dist::lognormal_unit(&mut life, c.intensity_sigma);
        let converted = life.random::<f64>() < p.p_convert;
        let trial_end = adopted + p.trial_days as i32;
        let end = if converted {
            self.survival[si].draw(&mut life).map_or(i32::MAX / 2, |t| {
                adopted.saturating_add(t.min(i32::MAX as u32 / 4) as i32)
            })
        } else {
            // An unconverted subscription lasts its trial, and at least its adoption day.
            trial_end.max(adopted + 1)
        };
        Lifecycle {
            intensity,
            converted,
            trial_end,
            end,
        }
    }

    /// One adopted paid service: the subscription row, then its usage days, events and costs.
    fn subscription(&self, a: usize, si: usize, adopted: i32, b: &mut Block, s: &mut Scratch) {
        let (c, cal) = (self.c, self.cal);
        let p = &c.paid()[si];
        let id = self.plan.profiles[a].id;
        let Lifecycle {
            intensity,
            converted,
            trial_end,
            end,
        } = self.lifecycle(a, si, adopted);
        let (ended_on, reason) = match (end < cal.days, converted) {
            (false, _) => (None, EndReason::Active),
            (true, false) => (Some(cal.start_epoch + end), EndReason::TrialNotConverted),
            (true, true) => (Some(cal.start_epoch + end), EndReason::Churned),
        };
        let sub = &mut b.subscriptions;
        sub.account_id.push(id);
        sub.service.push(Service::PAID[si].index() as u8);
        sub.adopted_on.push(cal.start_epoch + adopted);
        sub.trial_ends_on.push(cal.start_epoch + trial_end);
        sub.converted.push(converted);
        sub.ended_on.push(ended_on);
        sub.end_reason.push(reason);
        sub.intensity.push(intensity);

        // Usage days: at least the adoption day, NB(mean × intensity, k) in all, at most every
        // eligible day of the window.
        self.eligible_days(adopted, end, s);
        let w = s.eligible.len();
        if w == 0 {
            return;
        }
        let mean = self.window_mean(p.mean_active_days, w) * intensity;
        let mut rng = service_stream(c.seed, a as u64, Component::Usage, si);
        let n = (dist::negative_binomial(&mut rng, mean, p.days_k) as usize).clamp(1, w);
        b.expected.usage_days[si].push(&dist::nb_clamped(mean, p.days_k, 1, w as u64));
        let boost = if c.correlation >= 1.0 {
            1e12
        } else {
            1.0 / (1.0 - c.correlation)
        };
        self.pick_days(&mut rng, n, Some(adopted), boost, s);
        for i in 0..s.days.len() {
            let day = s.days[i];
            let (events, cost) = self.events_and_cost(p, &mut rng);
            s.usage.push(Usage {
                day,
                service: Service::PAID[si].index() as u8,
                events,
                cost,
            });
        }
        for &d in &s.days {
            s.used[d as usize] = true;
        }
    }

    /// Puts the account's usage on its chat rows: `one_chat` picks one active chat row per
    /// account-day for all of that day's usage, dialog included; `spread` splits each paid
    /// service's events over the day's active chats (a multinomial split, cost in proportion).
    fn distribute(&self, a: usize, b: &mut Block, s: &mut Scratch) {
        let id = self.plan.profiles[a].id;
        let e0 = self.cal.start_epoch;
        let mut rng = account_stream(self.c.seed, a as u64, Component::Distribute);
        let mut i = 0;
        while i < s.usage.len() {
            let day = s.usage[i].day;
            let mut j = i;
            while j < s.usage.len() && s.usage[j].day == day {
                j += 1;
            }
            let (row, count) = s.rows[day as usize];
            let chats = &b.chat_days.chat_id[row..row + count];
            let sd = &mut b.service_days;
            let mut push = |service: u8, chat: i64, events: u64, cost: f64| {
                sd.account_id.push(id);
                sd.service.push(service);
                sd.date.push(e0 + day);
                sd.chat_id.push(chat);
                sd.n_events.push(events.min(i32::MAX as u64) as i32);
                sd.cost.push(cost);
            };
            match self.c.distribute {
                DistributeMode::OneChat => {
                    let chat = chats[rng.random_range(0..count)];
                    for u in &s.usage[i..j] {
                        push(u.service, chat, u.events, u.cost);
                    }
                }
                DistributeMode::Spread => {
                    for u in &s.usage[i..j] {
                        if u.service == Service::Dialog.index() as u8 || u.events == 0 || count == 1 {
                            push(u.service, chats[rng.random_range(0..count)], u.events, u.cost);
                            continue;
                        }
                        for (chat, events, cost) in spread(&mut rng, chats, u.events, u.cost) {
                            push(u.service, chat, events, cost);
                        }
                    }
                }
            }
            i = j;
        }
    }
}

/// Splits `events` over `chats` (each event to a uniform chat: a multinomial, drawn as a chain
/// of binomials) and `cost` in proportion, in whole cents by largest remainders; every chat with
/// events gets at least a cent when there are enough, else its events join the chat with the most.
fn spread(rng: &mut ChaCha8Rng, chats: &[i64], events: u64, cost: f64) -> Vec<(i64, u64, f64)> {
    let mut parts: Vec<(i64, u64)> = Vec::new();
    let mut left = events;
    for (i, &chat) in chats.iter().enumerate() {
        let rest = (chats.len() - i) as f64;
        let x = if i + 1 == chats.len() {
            left
        } else {
            dist::binomial(rng, left, 1.0 / rest)
        };
        if x > 0 {
            parts.push((chat, x));
        }
        left -= x;
    }
    let cents = (cost * 100.0).round() as u64;
    // Merge the smallest parts into the largest until each can have a cent.
    while parts.len() as u64 > cents.max(1) {
        parts.sort_by_key(|p| std::cmp::Reverse(p.1));
        let (_, x) = parts.pop().expect("more parts than cents");
        parts[0].1 += x;
    }
    parts.sort_by_key(|p| p.0);
    let mut alloc: Vec<u64> = parts.iter().map(|p| cents * p.1 / events).collect();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&k| (std::cmp::Reverse((cents * parts[k].1) % events), k));
    let mut rest = cents - alloc.iter().sum::<u64>();
    for &k in order.iter().cycle() {
        if rest == 0 {
            break;
        }
        alloc[k] += 1;
        rest -= 1;
    }
    // Every part at least a cent, taken from the largest.
    for k in 0..alloc.len() {
        if alloc[k] == 0 {
            let big = (0..alloc.len())
                .max_by_key(|&j| (alloc[j], std::cmp::Reverse(j)))
                .expect("non-empty");
            alloc[big] -= 1;
            alloc[k] += 1;
        }
    }
    parts
        .iter()
        .zip(alloc)
        .map(|(&(chat, x), c)| (chat, x, c as f64 / 100.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rng::global_stream;

    #[test]
    fn spread_keeps_events_and_cents() {
        let mut rng = global_stream(1, 1);
        for (events, cost) in [(30u64, 17.21), (3, 0.02), (100, 0.01), (7, 5.0)] {
            let parts = spread(&mut rng, &[5, 9, 12, 40], events, cost);
            assert_eq!(parts.iter().map(|p| p.1).sum::<u64>(), events);
            let cents: f64 = parts.iter().map(|p| (p.2 * 100.0).round()).sum();
            assert_eq!(cents, (cost * 100.0_f64).round(), "{parts:?}");
            assert!(parts.iter().all(|p| p.1 > 0 && p.2 >= 0.01), "{parts:?}");
            assert!(parts.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }
}
