//! Anomalies in parts: every part chooses the same targets from the whole plan and injects them
//! into its blocks as `gen load` does, so its tables hold the contaminated rows; what the
//! injections did (the labels and effects of each block that has any, and the part's clean
//! totals) goes into its manifest, from which `gen load --from-parts` writes the same ground
//! truth (`anomaly_injections`, `anomaly_labels`, `anomaly_clean_totals`, the clean twins).

use serde::{Deserialize, Serialize};

use crate::anomaly::{Applied, CleanTotals, Effect, Label};

/// What a part's injections did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartAnomalies {
    /// The clean rows of `chat_days` over the part's blocks.
    pub clean_chat_days: i64,
    /// Per day × 4 + service: the clean rows, events and cents of `service_days` (integers, so
    /// summing over parts in any order gives the load's totals).
    pub clean_services: Vec<[i64; 3]>,
    /// The blocks whose injections changed something, in block order.
    pub blocks: Vec<BlockAnomalies>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockAnomalies {
    pub block: usize,
    pub labels: Vec<Label>,
    pub effects: Vec<Effect>,
}

impl PartAnomalies {
    /// Adds block `block`'s injections, as the load's feed does: the clean totals always, the
    /// labels and effects when the block has effects.
    pub fn add(&mut self, block: usize, applied: Applied) {
        let clean = applied.clean;
        self.clean_chat_days += clean.chat_days;
        if self.clean_services.is_empty() {
            self.clean_services = vec![[0; 3]; clean.services.len()];
        }
        for (sum, (rows, events, cents)) in self.clean_services.iter_mut().zip(clean.services) {
            sum[0] += rows;
            sum[1] += events;
            sum[2] += cents;
        }
        if !applied.effects.is_empty() {
            self.blocks.push(BlockAnomalies {
                block,
                labels: applied.labels,
                effects: applied.effects,
            });
        }
    }
}

/// The parts' injections as the load's feed gathers them: one [`Applied`] per block with effects,
/// in block order, and the clean totals of all blocks.
pub fn gather<'a>(parts: impl IntoIterator<Item = &'a PartAnomalies>) -> (Vec<Applied>, CleanTotals) {
    let mut applied = Vec::new();
    let mut clean = CleanTotals::default();
    for p in parts {
        clean.add(&CleanTotals {
            chat_days: p.clean_chat_days,
            services: p.clean_services.iter().map(|s| (s[0], s[1], s[2])).collect(),
        });
        applied.extend(p.blocks.iter().map(|b| Applied {
            labels: b.labels.clone(),
            effects: b.effects.clone(),
            clean: CleanTotals::default(),
        }));
    }
    (applied, clean)
}
