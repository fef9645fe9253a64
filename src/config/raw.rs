//! The config exactly as written in YAML: plain serde structs with `deny_unknown_fields`, no
//! validation. `super::validate` turns a [`RawConfig`] into the checked [`super::Config`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub dataset: RawDataset,
    pub accounts: RawAccounts,
    pub chats: RawChats,
    pub activity: RawActivity,
    pub services: RawServices,
    pub services_model: RawServicesModel,
    pub services_usage_days: RawUsageDays,
    pub services_event_volume: RawEventVolume,
    pub output: RawOutput,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDataset {
    pub seed: u64,
    pub start_date: String,
    pub end_date: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccounts {
    pub n_accounts: u64,
    pub before_start_share: f64,
    pub activity_shape: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawChats {
    pub mean_per_account: f64,
    pub max_per_account: u32,
    pub chat_types: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawActivity {
    pub base_daily_prob: f64,
    pub dow_multiplier: Vec<f64>,
    pub month_multiplier: Vec<f64>,
    pub cost_dialog: RawCost,
}

/// A capped lognormal cost: `LogNormal(ln median, sigma)`, values above `max` become `max`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCost {
    pub median: f64,
    pub sigma: f64,
    pub max: f64,
}

/// One value per service; the three services are fixed by the joint view's columns.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PerService<T> {
    pub tasks: T,
    pub classifications: T,
    pub amocrm_call: T,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawServices {
    pub cost_when_used: PerService<RawCost>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawServicesModel {
    pub new_adopters_per_month: PerService<u32>,
    pub adoption_day_bias: RawAdoptionDayBias,
    pub trial_days: PerService<u32>,
    pub p_convert_after_trial: PerService<f64>,
    pub retention_targets: BTreeMap<u32, f64>,
    pub post90_daily_churn: f64,
    pub distribute_to_chats: RawDistribute,
    pub correlation: RawCorrelation,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdoptionDayBias {
    pub alpha: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDistribute {
    pub mode: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    pub strength: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawUsageDays {
    pub mean_active_days: PerService<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawEventVolume {
    pub mean_events_per_active_day: PerService<f64>,
    pub dispersion_k: PerService<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    pub path: String,
}
