//! Applying the chosen targets to a generated block, before it reaches DuckDB: each targeted
//! account's service rows (and, for cap_spike, its chats, spells and chat-days) are rewritten by
//! the injections in spec order; untargeted accounts' rows are copied as they are. Costs are
//! computed in whole cents (at least one). What changed is returned as labels (one per changed
//! unit and injection that touched it, with the clean and injected values) and as per-target
//! facts for the manifest (units, cost delta, its expectation, the clean baseline's spread).

use rand::Rng;

use super::select::{Target, stream};
use super::spec::{Anomalies, Kind};
use crate::config::{Config, Service};
use crate::model::BLOCK_ACCOUNTS;
use crate::model::account::ChatTypes;
use crate::model::block::{Block, ChatDays, ChatSpells, Chats, ServiceDays, SpellOrigin};
use crate::model::calendar::Calendar;
use crate::model::dist;
use crate::model::ids::ChatIds;

/// One changed unit, as seen by one injection (serialized in a part's manifest).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Label {
    /// Index of the target in the load's target list (manifest row).
    pub target: usize,
    pub unit: Unit,
    pub account_id: i64,
    /// Days since 1970-01-01.
    pub date: i32,
    pub service: Option<u8>,
    pub chat_id: i64,
    pub clean_present: bool,
    pub present: bool,
    pub clean_events: i64,
    pub events: i64,
    pub clean_cents: i64,
    pub cents: i64,
}

/// What a label names: a `service_days` row or a `chat_days` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    ServiceDay,
    ChatDay,
}

impl Unit {
    /// As `anomaly_labels.unit` holds it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::ServiceDay => "service_day",
            Unit::ChatDay => "chat_day",
        }
    }
}

/// What one target did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Effect {
    pub target: usize,
    pub units: u64,
    pub account_days: u64,
    pub clean_cents: i64,
    pub cents: i64,
    pub expected_delta_cents: f64,
    pub expected_delta_var: f64,
    /// Days of the clean baseline (up to 28 before the window) and the spread of its daily cost.
    pub baseline_days: u32,
    pub baseline_sd_cents: f64,
}

/// What a block's injections did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    pub labels: Vec<Label>,
    pub effects: Vec<Effect>,
    /// The clean block's totals (every block, when anomalies are configured).
    pub clean: CleanTotals,
}

/// The clean rows of `chat_days`, and per day and service the clean rows, events and cents of
/// `service_days`. Summed over blocks they let a check compare the clean twin the labels
/// reconstruct with what the generator made before injecting.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CleanTotals {
    pub chat_days: i64,
    /// Index `day × 4 + service`: (rows, events, cents).
    pub services: Vec<(i64, i64, i64)>,
}

impl CleanTotals {
    pub fn of(b: &Block, cal: &Calendar) -> Self {
        let days = cal.days as usize;
        let mut t = CleanTotals {
            chat_days: b.chat_days.date.len() as i64,
            services: vec![(0, 0, 0); days * 4],
        };
        let sd = &b.service_days;
        for i in 0..sd.date.len() {
            let k = (sd.date[i] - cal.start_epoch) as usize * 4 + sd.service[i] as usize;
            let e = &mut t.services[k];
            e.0 += 1;
            e.1 += sd.n_events[i] as i64;
            e.2 += (sd.cost[i] * 100.0).round() as i64;
        }
        t
    }

    pub fn add(&mut self, o: &CleanTotals) {
        if self.services.is_empty() {
            *self = o.clone();
            return;
        }
        self.chat_days += o.chat_days;
        for (a, b) in self.services.iter_mut().zip(&o.services) {
            a.0 += b.0;
            a.1 += b.1;
            a.2 += b.2;
        }
    }
}

/// Baseline days before a window whose spread sets the difficulty.
pub const BASELINE_DAYS: i32 = 28;

/// Applies targets to blocks.
pub struct Injector<'a> {
    an: &'a Anomalies,
    c: &'a Config,
    cal: &'a Calendar,
    /// Ordered by account, then injection.
    targets: &'a [Target],
    chat_ids: ChatIds,
    chat_types: ChatTypes,
}

/// A service row of the account being rewritten.
#[derive(Debug, Clone)]
struct Row {
    day: i32,
    service: u8,
    chat: i64,
    events: i64,
    cents: i64,
    /// The generated cost, written back unchanged when nothing changed.
    cost: f64,
    clean: Option<(i64, i64)>,
    present: bool,
    by: Vec<usize>,
}

impl Row {
    fn changed(&self) -> bool {
        match self.clean {
            None => self.present,
            Some(c) => !self.present || c != (self.events, self.cents),
        }
    }
}

/// A chat-day added by cap_spike.
struct NewChatDay {
    day: i32,
    chat: i64,
    by: usize,
}

fn scale(cents: i64, m: f64) -> i64 {
    ((cents as f64 * m).round() as i64).max(1)
}

impl<'a> Injector<'a> {
    pub fn new(an: &'a Anomalies, c: &'a Config, cal: &'a Calendar, targets: &'a [Target]) -> Self {
        Injector {
            an,
            c,
            cal,
            targets,
            chat_ids: ChatIds::new(c.seed, c.chat_id_digits, c.n_accounts),
            chat_types: ChatTypes::new(c),
        }
    }

    /// The service's expected price of one event, in cents: its median cost per mean event.
    fn price(&self, s: u8) -> f64 {
        let p = &self.c.services[s as usize];
        if p.mean_events > 0.0 {
            p.cost.median * 100.0 / p.mean_events
        } else {
            p.cost.median * 100.0
        }
    }

    /// Rewrites block `b` in place; an error only when an account runs out of chat ids.
    pub fn apply(&self, b: &mut Block) -> Result<Applied, String> {
        let first = b.index * BLOCK_ACCOUNTS;
        let last = first + b.accounts.account_id.len();
        let lo = self.targets.partition_point(|t| t.account < first);
        let hi = self.targets.partition_point(|t| t.account < last);
        let mut out = Applied {
            clean: CleanTotals::of(b, self.cal),
            ..Applied::default()
        };
        if lo == hi {
            return Ok(out);
        }
        let sd_runs = runs(&b.service_days.account_id);
        let cd_runs = runs(&b.chat_days.account_id);
        let ch_runs = runs(&b.chats.account_id);
        let sp_runs = runs(&b.chat_spells.account_id);
        let caps = self.targets[lo..hi]
            .iter()
            .any(|t| self.an.injections[t.injection].kind == Kind::CapSpike);
        let mut sd = ServiceDays::default();
        let (mut cd, mut ch, mut sp) = (ChatDays::default(), Chats::default(), ChatSpells::default());
        let mut t = lo;
        for (j, &id) in b.accounts.account_id.iter().enumerate() {
            let a = first + j;
            let sdr = sd_runs.get(&id).cloned().unwrap_or(0..0);
            let cdr = cd_runs.get(&id).cloned().unwrap_or(0..0);
            let chr = ch_runs.get(&id).cloned().unwrap_or(0..0);
            let spr = sp_runs.get(&id).cloned().unwrap_or(0..0);
            let t_end = t + self.targets[t..hi].iter().take_while(|x| x.account == a).count();
            if t == t_end {
                copy_sd(&b.service_days, sdr, &mut sd);
                if caps {
                    copy_cd(&b.chat_days, cdr, &mut cd);
                    copy_ch(&b.chats, chr.clone(), &mut ch);
                    copy_sp(&b.chat_spells, spr, &mut sp);
                }
                continue;
            }
            let mut rows: Vec<Row> = sdr
                .clone()
                .map(|i| {
                    let s = &b.service_days;
                    let cents = (s.cost[i] * 100.0).round() as i64;
                    Row {
                        day: s.date[i] - self.cal.start_epoch,
                        service: s.service[i],
                        chat: s.chat_id[i],
                        events: s.n_events[i] as i64,
                        cents,
                        cost: s.cost[i],
                        clean: Some((s.n_events[i] as i64, cents)),
                        present: true,
                        by: Vec::new(),
                    }
                })
                .collect();
            let chat_days: Vec<(i32, i64)> = cdr
                .clone()
                .map(|i| (b.chat_days.date[i] - self.cal.start_epoch, b.chat_days.chat_id[i]))
                .collect();
            let mut added: Vec<NewChatDay> = Vec::new();
            let mut new_chats = Chats::default();
            let mut new_spells = ChatSpells::default();
            let clean_chats = chr.len() as u64;
            for ti in t..t_end {
                let target = &self.targets[ti];
                let mut eff = Effect {
                    target: ti,
                    ..Effect::default()
                };
                self.baseline(target, &rows, &mut eff);
                let ctx = Ctx {
                    ti,
                    target,
                    chat_days: &chat_days,
                    clean_chats,
                    account_id: id,
                };
                self.one(&ctx, &mut rows, &mut added, &mut new_chats, &mut new_spells, &mut eff)?;
                out.effects.push(eff);
            }
            // Labels and per-target totals.
            for r in &rows {
                if !r.changed() {
                    continue;
                }
                let (ce, cc) = r.clean.unwrap_or((0, 0));
                let mut seen = Vec::new();
                for &ti in &r.by {
                    if seen.contains(&ti) {
                        continue;
                    }
                    seen.push(ti);
                    out.labels.push(Label {
                        target: ti,
                        unit: Unit::ServiceDay,
                        account_id: id,
                        date: r.day + self.cal.start_epoch,
                        service: Some(r.service),
                        chat_id: r.chat,
                        clean_present: r.clean.is_some(),
                        present: r.present,
                        clean_events: ce,
                        events: if r.present { r.events } else { 0 },
                        clean_cents: cc,
                        cents: if r.present { r.cents } else { 0 },
                    });
                }
            }
            for n in &added {
                let cents: i64 = rows
                    .iter()
                    .filter(|r| r.present && r.day == n.day && r.chat == n.chat)
                    .map(|r| r.cents)
                    .sum();
                out.labels.push(Label {
                    target: n.by,
                    unit: Unit::ChatDay,
                    account_id: id,
                    date: n.day + self.cal.start_epoch,
                    service: None,
                    chat_id: n.chat,
                    clean_present: false,
                    present: true,
                    clean_events: 0,
                    events: 0,
                    clean_cents: 0,
                    cents,
                });
            }
            let labels_here = out.labels.iter().rev().take_while(|l| l.account_id == id);
            let mut days: Vec<(usize, i32)> = Vec::new();
            for l in labels_here {
                if let Some(e) = out.effects.iter_mut().rev().find(|e| e.target == l.target) {
                    e.units += 1;
                    if l.unit == Unit::ServiceDay {
                        e.clean_cents += l.clean_cents;
                        e.cents += l.cents;
                    }
                    days.push((l.target, l.date));
                }
            }
            days.sort_unstable();
            days.dedup();
            for (ti, _) in days {
                if let Some(e) = out.effects.iter_mut().rev().find(|e| e.target == ti) {
                    e.account_days += 1;
                }
            }
            // The account's rows in load order.
            rows.retain(|r| r.present);
            rows.sort_by_key(|r| (r.day, r.service, r.chat));
            for r in &rows {
                sd.account_id.push(id);
                sd.service.push(r.service);
                sd.date.push(r.day + self.cal.start_epoch);
                sd.chat_id.push(r.chat);
                sd.n_events.push(r.events.min(i32::MAX as i64) as i32);
                sd.cost.push(if r.changed() { r.cents as f64 / 100.0 } else { r.cost });
            }
            if caps {
                let mut all: Vec<(i32, i64)> = chat_days.clone();
                all.extend(added.iter().map(|n| (n.day, n.chat)));
                all.sort_unstable();
                for (d, c) in all {
                    cd.chat_id.push(c);
                    cd.account_id.push(id);
                    cd.date.push(d + self.cal.start_epoch);
                }
                copy_ch(&b.chats, chr, &mut ch);
                append_ch(&new_chats, &mut ch);
                copy_sp(&b.chat_spells, spr, &mut sp);
                append_sp(&new_spells, &mut sp);
            }
            t = t_end;
        }
        b.service_days = sd;
        if caps {
            b.chat_days = cd;
            b.chats = ch;
            b.chat_spells = sp;
        }
        Ok(out)
    }

    /// The clean daily cost of the affected services over up to [`BASELINE_DAYS`] days before
    /// the window (days the target could be affected on), and its standard deviation.
    fn baseline(&self, t: &Target, rows: &[Row], eff: &mut Effect) {
        let inj = &self.an.injections[t.injection];
        let from = t.from.max(t.start - BASELINE_DAYS);
        if from >= t.start {
            return;
        }
        let n = (t.start - from) as usize;
        let mut daily = vec![0i64; n];
        for r in rows {
            if let Some((_, c)) = r.clean
                && r.day >= from
                && r.day < t.start
                && (inj.services.is_empty() || inj.services.iter().any(|s| s.index() as u8 == r.service))
            {
                daily[(r.day - from) as usize] += c;
            }
        }
        let mean = daily.iter().sum::<i64>() as f64 / n as f64;
        let var = if n > 1 {
            daily.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        eff.baseline_days = n as u32;
        eff.baseline_sd_cents = var.sqrt();
    }

    /// One target's change to its account's rows.
    fn one(
        &self,
        x: &Ctx,
        rows: &mut Vec<Row>,
        added: &mut Vec<NewChatDay>,
        new_chats: &mut Chats,
        new_spells: &mut ChatSpells,
        eff: &mut Effect,
    ) -> Result<(), String> {
        let t = x.target;
        let inj = &self.an.injections[t.injection];
        let m = t.magnitude;
        let svc = |s: u8| inj.services.iter().any(|v| v.index() as u8 == s);
        let in_win = |d: i32| d >= t.start && d < t.end;
        let mut rng = stream(inj, t.account, 1);
        let touch = |r: &mut Row, eff: &mut Effect, events: i64, cents: i64| {
            eff.expected_delta_cents += (cents - r.cents) as f64;
            r.events = events;
            r.cents = cents;
            r.by.push(x.ti);
        };
        match inj.kind {
            Kind::CostSpike | Kind::PriceChange | Kind::DuplicateBilling | Kind::Drift | Kind::LevelShift => {
                let n = (t.end - t.start) as f64;
                for r in rows.iter_mut().filter(|r| r.present && in_win(r.day) && svc(r.service)) {
                    let f = match inj.kind {
                        Kind::Drift => 1.0 + (m - 1.0) * ((r.day - t.start + 1) as f64 / n),
                        _ => m,
                    };
                    let events = if inj.kind == Kind::LevelShift {
                        (r.events as f64 * f).round() as i64
                    } else {
                        r.events
                    };
                    let cents = scale(r.cents, f);
                    touch(r, eff, events, cents);
                }
            }
            Kind::Outage => {
                for r in rows.iter_mut().filter(|r| r.present && in_win(r.day) && svc(r.service)) {
                    eff.expected_delta_cents -= r.cents as f64;
                    r.present = false;
                    r.by.push(x.ti);
                }
            }
            Kind::PatternBreak => {
                let weekday: f64 = self.c.dow[..5].iter().sum::<f64>() / 5.0;
                for r in rows.iter_mut().filter(|r| r.present && in_win(r.day) && svc(r.service)) {
                    let dow = self.cal.dow[r.day as usize] as usize;
                    if dow < 5 {
                        continue;
                    }
                    let f = if inj.magnitude_given {
                        m
                    } else {
                        weekday / self.c.dow[dow]
                    };
                    let events = (r.events as f64 * f).round() as i64;
                    touch(r, eff, events, scale(r.cents, f));
                }
            }
            Kind::Runaway => {
                let s = inj.service.expect("runaway has a service").index() as u8;
                let mean = self.c.services[s as usize].mean_events;
                let lambda = (m - 1.0) * mean;
                let price = self.price(s);
                let mut days: Vec<i32> = x
                    .chat_days
                    .iter()
                    .map(|c| c.0)
                    .filter(|&d| in_win(d) && d >= t.from && d < t.to)
                    .collect();
                days.dedup();
                for d in days {
                    let extra = dist::poisson(&mut rng, lambda) as i64;
                    let at = rows.iter().position(|r| r.present && r.day == d && r.service == s);
                    match at {
                        Some(i) => {
                            eff.expected_delta_var += lambda * price * price;
                            let (ev, c) = (
                                rows[i].events + extra,
                                rows[i].cents + (extra as f64 * price).round() as i64,
                            );
                            touch(&mut rows[i], eff, ev, c);
                            eff.expected_delta_cents += lambda * price - (extra as f64 * price).round();
                        }
                        None => {
                            let events = extra.max(1);
                            let chat = self.chat_for(rows, x.chat_days, d, &mut rng);
                            let cents = ((events as f64 * price).round() as i64).max(1);
                            // E[max(X, 1)] = λ + e^(−λ).
                            eff.expected_delta_cents += (lambda + (-lambda).exp()) * price;
                            eff.expected_delta_var += lambda * price * price;
                            rows.push(new_row(d, s, chat, events, cents, x.ti));
                        }
                    }
                }
                // The expectation replaces the realised delta added by `touch`.
                return Ok(());
            }
            Kind::VolumeSpike => {
                for r in rows.iter_mut().filter(|r| r.present && in_win(r.day) && svc(r.service)) {
                    let old = r.events;
                    let new = if old > 0 {
                        (old as f64 * m).ceil() as i64
                    } else {
                        inj.min_base_count as i64
                    };
                    if new == old {
                        continue;
                    }
                    let cents = if old > 0 {
                        scale(r.cents, new as f64 / old as f64)
                    } else {
                        r.cents + (new as f64 * self.price(r.service)).round() as i64
                    };
                    touch(r, eff, new, cents);
                }
                if inj.min_base_count > 0 {
                    let n = inj.min_base_count as i64;
                    for &(d, chat) in x.chat_days.iter().filter(|c| in_win(c.0)) {
                        for s in &inj.services {
                            let s = s.index() as u8;
                            if rows
                                .iter()
                                .any(|r| r.present && r.day == d && r.service == s && r.chat == chat)
                            {
                                continue;
                            }
                            let cents = ((n as f64 * self.price(s)).round() as i64).max(1);
                            eff.expected_delta_cents += cents as f64;
                            rows.push(new_row(d, s, chat, n, cents, x.ti));
                        }
                    }
                }
            }
            Kind::DialogSpike => {
                let dialog = Service::Dialog.index() as u8;
                let mut chats: Vec<i64> = x.chat_days.iter().filter(|c| in_win(c.0)).map(|c| c.1).collect();
                chats.sort_unstable();
                chats.dedup();
                let mut picked = Vec::new();
                for _ in 0..(inj.chats as usize).min(chats.len()) {
                    let i = rng.random_range(0..chats.len());
                    picked.push(chats.swap_remove(i));
                }
                let median = self.c.service(Service::Dialog).cost.median * 100.0;
                for &(d, chat) in x.chat_days.iter().filter(|c| in_win(c.0) && picked.contains(&c.1)) {
                    match rows
                        .iter()
                        .position(|r| r.present && r.day == d && r.service == dialog && r.chat == chat)
                    {
                        Some(i) => {
                            let c = scale(rows[i].cents, m);
                            let ev = rows[i].events;
                            touch(&mut rows[i], eff, ev, c);
                        }
                        None => {
                            let cents = ((median * m).round() as i64).max(1);
                            eff.expected_delta_cents += cents as f64;
                            rows.push(new_row(d, dialog, chat, 0, cents, x.ti));
                        }
                    }
                }
            }
            Kind::CapSpike => {
                let cap = inj.cap.unwrap_or(self.c.max_concurrent) as usize;
                let dialog = Service::Dialog.index() as u8;
                let median = self.c.service(Service::Dialog).cost.median * 100.0;
                for d in t.start.max(t.from)..t.end {
                    // Only days the account is active: its pool then exists to exceed.
                    let have = x.chat_days.iter().filter(|c| c.0 == d).count();
                    if have == 0 {
                        continue;
                    }
                    let extra = (cap + inj.exceed_by as usize).saturating_sub(have);
                    let day_dialog: i64 = rows
                        .iter()
                        .filter(|r| r.clean.is_some() && r.day == d && r.service == dialog)
                        .map(|r| r.clean.map_or(0, |c| c.1))
                        .sum();
                    let cents = match (inj.dialog_cost_per_extra_chat, inj.dialog_cost_multiplier) {
                        (Some(v), _) => Some(((v * 100.0).round() as i64).max(1)),
                        (None, Some(mult)) => {
                            let base = if day_dialog > 0 { day_dialog as f64 } else { median };
                            Some(((base * mult).round() as i64).max(1))
                        }
                        (None, None) => None,
                    };
                    for _ in 0..extra {
                        let chat = self.new_chat(x, d, &mut rng, new_chats, new_spells)?;
                        added.push(NewChatDay { day: d, chat, by: x.ti });
                        if let Some(c) = cents {
                            eff.expected_delta_cents += c as f64;
                            rows.push(new_row(d, dialog, chat, 0, c, x.ti));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The chat a new service row of day `d` goes on: the chat other rows of the day use (one
    /// service row set per account-day), else one of the day's active chats.
    fn chat_for(&self, rows: &[Row], chat_days: &[(i32, i64)], d: i32, rng: &mut impl Rng) -> i64 {
        if let Some(r) = rows.iter().find(|r| r.present && r.day == d) {
            return r.chat;
        }
        let day: Vec<i64> = chat_days.iter().filter(|c| c.0 == d).map(|c| c.1).collect();
        day[rng.random_range(0..day.len())]
    }

    /// A chat added by cap_spike on day `d`: its id from the top of the account's id slice.
    fn new_chat(
        &self,
        x: &Ctx,
        d: i32,
        rng: &mut impl Rng,
        chats: &mut Chats,
        spells: &mut ChatSpells,
    ) -> Result<i64, String> {
        let k = chats.chat_id.len() as u64;
        let slots = self.chat_ids.slots;
        let ordinal = slots.checked_sub(1 + k).filter(|&o| o >= x.clean_chats);
        let id = ordinal.and_then(|o| self.chat_ids.id(x.target.account as u64, o)).ok_or_else(|| {
            format!(
                "account {} needs more than {slots} chat ids with the chats cap_spike adds: chats.chat_id_digits = {} is too small (allowed: more digits, a smaller exceed_by or fewer accounts)",
                x.account_id, self.c.chat_id_digits
            )
        })?;
        let u: f64 = rng.random();
        let ty = self.chat_types.pick(u);
        let e0 = self.cal.start_epoch;
        chats.chat_id.push(id);
        chats.account_id.push(x.account_id);
        chats.chat_type.push(ty);
        chats.created_date.push(e0 + d);
        chats.popularity.push(1.0);
        spells.chat_id.push(id);
        spells.account_id.push(x.account_id);
        spells.started_on.push(e0 + d);
        spells.ended_on.push((d + 1 < self.cal.days).then_some(e0 + d + 1));
        spells.origin.push(SpellOrigin::Injected);
        Ok(id)
    }
}

/// What one target's application needs about its account.
struct Ctx<'a> {
    ti: usize,
    target: &'a Target,
    chat_days: &'a [(i32, i64)],
    clean_chats: u64,
    account_id: i64,
}

fn new_row(day: i32, service: u8, chat: i64, events: i64, cents: i64, by: usize) -> Row {
    Row {
        day,
        service,
        chat,
        events,
        cents,
        cost: 0.0,
        clean: None,
        present: true,
        by: vec![by],
    }
}

/// The row range of each account in a column grouped by account.
fn runs(ids: &[i64]) -> std::collections::HashMap<i64, std::ops::Range<usize>> {
    let mut out = std::collections::HashMap::new();
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j < ids.len() && ids[j] == ids[i] {
            j += 1;
        }
        out.insert(ids[i], i..j);
        i = j;
    }
    out
}

fn copy_sd(s: &ServiceDays, r: std::ops::Range<usize>, o: &mut ServiceDays) {
    o.account_id.extend_from_slice(&s.account_id[r.clone()]);
    o.service.extend_from_slice(&s.service[r.clone()]);
    o.date.extend_from_slice(&s.date[r.clone()]);
    o.chat_id.extend_from_slice(&s.chat_id[r.clone()]);
    o.n_events.extend_from_slice(&s.n_events[r.clone()]);
    o.cost.extend_from_slice(&s.cost[r]);
}

fn copy_cd(s: &ChatDays, r: std::ops::Range<usize>, o: &mut ChatDays) {
    o.chat_id.extend_from_slice(&s.chat_id[r.clone()]);
    o.account_id.extend_from_slice(&s.account_id[r.clone()]);
    o.date.extend_from_slice(&s.date[r]);
}

fn copy_ch(s: &Chats, r: std::ops::Range<usize>, o: &mut Chats) {
    o.chat_id.extend_from_slice(&s.chat_id[r.clone()]);
    o.account_id.extend_from_slice(&s.account_id[r.clone()]);
    o.chat_type.extend_from_slice(&s.chat_type[r.clone()]);
    o.created_date.extend_from_slice(&s.created_date[r.clone()]);
    o.popularity.extend_from_slice(&s.popularity[r]);
}

fn append_ch(s: &Chats, o: &mut Chats) {
    copy_ch(s, 0..s.chat_id.len(), o)
}

fn copy_sp(s: &ChatSpells, r: std::ops::Range<usize>, o: &mut ChatSpells) {
    o.chat_id.extend_from_slice(&s.chat_id[r.clone()]);
    o.account_id.extend_from_slice(&s.account_id[r.clone()]);
    o.started_on.extend_from_slice(&s.started_on[r.clone()]);
    o.ended_on.extend_from_slice(&s.ended_on[r.clone()]);
    o.origin.extend_from_slice(&s.origin[r]);
}

fn append_sp(s: &ChatSpells, o: &mut ChatSpells) {
    copy_sp(s, 0..s.chat_id.len(), o)
}
