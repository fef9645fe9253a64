//! The validated config: every range and cross-field rule checked once, here, so that the model
//! never has to. Errors carry the key path and, through `locate`, the line that holds the key.

use chrono::NaiveDate;

use super::Source;
use super::error::{ConfigError, ConfigErrors};
use super::locate::locate;
use super::overrides::Override;
use super::raw::{PerService, RawConfig, RawCost};

/// The three services, fixed by the joint view's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    Tasks,
    Classifications,
    AmocrmCall,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Tasks, Service::Classifications, Service::AmocrmCall];

    pub fn name(self) -> &'static str {
        match self {
            Service::Tasks => "tasks",
            Service::Classifications => "classifications",
            Service::AmocrmCall => "amocrm_call",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A capped lognormal: `min(max, LogNormal(ln median, sigma))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    pub median: f64,
    pub sigma: f64,
    pub max: f64,
}

/// How an account-day's service usage is attached to chat rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistributeMode {
    /// All of an account-day's service usage goes to one of its active chats.
    OneChat,
    /// Each service's events of an account-day are split over all its active chats.
    Spread,
}

impl DistributeMode {
    pub const NAMES: [&str; 2] = ["one_chat", "spread"];

    pub fn name(self) -> &'static str {
        match self {
            DistributeMode::OneChat => "one_chat",
            DistributeMode::Spread => "spread",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceParams {
    pub service: Service,
    pub cost: Cost,
    pub new_adopters_per_month: u32,
    pub trial_days: u32,
    pub p_convert: f64,
    pub mean_active_days: f64,
    pub mean_events: f64,
    pub dispersion_k: f64,
}

/// A config the model can use without further checks.
#[derive(Debug, Clone)]
pub struct Config {
    pub raw: RawConfig,
    pub seed: u64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub n_accounts: u64,
    pub before_start_share: f64,
    pub activity_shape: f64,
    pub chats_mean: f64,
    pub chats_max: u32,
    /// (chat_type, weight), in key order.
    pub chat_types: Vec<(String, f64)>,
    pub base_daily_prob: f64,
    pub dow: [f64; 7],
    pub month: [f64; 12],
    pub cost_dialog: Cost,
    pub services: [ServiceParams; 3],
    pub adoption_alpha: f64,
    /// (day since adoption, share still subscribed), increasing days.
    pub retention: Vec<(u32, f64)>,
    pub post_churn: f64,
    pub distribute: DistributeMode,
    pub correlation: f64,
    pub output_path: String,
}

impl Config {
    pub fn days(&self) -> u32 {
        (self.end - self.start).num_days() as u32 + 1
    }
}

/// Collects problems with their key paths; resolves locations at the end.
struct Problems<'a> {
    source: &'a Source,
    overrides: &'a [Override],
    list: Vec<ConfigError>,
}

impl Problems<'_> {
    fn push(&mut self, key: &str, message: String) {
        // A value set on the command line is blamed on that flag, not on the file.
        let (source, location) = match self.overrides.iter().rev().find(|o| {
            key == o.key() || key.starts_with(&format!("{}.", o.key())) || key.starts_with(&format!("{}[", o.key()))
        }) {
            Some(o) => (o.origin.clone(), None),
            None => (self.source.name.clone(), locate(&self.source.text, key)),
        };
        self.list.push(ConfigError {
            source,
            location,
            key: key.into(),
            message,
        });
    }

    fn check(&mut self, ok: bool, key: &str, found: impl std::fmt::Display, allowed: &str) {
        if !ok {
            self.push(key, format!("{found} is out of range; allowed: {allowed}"));
        }
    }

    fn probability(&mut self, key: &str, v: f64) {
        self.check((0.0..=1.0).contains(&v), key, v, "a probability in [0, 1]");
    }

    fn positive(&mut self, key: &str, v: f64) {
        self.check(v > 0.0 && v.is_finite(), key, v, "a finite number > 0");
    }

    fn cost(&mut self, key: &str, c: &RawCost) -> Cost {
        self.positive(&format!("{key}.median"), c.median);
        self.positive(&format!("{key}.sigma"), c.sigma);
        self.positive(&format!("{key}.max"), c.max);
        Cost {
            median: c.median,
            sigma: c.sigma,
            max: c.max,
        }
    }

    fn date(&mut self, key: &str, s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|_| {
            self.push(
                key,
                format!("`{s}` is not a date; allowed: an ISO date like 2025-01-01"),
            );
            NaiveDate::MIN
        })
    }
}

fn per<T: Copy>(p: &PerService<T>, s: Service) -> T {
    match s {
        Service::Tasks => p.tasks,
        Service::Classifications => p.classifications,
        Service::AmocrmCall => p.amocrm_call,
    }
}

pub fn validate(raw: RawConfig, source: &Source, overrides: &[Override]) -> Result<Config, ConfigErrors> {
    let mut p = Problems {
        source,
        overrides,
        list: Vec::new(),
    };

    let start = p.date("dataset.start_date", &raw.dataset.start_date);
    let end = p.date("dataset.end_date", &raw.dataset.end_date);
    if start != NaiveDate::MIN && end != NaiveDate::MIN {
        p.check(
            start <= end,
            "dataset.end_date",
            &raw.dataset.end_date,
            &format!("a date on or after start_date {start}"),
        );
        p.check(
            (end - start).num_days() < 20 * 366,
            "dataset.end_date",
            &raw.dataset.end_date,
            "a range of at most 20 years",
        );
    }

    let a = &raw.accounts;
    p.check(
        (1..=100_000_000).contains(&a.n_accounts),
        "accounts.n_accounts",
        a.n_accounts,
        "an integer in [1, 100000000]",
    );
    p.probability("accounts.before_start_share", a.before_start_share);
    p.positive("accounts.activity_shape", a.activity_shape);

    let c = &raw.chats;
    p.check(
        c.mean_per_account >= 1.0 && c.mean_per_account.is_finite(),
        "chats.mean_per_account",
        c.mean_per_account,
        "a number >= 1",
    );
    p.check(
        (1..=1000).contains(&c.max_per_account),
        "chats.max_per_account",
        c.max_per_account,
        "an integer in [1, 1000]",
    );
    if c.mean_per_account.is_finite() && (1..=1000).contains(&c.max_per_account) {
        let allowed = format!("a number in [1, max_per_account = {}]", c.max_per_account);
        p.check(
            c.mean_per_account <= f64::from(c.max_per_account),
            "chats.mean_per_account",
            c.mean_per_account,
            &allowed,
        );
    }
    if c.chat_types.is_empty() {
        p.push(
            "chats.chat_types",
            "is empty; allowed: at least one chat_type with a weight > 0".into(),
        );
    }
    for (name, w) in &c.chat_types {
        p.positive(&format!("chats.chat_types.{name}"), *w);
    }

    let act = &raw.activity;
    p.probability("activity.base_daily_prob", act.base_daily_prob);
    let dow = multipliers::<7>(
        &mut p,
        "activity.dow_multiplier",
        &act.dow_multiplier,
        "7 entries, Monday to Sunday",
    );
    let month = multipliers::<12>(
        &mut p,
        "activity.month_multiplier",
        &act.month_multiplier,
        "12 entries, January to December",
    );
    let cost_dialog = p.cost("activity.cost_dialog", &act.cost_dialog);

    let m = &raw.services_model;
    let services = Service::ALL.map(|s| {
        let n = s.name();
        let cost = p.cost(
            &format!("services.cost_when_used.{n}"),
            match s {
                Service::Tasks => &raw.services.cost_when_used.tasks,
                Service::Classifications => &raw.services.cost_when_used.classifications,
                Service::AmocrmCall => &raw.services.cost_when_used.amocrm_call,
            },
        );
        let trial_days = per(&m.trial_days, s);
        p.check(
            (1..=365).contains(&trial_days),
            &format!("services_model.trial_days.{n}"),
            trial_days,
            "an integer number of days in [1, 365]",
        );
        let p_convert = per(&m.p_convert_after_trial, s);
        p.probability(&format!("services_model.p_convert_after_trial.{n}"), p_convert);
        let mean_active_days = per(&raw.services_usage_days.mean_active_days, s);
        p.check(
            (0.0..=30.0).contains(&mean_active_days),
            &format!("services_usage_days.mean_active_days.{n}"),
            mean_active_days,
            "days per 30 subscribed days in [0, 30]",
        );
        let mean_events = per(&raw.services_event_volume.mean_events_per_active_day, s);
        p.check(
            (1.0..=1e6).contains(&mean_events),
            &format!("services_event_volume.mean_events_per_active_day.{n}"),
            mean_events,
            "a number in [1, 1000000] (a usage day has at least one event)",
        );
        let dispersion_k = per(&raw.services_event_volume.dispersion_k, s);
        p.positive(&format!("services_event_volume.dispersion_k.{n}"), dispersion_k);
        let new_adopters_per_month = per(&m.new_adopters_per_month, s);
        // More adopters than this can never be placed in any sane dataset; the bound keeps the plan fast.
        let key = format!("services_model.new_adopters_per_month.{n}");
        p.check(
            new_adopters_per_month <= 1_000_000,
            &key,
            new_adopters_per_month,
            "an integer in [0, 1000000]",
        );
        ServiceParams {
            service: s,
            cost,
            new_adopters_per_month,
            trial_days,
            p_convert,
            mean_active_days,
            mean_events,
            dispersion_k,
        }
    });

    p.check(
        m.adoption_day_bias.alpha >= 0.0 && m.adoption_day_bias.alpha <= 100.0,
        "services_model.adoption_day_bias.alpha",
        m.adoption_day_bias.alpha,
        "a number in [0, 100] (0 = uniform)",
    );
    let max_trial = services.iter().map(|s| s.trial_days).max().unwrap_or(0);
    let mut previous = 1.0;
    for (day, share) in &m.retention_targets {
        let key = format!("services_model.retention_targets.{day}");
        if *day <= max_trial {
            p.push(
                &key,
                format!("day {day} is within a trial; allowed: days after the longest trial ({max_trial} days)"),
            );
        }
        p.check(
            *share > 0.0 && *share <= previous,
            &key,
            share,
            &format!("a share in (0, {previous}] (targets must not increase with the day)"),
        );
        previous = previous.min(*share);
    }
    if m.retention_targets.is_empty() {
        p.push(
            "services_model.retention_targets",
            "is empty; allowed: day -> share entries such as 30: 0.8".into(),
        );
    }
    p.check(
        (0.0..1.0).contains(&m.post90_daily_churn),
        "services_model.post90_daily_churn",
        m.post90_daily_churn,
        "a daily probability in [0, 1)",
    );
    let distribute = match m.distribute_to_chats.mode.as_str() {
        "one_chat" => DistributeMode::OneChat,
        "spread" => DistributeMode::Spread,
        other => {
            let hint = super::error::nearest(other, &DistributeMode::NAMES)
                .map(|b| format!("did you mean `{b}`? "))
                .unwrap_or_default();
            p.push(
                "services_model.distribute_to_chats.mode",
                format!("`{other}` is not a mode; {hint}allowed: one_chat, spread"),
            );
            DistributeMode::OneChat
        }
    };
    p.probability("services_model.correlation.strength", m.correlation.strength);

    if !p.list.is_empty() {
        return Err(ConfigErrors(p.list));
    }
    Ok(Config {
        seed: raw.dataset.seed,
        start,
        end,
        n_accounts: a.n_accounts,
        before_start_share: a.before_start_share,
        activity_shape: a.activity_shape,
        chats_mean: c.mean_per_account,
        chats_max: c.max_per_account,
        chat_types: c.chat_types.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        base_daily_prob: act.base_daily_prob,
        dow,
        month,
        cost_dialog,
        services,
        adoption_alpha: m.adoption_day_bias.alpha,
        retention: m.retention_targets.iter().map(|(d, s)| (*d, *s)).collect(),
        post_churn: m.post90_daily_churn,
        distribute,
        correlation: m.correlation.strength,
        output_path: raw.output.path.clone(),
        raw,
    })
}

fn multipliers<const N: usize>(p: &mut Problems, key: &str, v: &[f64], shape: &str) -> [f64; N] {
    if v.len() != N {
        p.push(key, format!("has {} entries; allowed: exactly {shape}", v.len()));
        return [1.0; N];
    }
    for (i, x) in v.iter().enumerate() {
        p.check(
            *x >= 0.0 && x.is_finite(),
            &format!("{key}[{i}]"),
            x,
            "a finite multiplier >= 0",
        );
    }
    if v.iter().all(|x| *x == 0.0) {
        p.push(key, "is all zeros; allowed: at least one multiplier > 0".into());
    }
    let mut out = [0.0; N];
    out.copy_from_slice(v);
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Source, load};

    #[test]
    fn default_config_is_valid() {
        let c = load(&Source::builtin(), None, &[]).unwrap();
        assert_eq!(c.days(), 365);
        assert_eq!(c.services[2].service.name(), "amocrm_call");
    }

    #[test]
    fn reports_every_problem_with_location() {
        let text = super::super::DEFAULT_CONFIG
            .replace("tasks: 0.6", "tasks: 1.6")
            .replace("sigma: 0.8", "sigma: -0.8");
        let src = Source {
            name: "bad.yaml".into(),
            text,
        };
        let errs = load(&src, None, &[]).unwrap_err();
        let msgs: Vec<String> = errs.0.iter().map(|e| e.to_string()).collect();
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("bad.yaml:30:5: activity.cost_dialog.sigma: -0.8 is out of range")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains(
                "services_model.p_convert_after_trial.tasks: 1.6 is out of range; allowed: a probability in [0, 1]"
            )),
            "{msgs:?}"
        );
    }

    #[test]
    fn override_errors_name_the_flag() {
        let errs = load(&Source::builtin(), None, &["accounts.n_accounts=0".into()]).unwrap_err();
        assert_eq!(
            errs.to_string(),
            "invalid config: --set accounts.n_accounts=0: accounts.n_accounts: 0 is out of range; allowed: an integer in [1, 100000000]"
        );
    }
}
