//! The config exactly as written in YAML, in the original generator's language
//! (`config_data_generator.yaml` loads unchanged): plain serde structs with
//! `deny_unknown_fields`, no validation. Keys the original does not have are usage-gen's
//! extensions; each is optional, and its default reproduces the original's behaviour (marked
//! "extension" below and in the README). `super::validate` turns a [`RawConfig`] into the
//! checked [`super::Config`].

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub dataset: RawDataset,
    pub accounts: RawAccounts,
    pub chats: RawChats,
    pub chat_lifecycle: RawLifecycle,
    pub activity: RawActivity,
    pub services_usage_days: RawUsageDays,
    pub services_event_volume: RawEventVolume,
    pub services: RawServices,
    pub services_model: RawServicesModel,
    pub output: RawOutput,
    /// Anomaly injections (ours or the original's scenario file), checked by `crate::anomaly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomalies: Option<serde_yaml_ng::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDataset {
    pub start_date: String,
    pub end_date: String,
    pub seed: u64,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccounts {
    pub n_accounts: u64,
    pub account_id_min: u64,
    pub account_id_max: u64,
    /// Extension: share of accounts that exist from the first day; the rest sign up on a uniform
    /// day of the range.
    #[serde(default = "one")]
    pub before_start_share: f64,
    /// Extension: per-account activity level ~ Gamma(shape, mean 1) scaling `base_q` and chat
    /// arrivals; absent or null = every account alike.
    #[serde(default)]
    pub activity_shape: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawChats {
    pub max_concurrent_per_account: u32,
    pub chat_id_digits: u32,
    pub chat_types: Vec<String>,
    /// Extension: relative weight of each chat type; absent or null = uniform.
    #[serde(default)]
    pub chat_type_weights: Option<BTreeMap<String, f64>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLifecycle {
    pub initial_active_chats_per_account: RawInitialPool,
    pub enabled: bool,
    pub new_chats_lambda_per_account_day: f64,
    pub lifetime: RawLifetime,
    pub reactivation_prob: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawInitialPool {
    pub dist: String,
    pub mean: f64,
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLifetime {
    pub dist: String,
    pub mean_days: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawActivity {
    pub p_full_day: f64,
    pub base_q: f64,
    pub q_clip_min: f64,
    pub q_clip_max: f64,
    pub dow_multiplier: RawWeekdays,
    pub month_multiplier: RawMonths,
    pub chat_popularity_lognorm_sigma: f64,
}

/// Day-of-week multipliers, keyed `Mon` … `Sun`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RawWeekdays {
    pub Mon: f64,
    pub Tue: f64,
    pub Wed: f64,
    pub Thu: f64,
    pub Fri: f64,
    pub Sat: f64,
    pub Sun: f64,
}

impl RawWeekdays {
    pub fn values(&self) -> [f64; 7] {
        [self.Mon, self.Tue, self.Wed, self.Thu, self.Fri, self.Sat, self.Sun]
    }
}

/// Month multipliers, keyed `1` … `12` (all twelve).
#[derive(Debug, Clone, PartialEq)]
pub struct RawMonths(pub [f64; 12]);

impl Serialize for RawMonths {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(12))?;
        for (i, v) in self.0.iter().enumerate() {
            m.serialize_entry(&(i + 1), v)?;
        }
        m.end()
    }
}

/// A month key: 1 … 12, written as a number or a string of one.
struct MonthKey(usize);

impl<'de> Deserialize<'de> for MonthKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MonthKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a month number 1 … 12")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MonthKey, E> {
                if (1..=12).contains(&v) {
                    Ok(MonthKey(v as usize))
                } else {
                    Err(E::custom(format!("unknown month `{v}`; allowed: 1 … 12")))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MonthKey, E> {
                if v < 0 {
                    return Err(E::custom(format!("unknown month `{v}`; allowed: 1 … 12")));
                }
                self.visit_u64(v as u64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MonthKey, E> {
                match v.trim().parse::<u64>() {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::custom(format!("unknown month `{v}`; allowed: 1 … 12"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawMonths {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawMonths;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of month numbers 1 … 12 to multipliers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMonths, A::Error> {
                let mut out = [None; 12];
                while let Some(MonthKey(m)) = map.next_key()? {
                    if out[m - 1].is_some() {
                        return Err(de::Error::custom(format!("month {m} appears twice")));
                    }
                    out[m - 1] = Some(map.next_value::<f64>()?);
                }
                let missing: Vec<String> = (1..=12)
                    .filter(|m| out[m - 1].is_none())
                    .map(|m| m.to_string())
                    .collect();
                if !missing.is_empty() {
                    return Err(de::Error::custom(format!(
                        "missing month(s) {}; every month 1 … 12 needs a multiplier",
                        missing.join(", ")
                    )));
                }
                Ok(RawMonths(out.map(|v| v.unwrap_or(1.0))))
            }
        }
        d.deserialize_map(V)
    }
}

/// One value per paid service.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Paid<T> {
    pub tasks: T,
    pub classifications: T,
    pub amocrm_call: T,
}

/// One value per service, dialog first (the original's order in these maps).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WithDialog<T> {
    pub dialog: T,
    pub tasks: T,
    pub classifications: T,
    pub amocrm_call: T,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawUsageDays {
    pub reference_window_days: f64,
    pub mean_active_days: Paid<f64>,
    pub dispersion_k: Paid<f64>,
    pub dialog: RawDialogDays,
    /// Extension: scale each window's expected usage days by window / reference_window_days (the
    /// key's comment); off = the count is over the whole window, as the original's code does.
    #[serde(default)]
    pub scale_to_window: bool,
    /// Extension: sigma of each adopter's LogNormal(0, sigma) intensity (the original's hidden
    /// constant, 0.6).
    #[serde(default = "intensity_sigma")]
    pub intensity_sigma: f64,
}

fn intensity_sigma() -> f64 {
    0.6
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDialogDays {
    pub mean_active_days: f64,
    pub dispersion_k: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawEventVolume {
    pub mean_events_per_active_day: Paid<f64>,
    pub dispersion_k: Paid<f64>,
}

/// `cost = clip(min + LogNormal(ln(median − min), sigma), min, max)` per used service-day.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCost {
    pub min: f64,
    pub max: f64,
    pub median: f64,
    pub sigma: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawServices {
    pub cost_when_used: WithDialog<RawCost>,
    /// Extension: shares of a classifications day's cost reported as `cost_qc` and
    /// `cost_check_list` (components of classifications); 0 = the original's always-zero columns.
    #[serde(default)]
    pub classifications_split: RawSplit,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSplit {
    pub qc: f64,
    pub check_list: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLaunchDates {
    pub tasks: String,
    pub classifications: String,
    pub amocrm_call: String,
    pub dialog: String,
}

/// `trial_days`: one number for every service, or one per service.
#[derive(Debug, Clone, PartialEq)]
pub enum RawTrialDays {
    All(u32),
    Per {
        tasks: u32,
        classifications: u32,
        amocrm_call: u32,
    },
}

impl Serialize for RawTrialDays {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            RawTrialDays::All(n) => s.serialize_u32(n),
            RawTrialDays::Per {
                tasks,
                classifications,
                amocrm_call,
            } => Paid {
                tasks,
                classifications,
                amocrm_call,
            }
            .serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for RawTrialDays {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTrialDays;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number of days, or a map tasks / classifications / amocrm_call → days")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawTrialDays, E> {
                u32::try_from(v)
                    .map(RawTrialDays::All)
                    .map_err(|_| E::custom(format!("{v} days is out of range")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawTrialDays, E> {
                Err(E::custom(format!(
                    "{v} is out of range; allowed: a whole number of days >= 0"
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawTrialDays, A::Error> {
                let p = Paid::<u32>::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawTrialDays::Per {
                    tasks: p.tasks,
                    classifications: p.classifications,
                    amocrm_call: p.amocrm_call,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdoptionDayBias {
    /// `exp_decay` (the original's: weight exp(−alpha·(day − 1))) or, an extension,
    /// `polynomial` (density (1 + alpha)(1 − x)^alpha over the month).
    #[serde(rename = "type")]
    pub kind: String,
    pub alpha: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetention {
    pub r30: f64,
    pub r60: f64,
    pub r90: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDuration {
    pub median_sec: f64,
    pub sigma: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPricing {
    pub base_fee: f64,
    pub per_sec: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawUsagePricing {
    /// Extension: price service-days by `base_fee + per_sec × total duration` with events from
    /// Poisson(base_event_rate_per_day), instead of `cost_when_used` (the original never reads
    /// this block).
    #[serde(default)]
    pub enabled: bool,
    pub base_event_rate_per_day: WithDialog<f64>,
    pub duration_lognorm: WithDialog<RawDuration>,
    pub pricing: WithDialog<RawPricing>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDistribute {
    pub mode: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    pub strength: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawServicesModel {
    pub launch_dates: RawLaunchDates,
    pub trial_days: RawTrialDays,
    pub p_convert_after_trial: Paid<f64>,
    pub new_adopters_per_month: Paid<u32>,
    /// Extension: adoptions per calendar month per 1,000 accounts; when set, they replace
    /// `new_adopters_per_month` (which the effective config then shows as the counts they give),
    /// so the service side of the data keeps its proportions at any `accounts.n_accounts`.
    #[serde(default)]
    pub new_adopters_per_1000_accounts: Option<Paid<f64>>,
    pub adoption_day_bias: RawAdoptionDayBias,
    pub retention_targets: Paid<RawRetention>,
    pub post90_daily_churn: Paid<f64>,
    pub usage: RawUsagePricing,
    pub distribute_to_chats: RawDistribute,
    /// Extension: service bundling (cross-adoption and same-day use); absent = strength 0.
    #[serde(default)]
    pub correlation: RawCorrelation,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    pub path: String,
}
