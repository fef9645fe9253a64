//! Choosing each injection's targets before any row is generated, from the plan alone: which
//! accounts are eligible (they exist in the window; for a paid service, they are subscribed to it
//! during the window), a deterministic ranking of them keyed by (injection seed, account), the
//! overlap policy, and per target a start day and magnitude from the injection's own stream. So
//! adding, removing or editing one injection changes no other injection's targets (under
//! `overlap: keep`; under `forbid` only those of later injections that would have collided).

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::spec::{Anomalies, Injection, Kind, Overlap, Targets};
use crate::config::{Config, ConfigErrors, Service};
use crate::model::account::Generator;
use crate::model::calendar::Calendar;
use crate::model::plan::Plan;

/// One injection on one account.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Index into [`Anomalies::injections`].
    pub injection: usize,
    /// Account index (the plan's order) and id.
    pub account: usize,
    pub account_id: i64,
    /// The window: day indices `[start, end)`.
    pub start: i32,
    pub end: i32,
    pub magnitude: f64,
    /// Where the account can be affected: `[from, to)` (its life, or its subscription).
    pub from: i32,
    pub to: i32,
}

/// An injection's random stream for one account and purpose (0 choice, 1 application).
pub fn stream(inj: &Injection, account: usize, purpose: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(inj.seed);
    rng.set_stream(account as u64 * 4 + purpose);
    rng
}

/// A well-mixed 64-bit key (splitmix64's finaliser).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The paid service an injection needs a subscription to, if any.
fn paid_service(inj: &Injection) -> Option<usize> {
    inj.service.and_then(Service::paid_index)
}

/// Every target of every injection, ordered by account then injection; or the located problems
/// (more targets than eligible accounts, an id that is not an account or not eligible, a
/// collision under `overlap: forbid`).
pub fn choose(an: &Anomalies, c: &Config, cal: &Calendar, plan: &Plan) -> Result<Vec<Target>, ConfigErrors> {
    choose_counted(an, c, cal, plan).map(|(targets, _)| targets)
}

/// Per injection, the accounts passed over because they had fewer than `min_baseline_days` days
/// of clean usage of what it changes before any start (the manifest records them).
pub fn passed_over(an: &Anomalies, c: &Config, cal: &Calendar, plan: &Plan) -> Result<Vec<u64>, ConfigErrors> {
    choose_counted(an, c, cal, plan).map(|(_, skipped)| skipped)
}

/// How the starts of one account came out.
enum Starts {
    /// The starts it can take.
    Some(Vec<i32>),
    /// No start's window holds a day the injection can act on.
    Idle,
    /// Some do, but none after `min_baseline_days` days of usage.
    NoHistory,
}

/// [`choose`], with [`passed_over`]'s counts.
fn choose_counted(
    an: &Anomalies,
    c: &Config,
    cal: &Calendar,
    plan: &Plan,
) -> Result<(Vec<Target>, Vec<u64>), ConfigErrors> {
    let generator = Generator::new(c, cal, plan);
    let ids: HashMap<i64, usize> = plan.profiles.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    // Per paid service: account index → [adopted, end) of its subscription.
    let mut subs: [HashMap<usize, (i32, i32)>; 3] = Default::default();
    for (si, list) in plan.adoptions.iter().enumerate() {
        if an.injections.iter().any(|inj| paid_service(inj) == Some(si)) {
            for &(a, day) in list {
                let end = generator.lifecycle(a as usize, si, day).end.min(cal.days);
                subs[si].insert(a as usize, (day, end));
            }
        }
    }
    let dialog_launch = cal.index(c.service(Service::Dialog).launch).max(0);
    let mut taken: HashMap<usize, Vec<(i32, i32)>> = HashMap::new();
    let mut passed_over = vec![0u64; an.injections.len()];
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (ii, inj) in an.injections.iter().enumerate() {
        let k = |name: &str| format!("{}.{name}", inj.key);
        let len = |s: i32| inj.duration.map_or(cal.days - s, |d| d as i32);
        // Where account `a` can be affected, if anywhere.
        let span = |a: usize| -> Option<(i32, i32)> {
            let signup = plan.profiles[a].signup.max(0);
            match paid_service(inj) {
                Some(si) => subs[si].get(&a).copied(),
                None if inj.service == Some(Service::Dialog) => Some((signup.max(dialog_launch), cal.days)),
                None => Some((signup, cal.days)),
            }
        };
        // The starts in [lo, hi] whose window meets [from, to).
        let feasible = |(from, to): (i32, i32)| -> Option<(i32, i32)> {
            let (lo, hi) = inj.start;
            let first = (lo..=hi).find(|&s| s < to && s + len(s) > from)?;
            let last = (lo..=hi).rev().find(|&s| s < to && s + len(s) > from)?;
            Some((first, last))
        };
        let free = |taken: &HashMap<usize, Vec<(i32, i32)>>, a: usize, s: i32, e: i32| {
            an.overlap == Overlap::Keep
                || taken
                    .get(&a)
                    .is_none_or(|w| w.iter().all(|&(ws, we)| e <= ws || we <= s))
        };
        // For named and counted targets, the starts whose window holds a day the injection can
        // act on (a row of its services; a chat-day for the kinds that add rows), from the
        // account's own generated rows: a target is never invisible for want of usage. For every
        // target, with min_baseline_days > 0, the starts after at least that many days of clean
        // usage of what it changes (its services' rows, or chat-days), so a detector could see
        // the change against the account's own history.
        let starts = |a: usize, (first, last): (i32, i32), span: (i32, i32), window: bool| -> Result<Starts, String> {
            let min = inj.min_baseline_days as usize;
            if !window && min == 0 {
                return Ok(Starts::Some((first..=last).collect()));
            }
            let b = generator.accounts(a, a + 1)?;
            let days = active_days(inj, &b, cal, span, true);
            let history = if min > 0 {
                active_days(inj, &b, cal, span, false)
            } else {
                Vec::new()
            };
            let mut acts = false;
            let mut out = Vec::new();
            for s in first..=last {
                let i = days.partition_point(|&d| d < s);
                if window && !(i < days.len() && days[i] < s + len(s)) {
                    continue;
                }
                acts = true;
                if history.partition_point(|&d| d < s) >= min {
                    out.push(s);
                }
            }
            Ok(match (out.is_empty(), acts) {
                (false, _) => Starts::Some(out),
                (true, true) => Starts::NoHistory,
                (true, false) => Starts::Idle,
            })
        };
        let draw = |a: usize, starts: &[i32]| {
            let mut rng = stream(inj, a, 0);
            let start = starts[if starts.len() == 1 {
                0
            } else {
                rng.random_range(0..starts.len())
            }];
            let (lo, hi) = inj.magnitude;
            let m = if lo == hi { lo } else { rng.random_range(lo..=hi) };
            (start, m)
        };
        let what = eligible_words(inj, cal);
        let mut chosen: Vec<Target> = Vec::new();
        let make = |a: usize, span: (i32, i32), start: i32, m: f64| Target {
            injection: ii,
            account: a,
            account_id: plan.profiles[a].id,
            start,
            end: (start + len(start)).min(cal.days),
            magnitude: m,
            from: span.0,
            to: span.1,
        };
        match &inj.targets {
            Targets::Ids(list) => {
                for (i, id) in list.iter().enumerate() {
                    let key = format!("{}[{i}]", k("account_ids"));
                    let Some(&a) = ids.get(id) else {
                        errors.push((
                            key,
                            format!("{id} is not an account of this dataset; allowed: ids from the accounts table"),
                        ));
                        continue;
                    };
                    let Some(f) = span(a).and_then(feasible) else {
                        errors.push((key, format!("account {id} is not eligible: it must be {what}")));
                        continue;
                    };
                    let s = match starts(a, f, span(a).expect("eligible"), true)
                        .map_err(|e| ConfigErrors(vec![c.blame.error(&key, e)]))?
                    {
                        Starts::Some(s) => s,
                        Starts::Idle => {
                            errors.push((
                                key,
                                format!(
                                    "account {id} has nothing a {} can change in the window ({})",
                                    inj.kind.name(),
                                    acts_on(inj)
                                ),
                            ));
                            continue;
                        }
                        Starts::NoHistory => {
                            errors.push((
                                key,
                                format!(
                                    "account {id} has fewer than {} days of {} before any start of the window, so a detector could not see the change; allowed: another account, or a lower {}",
                                    inj.min_baseline_days,
                                    history_words(inj),
                                    k("min_baseline_days")
                                ),
                            ));
                            continue;
                        }
                    };
                    let (start, m) = draw(a, &s);
                    let t = make(a, span(a).expect("eligible"), start, m);
                    if !free(&taken, a, t.start, t.end) {
                        errors.push((key, format!("account {id} already has an injection in an overlapping window; allowed: another account, or overlap: keep")));
                        continue;
                    }
                    chosen.push(t);
                }
            }
            Targets::Count(_) | Targets::Share(_) => {
                let mut ranked: Vec<(u64, usize, (i32, i32))> = (0..plan.profiles.len())
                    .filter_map(|a| {
                        let s = span(a)?;
                        feasible(s)?;
                        Some((mix(inj.seed ^ mix(a as u64)), a, s))
                    })
                    .collect();
                ranked.sort_unstable();
                let eligible = ranked.len();
                let count = match inj.targets {
                    Targets::Count(n) => Some(n as usize),
                    _ => None,
                };
                let key = match inj.targets {
                    Targets::Count(_) if inj.original.is_some() => k("account_selection.k"),
                    Targets::Count(_) => k("accounts"),
                    _ => k("share"),
                };
                if eligible == 0 {
                    errors.push((key, format!("no account is eligible: none is {what}")));
                    continue;
                }
                if let Some(want) = count
                    && want > eligible
                {
                    errors.push((
                        key,
                        format!(
                            "{want} accounts asked for, but only {eligible} are {what}; allowed: at most {eligible}"
                        ),
                    ));
                    continue;
                }
                // A count takes the first free accounts in rank order; a share is of the free ones.
                let mut skipped = 0;
                let mut without_history = 0;
                for (_, a, s) in ranked {
                    if count.is_some_and(|n| chosen.len() == n) {
                        break;
                    }
                    let f = feasible(s).expect("ranked accounts are feasible");
                    let st = match starts(a, f, s, count.is_some())
                        .map_err(|e| ConfigErrors(vec![c.blame.error(&key, e)]))?
                    {
                        Starts::Some(st) => st,
                        Starts::Idle => {
                            skipped += 1;
                            continue;
                        }
                        Starts::NoHistory => {
                            without_history += 1;
                            continue;
                        }
                    };
                    let (start, m) = draw(a, &st);
                    let t = make(a, s, start, m);
                    if free(&taken, a, t.start, t.end) {
                        chosen.push(t);
                    }
                }
                let want = match inj.targets {
                    Targets::Share(x) => ((x * chosen.len() as f64).round() as usize).max(1),
                    _ => count.unwrap_or(0),
                };
                chosen.truncate(want);
                passed_over[ii] = without_history;
                if chosen.len() < want {
                    let mut without = if skipped > 0 {
                        format!(
                            ", {skipped} have nothing it can change in the window ({})",
                            acts_on(inj)
                        )
                    } else {
                        String::new()
                    };
                    if without_history > 0 {
                        without.push_str(&format!(
                            ", {without_history} have fewer than {} days of {} before the start (min_baseline_days)",
                            inj.min_baseline_days,
                            history_words(inj)
                        ));
                    }
                    errors.push((key, format!(
                        "{want} accounts asked for, but only {} of the {eligible} {what} can take it (overlap: {}{without}); allowed: at most {}",
                        chosen.len(), if an.overlap == Overlap::Forbid { "forbid keeps them off accounts with another injection in an overlapping window" } else { "keep" }, chosen.len()
                    )));
                    continue;
                }
            }
        }
        for t in &chosen {
            taken.entry(t.account).or_default().push((t.start, t.end));
        }
        out.extend(chosen);
    }
    if !errors.is_empty() {
        return Err(ConfigErrors(
            errors.into_iter().map(|(key, msg)| c.blame.error(&key, msg)).collect(),
        ));
    }
    out.sort_by_key(|t| (t.account, t.injection));
    Ok((out, passed_over))
}

/// The history `min_baseline_days` counts, in words.
fn history_words(inj: &Injection) -> String {
    if adds_rows(inj) {
        return "activity (chat-days)".into();
    }
    let names: Vec<&str> = inj.services.iter().map(|s| s.name()).collect();
    format!("usage of {}", names.join(" or "))
}

/// What makes an account eligible for an injection, in words.
fn eligible_words(inj: &Injection, cal: &Calendar) -> String {
    let (lo, hi) = inj.start;
    let when = if lo == hi {
        format!("from {}", cal.date(lo))
    } else {
        format!("for a start between {} and {}", cal.date(lo), cal.date(hi))
    };
    match (inj.service, inj.kind) {
        (Some(s), _) if s != Service::Dialog => format!("subscribed to {} in the window {when}", s.name()),
        (_, Kind::CapSpike) | (None, _) => format!("signed up by the end of the window {when}"),
        _ => format!("signed up, with dialog launched, by the end of the window {when}"),
    }
}

/// What an injection acts on, in words.
fn acts_on(inj: &Injection) -> String {
    if adds_rows(inj) {
        return "needs an active chat-day".into();
    }
    let names: Vec<&str> = inj.services.iter().map(|s| s.name()).collect();
    let weekend = if inj.kind == Kind::PatternBreak {
        " on a Saturday or Sunday"
    } else {
        ""
    };
    format!("needs a row of {}{weekend}", names.join(" or "))
}

/// The kinds that add rows on active chat-days rather than change existing ones.
fn adds_rows(inj: &Injection) -> bool {
    matches!(inj.kind, Kind::Runaway | Kind::DialogSpike | Kind::CapSpike)
        || (inj.kind == Kind::VolumeSpike && inj.min_base_count > 0)
}

/// The days (sorted, within `span`) on which the injection can change something of account
/// block `b` (with `weekend`, pattern_break's Saturdays and Sundays only; without, every day of
/// usage: its history).
fn active_days(
    inj: &Injection,
    b: &crate::model::block::Block,
    cal: &Calendar,
    span: (i32, i32),
    weekend: bool,
) -> Vec<i32> {
    let e0 = cal.start_epoch;
    let mut days: Vec<i32> = if adds_rows(inj) {
        b.chat_days.date.iter().map(|d| d - e0).collect()
    } else {
        let sd = &b.service_days;
        (0..sd.date.len())
            .filter(|&i| inj.services.iter().any(|s| s.index() as u8 == sd.service[i]))
            .map(|i| sd.date[i] - e0)
            .filter(|&d| !weekend || inj.kind != Kind::PatternBreak || cal.dow[d as usize] >= 5)
            .collect()
    };
    days.retain(|&d| d >= span.0 && d < span.1);
    days.sort_unstable();
    days.dedup();
    days
}
