//! TSB-AD interchange (`gen export --format tsb-ad`): the series of a grain in the layout of the
//! TSB-AD benchmark's multivariate set (NeurIPS 2024), so its loaders, detectors and metrics
//! (VUS-PR, affiliation) run on our data unchanged. `DIR/TSB-AD-M/` holds one CSV per entity,
//! named `NNN_UsageGen_id_<entity>_Synthetic_tr_<train rows>_1st_<first anomaly row>.csv`, its
//! columns the day's values, then `Label` (0/1, the grain's labels: anomalies only, decoys 0);
//! rows are consecutive days. `DIR/File-List/UsageGen.csv` lists the files (`file_name`, as
//! TSB-AD's file lists do) with each one's entity, dates, counts and the sliding window to use.
//! Only entities with an anomalous day after the training period are written: TSB-AD's metrics
//! are undefined without one. The directory is written under a temporary name and renamed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use duckdb::Connection;

use super::Grain;
use crate::workdir::{Sweep, WorkDir};

/// Where the series go, and the file list (as in TSB-AD's own `Datasets/` folder).
pub const SERIES: &str = "TSB-AD-M";
pub const LIST_DIR: &str = "File-List";
pub const LIST: &str = "File-List/UsageGen.csv";

/// The sliding window the file list suggests for TSB-AD's range metrics: a week of days (its own
/// estimate, from the autocorrelation of the first column, ranges from 6 to 303 on a year of
/// account-days and inflates VUS-PR).
const SLIDING_WINDOW: u32 = 7;

/// The value columns, in file order.
const VALUES: [&str; 8] = [
    "cost_dialog",
    "cost_tasks",
    "cost_classifications",
    "cost_amocrm_call",
    "n_tasks",
    "n_classifications",
    "n_amocrm_calls",
    "active_chats",
];

/// Writes the files for `grain` (account_day or platform_day) into `dir`; returns (files, rows).
/// `database` is the file being read: never inside what `--force` replaces.
pub fn write(conn: &Connection, dir: &Path, grain: Grain, force: bool, database: &Path) -> Result<(usize, u64)> {
    let (entity, group) = match grain {
        Grain::AccountDay => ("ad.account_id", "ad.account_id, ad.date"),
        Grain::PlatformDay => ("0::BIGINT", "ad.date"),
        other => bail!(
            "--format tsb-ad --grain {}: allowed grains: account_day, platform_day",
            other.name()
        ),
    };
    if dir.as_os_str() == "-" {
        bail!("--format tsb-ad writes a directory, not standard output; allowed: --out DIR");
    }
    if let Some(ext) = crate::outfile::extension(dir).filter(|e| ["csv", "parquet", "pq"].contains(&e.as_str())) {
        bail!(
            "{}: --format tsb-ad writes a directory of files, not one .{ext} file; allowed: --out DIR",
            dir.display()
        );
    }
    if dir.exists() {
        if !dir.is_dir() {
            bail!(
                "{} exists and is not a directory; allowed: a new directory, or an earlier TSB-AD export with --force",
                dir.display()
            );
        }
        if !force {
            bail!(
                "{} exists; pass --force to replace it (an earlier TSB-AD export)",
                dir.display()
            );
        }
        if !is_export(dir) || inside(database, dir) {
            bail!(
                "{} holds more than a TSB-AD export ({SERIES}/*.csv and {LIST}), so --force will not replace it; allowed: a new directory, or an earlier export",
                dir.display()
            );
        }
    }
    let parent = crate::outfile::existing_dir(dir, "export")?;
    let name = dir
        .file_name()
        .context("the output directory has no name")?
        .to_string_lossy();
    // Built in a private work directory beside it, then moved into place.
    let work = WorkDir::create(parent, Sweep::Yes)?;
    let temp = &work.join(&*name);
    std::fs::create_dir_all(temp.join(SERIES))
        .and_then(|()| std::fs::create_dir_all(temp.join(LIST_DIR)))
        .with_context(|| format!("creating {}", temp.display()))?;

    let sums = VALUES[..7]
        .iter()
        .map(|v| format!("round(coalesce(sum(s.{v}), 0), 2)::DOUBLE AS {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "WITH svc AS (
             SELECT account_id, date,
                    round(sum(round(cost * 100)::BIGINT) FILTER (WHERE service = 'dialog') / 100, 2)          AS cost_dialog,
                    round(sum(round(cost * 100)::BIGINT) FILTER (WHERE service = 'tasks') / 100, 2)           AS cost_tasks,
                    round(sum(round(cost * 100)::BIGINT) FILTER (WHERE service = 'classifications') / 100, 2) AS cost_classifications,
                    round(sum(round(cost * 100)::BIGINT) FILTER (WHERE service = 'amocrm_call') / 100, 2)     AS cost_amocrm_call,
                    sum(n_events) FILTER (WHERE service = 'tasks')                 AS n_tasks,
                    sum(n_events) FILTER (WHERE service = 'classifications')       AS n_classifications,
                    sum(n_events) FILTER (WHERE service = 'amocrm_call')           AS n_amocrm_calls
             FROM main.service_days GROUP BY ALL),
         chats AS (SELECT account_id, date, count(*) AS active_chats FROM main.chat_days GROUP BY ALL),
         labels AS (SELECT DISTINCT {label_key} FROM main.anomaly_labels WHERE is_anomaly),
         days AS (
             SELECT {entity} AS entity, ad.date, {sums}, coalesce(sum(c.active_chats), 0)::DOUBLE AS active_chats
             FROM main.account_days ad
             LEFT JOIN svc s USING (account_id, date)
             LEFT JOIN chats c USING (account_id, date)
             GROUP BY {group})
         SELECT d.* REPLACE (d.date::VARCHAR AS date), (l.date IS NOT NULL)::INTEGER AS label,
                (d.date <= (SELECT max(clean_until) FROM main.anomaly_specs))::INTEGER AS train
         FROM days d LEFT JOIN labels l ON {label_join}
         WHERE d.entity IN (SELECT d2.entity FROM days d2 JOIN labels l2 ON {label_join2}
                            WHERE d2.date > coalesce((SELECT max(clean_until) FROM main.anomaly_specs), DATE '0001-01-01'))
         ORDER BY d.entity, d.date",
        label_key = if grain == Grain::AccountDay { "account_id AS entity, date" } else { "date" },
        label_join = if grain == Grain::AccountDay {
            "l.entity = d.entity AND l.date = d.date"
        } else {
            "l.date = d.date"
        },
        label_join2 = if grain == Grain::AccountDay {
            "l2.entity = d2.entity AND l2.date = d2.date"
        } else {
            "l2.date = d2.date"
        },
    );
    let mut stmt = conn.prepare(&sql).context("reading the series for TSB-AD")?;
    // A signal interrupts the query, so the loop ends with an error and the temporary directory
    // goes with `work` (not removed by the handler while files are still being written).
    let _interrupt = crate::signals::interrupt_on_signal(conn);
    let mut rows = stmt.query([]).context("reading the series for TSB-AD")?;
    let mut manifest = String::from(
        "file_name,entity,first_date,last_date,rows,anomalous_rows,train_rows,first_anomaly_row,sliding_window\n",
    );
    let mut files = 0usize;
    let mut total = 0u64;
    let mut current: Option<Series> = None;
    while let Some(r) = rows.next()? {
        if crate::signals::cancelled() {
            bail!("interrupted; nothing was written to {}", dir.display());
        }
        let entity: i64 = r.get(0)?;
        let date: String = r.get(1)?;
        if current.as_ref().is_some_and(|s| s.entity != entity) {
            files += 1;
            current
                .take()
                .expect("checked")
                .finish(temp, files, grain, &mut manifest)?;
        }
        let s = current.get_or_insert_with(|| Series::new(entity, &date));
        let label: i32 = r.get(10)?;
        let train: Option<i32> = r.get(11)?;
        let mut line = String::new();
        for i in 0..VALUES.len() {
            let v: Option<f64> = r.get(2 + i)?;
            write!(line, "{},", v.unwrap_or(0.0)).expect("writing to a String");
        }
        writeln!(line, "{label}").expect("writing to a String");
        s.push(&date, &line, label == 1, train == Some(1));
        total += 1;
    }
    if let Some(s) = current.take() {
        files += 1;
        s.finish(temp, files, grain, &mut manifest)?;
    }
    std::fs::write(temp.join(LIST), manifest).with_context(|| format!("writing {LIST}"))?;
    commit(&work, temp, dir)?;
    Ok((files, total))
}

/// True if `dir` holds nothing but an export of ours: its list (with our header) and, under
/// `TSB-AD-M/`, regular files that the list names.
fn is_export(dir: &Path) -> bool {
    let names = |d: &Path| -> Option<Vec<String>> {
        let entries = std::fs::read_dir(d).ok()?;
        entries
            .map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect()
    };
    let Ok(list) = std::fs::read_to_string(dir.join(LIST)) else {
        return false;
    };
    let mut lines = list.lines();
    if lines.next().is_none_or(|h| !h.starts_with("file_name,entity,")) {
        return false;
    }
    let listed: std::collections::HashSet<&str> = lines.filter_map(|l| l.split(',').next()).collect();
    let (Some(top), Some(series), Some(lists)) = (names(dir), names(&dir.join(SERIES)), names(&dir.join(LIST_DIR)))
    else {
        return false;
    };
    top.iter().all(|n| n == SERIES || n == LIST_DIR)
        && lists.iter().all(|n| n == "UsageGen.csv")
        && series.iter().all(|n| {
            listed.contains(n.as_str())
                && std::fs::symlink_metadata(dir.join(SERIES).join(n)).is_ok_and(|m| m.is_file())
        })
}

/// True if `file` (the database) is inside `dir`.
fn inside(file: &Path, dir: &Path) -> bool {
    match (file.canonicalize(), dir.canonicalize()) {
        (Ok(f), Ok(d)) => f.starts_with(d),
        _ => true,
    }
}

/// Moves the finished export `temp` (in `work`) to `dir`; an earlier one (checked to be an
/// export) is moved into `work` first and goes with it, so a failure leaves one or the other in
/// place.
fn commit(work: &WorkDir, temp: &Path, dir: &Path) -> Result<()> {
    let old = work.join("earlier");
    if dir.exists() {
        std::fs::rename(dir, &old).with_context(|| format!("moving the earlier {} aside", dir.display()))?;
    }
    if let Err(e) = std::fs::rename(temp, dir) {
        let _ = std::fs::rename(&old, dir);
        return Err(e).with_context(|| format!("renaming {} to {}", temp.display(), dir.display()));
    }
    Ok(())
}

/// One entity's rows being collected.
struct Series {
    entity: i64,
    first_date: String,
    last_date: String,
    body: String,
    rows: usize,
    anomalous: usize,
    train: usize,
    first_anomaly: Option<usize>,
}

impl Series {
    fn new(entity: i64, date: &str) -> Series {
        let mut body = VALUES.join(",");
        body.push_str(",Label\n");
        Series {
            entity,
            first_date: date.to_string(),
            last_date: date.to_string(),
            body,
            rows: 0,
            anomalous: 0,
            train: 0,
            first_anomaly: None,
        }
    }

    fn push(&mut self, date: &str, line: &str, anomalous: bool, train: bool) {
        if anomalous && !train && self.first_anomaly.is_none() {
            self.first_anomaly = Some(self.rows);
        }
        self.anomalous += usize::from(anomalous);
        self.train += usize::from(train);
        self.rows += 1;
        self.last_date = date.to_string();
        self.body.push_str(line);
    }

    fn finish(self, dir: &Path, index: usize, grain: Grain, manifest: &mut String) -> Result<()> {
        let id = if grain == Grain::PlatformDay {
            "platform".to_string()
        } else {
            self.entity.to_string()
        };
        let first = self.first_anomaly.unwrap_or(0);
        let name = format!(
            "{index:03}_UsageGen_id_{id}_Synthetic_tr_{}_1st_{first}.csv",
            self.train
        );
        let path: PathBuf = dir.join(SERIES).join(&name);
        std::fs::write(&path, &self.body).with_context(|| format!("writing {}", path.display()))?;
        writeln!(
            manifest,
            "{name},{id},{},{},{},{},{},{first},{SLIDING_WINDOW}",
            self.first_date, self.last_date, self.rows, self.anomalous, self.train
        )
        .expect("writing to a String");
        Ok(())
    }
}
