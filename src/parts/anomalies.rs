//! Anomalies in parts: every part chooses the same targets from the whole plan and injects them
//! into its blocks as `gen load` does, so its tables hold the contaminated rows; what the
//! injections did (the labels and effects of each block that has any, and the part's clean
//! totals) goes into its manifest, from which `gen load --from-parts` writes the same ground
//! truth (`anomaly_injections`, `anomaly_labels`, `anomaly_clean_totals`, the clean twins).

use serde::{Deserialize, Serialize};

use crate::anomaly::{Applied, CleanTotals, Effect, Label};
use crate::config::SERVICES;
use crate::model::calendar::Calendar;

/// What a part's injections did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartAnomalies {
    /// The clean totals summed over the part's blocks (integers, so summing over parts in any
    /// order gives the load's totals).
    pub clean: CleanTotals,
    /// The blocks whose injections changed something, in block order.
    pub blocks: Vec<BlockAnomalies>,
    /// Their labels as rows of `anomaly_labels`, in a Parquet file beside the tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels_file: Option<super::FileEntry>,
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
        self.clean.add(&applied.clean);
        if !applied.effects.is_empty() {
            self.blocks.push(BlockAnomalies {
                block,
                labels: applied.labels,
                effects: applied.effects,
            });
        }
    }

    /// Whether what the manifest says could have been made: dates inside the calendar, known
    /// services, clean totals of its length, and (given their number) targets that exist.
    pub fn check(&self, cal: &Calendar, targets: Option<usize>) -> Result<(), String> {
        let days = cal.days as usize;
        let services = self.clean.services.len();
        if services != 0 && services != days * 4 {
            return Err(format!(
                "{services} clean service totals; the calendar has {days} days × 4 services"
            ));
        }
        let in_range = |date: i32| (cal.start_epoch..cal.start_epoch + cal.days).contains(&date);
        for b in &self.blocks {
            if let Some(l) = b
                .labels
                .iter()
                .find(|l| !in_range(l.date) || l.service.is_some_and(|s| s as usize >= SERVICES.len()))
            {
                return Err(format!(
                    "block {} has a label on day {} of service {:?}, outside the dataset",
                    b.block, l.date, l.service
                ));
            }
            let mut named = b
                .labels
                .iter()
                .map(|l| l.target)
                .chain(b.effects.iter().map(|e| e.target));
            if let Some(n) = targets
                && let Some(t) = named.find(|&t| t >= n)
            {
                return Err(format!("block {} names target {t}; there are {n}", b.block));
            }
        }
        Ok(())
    }
}

/// The parts' injections as the load's feed gathers them: one [`Applied`] per block with effects,
/// in block order, and the clean totals of all blocks.
pub fn gather<'a>(parts: impl IntoIterator<Item = &'a PartAnomalies>) -> (Vec<Applied>, CleanTotals) {
    let mut applied = Vec::new();
    let mut clean = CleanTotals::default();
    for p in parts {
        clean.add(&p.clean);
        applied.extend(p.blocks.iter().map(|b| Applied {
            labels: b.labels.clone(),
            effects: b.effects.clone(),
            clean: CleanTotals::default(),
        }));
    }
    (applied, clean)
}
