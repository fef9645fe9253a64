//! `gen score`, `gen detect` and the TSB-AD export, driven through the real binary: hand-made
//! labels and predictions whose every metric is computed by hand here, bad prediction files, the
//! recorded results, and the loop inject → detect → score on a generated dataset.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{SAMPLE, ok, path_str, run, scalar, tamper};

/// Metrics of `gen score --format csv`: (grain, breakdown, value, metric) → value (None = NULL).
type Scores = BTreeMap<(String, String, String, String), Option<f64>>;

fn parse(csv: &str) -> Scores {
    let mut out = Scores::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 5, "{line}");
        let v = if f[4].is_empty() {
            None
        } else {
            Some(f[4].parse().expect("a number"))
        };
        out.insert((f[0].into(), f[1].into(), f[2].into(), f[3].into()), v);
    }
    out
}

/// The hand-made world: two accounts (1 and 2) on 2025-01-01 … 2025-01-10, 20 account-days.
///
/// - i1: a tasks cost_spike on account 1, 01-03 … 01-05 (3 labelled days), cost delta +30, easy.
/// - i2: an outage of every service on account 2, 01-06 … 01-07 (2 labelled days), delta −10, hard.
/// - d: a known event (decoy) on account 2, 01-02: its day is a negative.
///
/// So 5 positives and 15 negatives at account_day; at account_service_day the units are each
/// account-day's dialog (20) plus i1's tasks days (3), and i2 labels dialog.
fn world(dir: &Path) -> PathBuf {
    let db = dir.join("hand.duckdb");
    ok(&[
        "load",
        "--db",
        path_str(&db),
        "--config",
        SAMPLE,
        "--set",
        "dataset.end_date=2025-01-10",
        "--set",
        "accounts.n_accounts=2",
    ]);
    tamper(
        &db,
        "DELETE FROM account_days; DELETE FROM subscriptions; DELETE FROM service_days; DELETE FROM chat_days;
         INSERT INTO account_days SELECT a, d::DATE, 1, 0, false
           FROM (VALUES (1), (2)) t(a), generate_series(DATE '2025-01-01', DATE '2025-01-10', INTERVAL 1 DAY) g(d);
         INSERT INTO anomaly_injections VALUES
           ('i1', 'cost_spike', true, 'account_service_day', 1, 'tasks', DATE '2025-01-03', DATE '2025-01-05', 4, '{}', 3, 3, 10, 40, 30, 30, 0, 2, 1, 10, 10, 'easy', '', 10),
           ('i2', 'outage', true, 'account_service_day', 2, NULL, DATE '2025-01-06', DATE '2025-01-07', NULL, '{}', 2, 2, 10, 0, -10, -10, 0, 5, 20, 5, 0.25, 'hard', '', 1),
           ('d', 'price_change', false, 'account_service_day', 2, 'dialog', DATE '2025-01-02', DATE '2025-01-02', 2, '{}', 1, 1, 1, 2, 1, 1, 0, 1, NULL, 1, NULL, 'unknown', '', NULL);
         INSERT INTO anomaly_labels VALUES
           ('i1', 'cost_spike', true, 'service_day', 1, DATE '2025-01-03', 'tasks', 11, true, true, 1, 1, 3, 12),
           ('i1', 'cost_spike', true, 'service_day', 1, DATE '2025-01-04', 'tasks', 11, true, true, 1, 1, 3, 12),
           ('i1', 'cost_spike', true, 'service_day', 1, DATE '2025-01-05', 'tasks', 11, true, true, 1, 1, 4, 16),
           ('i2', 'outage', true, 'service_day', 2, DATE '2025-01-06', 'dialog', 21, true, false, 0, 0, 5, 0),
           ('i2', 'outage', true, 'service_day', 2, DATE '2025-01-07', 'dialog', 21, true, false, 0, 0, 5, 0),
           ('d', 'price_change', false, 'service_day', 2, DATE '2025-01-02', 'dialog', 21, true, true, 0, 0, 1, 2);",
    );
    db
}

/// Account-day predictions: `(account, day of January, score, flag)` for the units given; the
/// rest are left out (not flagged, lowest score).
fn account_days(dir: &Path, name: &str, rows: &[(u32, u32, f64, u8)]) -> PathBuf {
    let mut text = String::from("account_id,date,score,flag\n");
    for (a, d, s, f) in rows {
        text.push_str(&format!("{a},2025-01-{d:02},{s},{f}\n"));
    }
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Every account-day of the world, scored by `f(account, day)` → (score, flag).
fn all_days(dir: &Path, name: &str, f: impl Fn(u32, u32) -> (f64, u8)) -> PathBuf {
    let rows: Vec<(u32, u32, f64, u8)> = (1..=2)
        .flat_map(|a| (1..=10).map(move |d| (a, d)))
        .map(|(a, d)| {
            let (s, fl) = f(a, d);
            (a, d, s, fl)
        })
        .collect();
    account_days(dir, name, &rows)
}

fn positive(a: u32, d: u32) -> bool {
    (a == 1 && (3..=5).contains(&d)) || (a == 2 && (6..=7).contains(&d))
}

fn score(db: &Path, preds: &Path, extra: &[&str]) -> Scores {
    let mut args = vec![
        "score",
        "--db",
        path_str(db),
        "--predictions",
        path_str(preds),
        "--format",
        "csv",
        "--no-record",
    ];
    args.extend_from_slice(extra);
    parse(&ok(&args))
}

/// The value of a metric at a grain, for the overall group or `breakdown=value`.
fn get(s: &Scores, grain: &str, group: &str, metric: &str) -> Option<f64> {
    let (b, v) = group.split_once('=').unwrap_or(("overall", "all"));
    *s.get(&(grain.into(), b.into(), v.into(), metric.into()))
        .unwrap_or_else(|| panic!("no {metric} for {grain} {group} in {s:?}"))
}

fn assert_metric(s: &Scores, group: &str, metric: &str, want: Option<f64>) {
    let got = get(s, "account_day", group, metric);
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{group} {metric}: {g}, want {w}"),
        _ => assert_eq!(got, want, "{group} {metric}"),
    }
}

fn assert_metrics(s: &Scores, group: &str, want: &[(&str, Option<f64>)]) {
    for (m, w) in want {
        assert_metric(s, group, m, *w);
    }
}

#[test]
fn a_perfect_detector_scores_one_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    let preds = all_days(
        dir.path(),
        "perfect",
        |a, d| if positive(a, d) { (1.0, 1) } else { (0.0, 0) },
    );
    let s = score(&db, &preds, &[]);
    for group in [
        "overall",
        "kind=cost_spike",
        "kind=outage",
        "difficulty=easy",
        "difficulty=hard",
    ] {
        assert_metrics(
            &s,
            group,
            &[
                ("precision", Some(1.0)),
                ("recall", Some(1.0)),
                ("f1", Some(1.0)),
                ("auc_pr", Some(1.0)),
                ("auc_roc", Some(1.0)),
                ("event_recall", Some(1.0)),
                ("event_precision", Some(1.0)),
                ("composite_f", Some(1.0)),
                ("impact_recall", Some(1.0)),
                ("delay_median_days", Some(0.0)),
                ("delay_p90_days", Some(0.0)),
                ("false_alarms_per_1000", Some(0.0)),
            ],
        );
    }
    assert_metrics(
        &s,
        "overall",
        &[
            ("positives", Some(5.0)),
            ("negatives", Some(15.0)),
            ("instances", Some(2.0)),
            ("auc_pr_random", Some(0.25)),
            ("auc_roc_random", Some(0.5)),
            ("true_runs", Some(2.0)),
            ("false_runs", Some(0.0)),
            // No service column at account_day: nothing names a service.
            ("attribution_accuracy", None),
        ],
    );
    assert_metrics(
        &s,
        "kind=cost_spike",
        &[("positives", Some(3.0)), ("instances", Some(1.0))],
    );
    // The decoy is no instance, and no kind or band of its own.
    assert!(!s.keys().any(|k| k.2 == "price_change" || k.2 == "unknown"), "{s:?}");
}

#[test]
fn an_all_zero_detector_has_recall_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    let preds = all_days(dir.path(), "zero", |_, _| (0.0, 0));
    let s = score(&db, &preds, &[]);
    assert_metrics(
        &s,
        "overall",
        &[
            ("tp", Some(0.0)),
            ("fp", Some(0.0)),
            ("recall", Some(0.0)),
            ("precision", None),
            ("f1", Some(0.0)),
            ("event_recall", Some(0.0)),
            ("detected", Some(0.0)),
            ("event_precision", None),
            ("composite_f", Some(0.0)),
            ("impact_recall", Some(0.0)),
            ("delay_median_days", None),
            // One tie of every unit: average precision is the prevalence, ROC one half.
            ("auc_pr", Some(0.25)),
            ("auc_roc", Some(0.5)),
            ("false_alarms_per_1000", Some(0.0)),
        ],
    );
    // Units left out rank below every predicted one: predicting one negative unit at 0 puts it
    // above the 19 others, so each positive ties 14 negatives and loses to one.
    let one = account_days(dir.path(), "one", &[(1, 1, 0.0, 0)]);
    let t = score(&db, &one, &[]);
    assert_metrics(
        &t,
        "overall",
        &[("recall", Some(0.0)), ("auc_roc", Some(5.0 * 7.0 / 75.0))],
    );
}

#[test]
fn flagging_the_first_day_of_each_window_detects_every_event_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    let preds = account_days(dir.path(), "first", &[(1, 3, 1.0, 1), (2, 6, 1.0, 1)]);
    let s = score(&db, &preds, &["--legacy-pa"]);
    assert_metrics(
        &s,
        "overall",
        &[
            ("precision", Some(1.0)),
            ("recall", Some(0.4)),
            ("f1", Some(4.0 / 7.0)),
            ("event_recall", Some(1.0)),
            ("delay_median_days", Some(0.0)),
            ("delay_p90_days", Some(0.0)),
            ("event_precision", Some(1.0)),
            ("composite_f", Some(1.0)),
            ("impact_recall", Some(1.0)),
            // Point adjustment turns two flags into five true positives …
            ("f1_pa", Some(1.0)),
            ("recall_pa", Some(1.0)),
            ("flag_rate", Some(0.1)),
        ],
    );
    // … and a detector flagging at random at the same rate (0.1) expects
    // tp = 3(1 - 0.9^3) + 2(1 - 0.9^2) = 1.193 and fp = 0.1 x 15.
    let tp = 3.0 * (1.0 - 0.9f64.powi(3)) + 2.0 * (1.0 - 0.9f64.powi(2));
    assert_metric(
        &s,
        "overall",
        "f1_pa_random",
        Some(2.0 * tp / (2.0 * tp + 1.5 + 5.0 - tp)),
    );

    // The last day of i1 (delay 2) and the first of i2 (delay 0): median 1, p90 0 + 0.9 x 2.
    let preds = account_days(dir.path(), "late", &[(1, 5, 1.0, 1), (2, 6, 1.0, 1)]);
    let s = score(&db, &preds, &[]);
    assert_metrics(
        &s,
        "overall",
        &[
            ("event_recall", Some(1.0)),
            ("delay_median_days", Some(1.0)),
            ("delay_p90_days", Some(1.8)),
        ],
    );
    assert_metric(&s, "kind=cost_spike", "delay_median_days", Some(2.0));
}

/// Scores with ties: positives 0.9, 0.5, 0.5, 0.2, 0.0; negatives 0.9, 0.5, 0.2, 0.2 and 11 × 0.
fn tied(a: u32, d: u32) -> (f64, u8) {
    let s = match (a, d) {
        (1, 3) | (1, 1) => 0.9,
        (1, 4) | (1, 5) | (1, 2) => 0.5,
        (2, 6) | (2, 1) | (2, 2) => 0.2,
        _ => 0.0,
    };
    (s, 0)
}

#[test]
fn ties_in_scores_are_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    let preds = all_days(dir.path(), "tied", tied);
    // Thresholds 0.9, 0.5, 0.2, 0: (tp, fp) = (1, 1), (3, 2), (4, 4), (5, 15);
    // AP = 1/5 x 1/2 + 2/5 x 3/5 + 1/5 x 4/8 + 1/5 x 5/20 = 0.49.
    // ROC: the positives beat 14 + 13 + 13 + 11 + 0 negatives and tie 1 + 1 + 1 + 2 + 11.
    let s = score(&db, &preds, &["--threshold", "0.5"]);
    assert_metrics(
        &s,
        "overall",
        &[
            ("auc_pr", Some(0.49)),
            ("auc_roc", Some((51.0 + 0.5 * 16.0) / 75.0)),
            ("tp", Some(3.0)),
            ("fp", Some(2.0)),
            ("precision", Some(0.6)),
            ("recall", Some(0.6)),
            ("f1", Some(0.6)),
            // Account 1 is flagged 01-01 … 01-05: one run, overlapping i1; i2 is missed.
            ("event_recall", Some(0.5)),
            ("true_runs", Some(1.0)),
            ("false_runs", Some(0.0)),
            ("event_precision", Some(1.0)),
            ("composite_f", Some(2.0 * 0.6 * 0.5 / 1.1)),
            ("delay_median_days", Some(0.0)),
            ("impact_recall", Some(0.75)),
            ("false_alarms_per_1000", Some(2000.0 / 15.0)),
        ],
    );
    // By kind: i1's positives score 0.9, 0.5, 0.5 against all 15 negatives.
    assert_metric(&s, "kind=cost_spike", "auc_pr", Some(1.0 / 3.0 * 0.5 + 2.0 / 3.0 * 0.6));
    assert_metric(&s, "kind=outage", "auc_pr", Some(0.5 * 1.0 / 5.0 + 0.5 * 2.0 / 17.0));
    assert_metric(&s, "kind=outage", "recall", Some(0.0));
    assert_metric(&s, "kind=outage", "precision", Some(0.0));

    // --top-k 3: the third-highest score is 0.5, and every unit at 0.5 is flagged too.
    let k = score(&db, &preds, &["--top-k", "3"]);
    assert_metrics(&k, "overall", &[("tp", Some(3.0)), ("fp", Some(2.0))]);
    // --best-f1: F1 at 0.9, 0.5, 0.2, 0 is 2/7, 6/10, 8/13, 10/25: the threshold is 0.2.
    let b = score(&db, &preds, &["--best-f1"]);
    assert_metrics(
        &b,
        "overall",
        &[("f1", Some(8.0 / 13.0)), ("tp", Some(4.0)), ("fp", Some(4.0))],
    );
    let (_, out, _) = run(&[
        "score",
        "--db",
        path_str(&db),
        "--predictions",
        path_str(&preds),
        "--best-f1",
        "--no-record",
    ]);
    assert!(out.contains("optimistic") && out.contains("score >= 0.2"), "{out}");
}

#[test]
fn grace_days_extend_the_window_and_decoys_count_as_normal() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    let preds = account_days(dir.path(), "after", &[(2, 8, 1.0, 1)]);
    let s = score(&db, &preds, &[]);
    assert_metrics(
        &s,
        "overall",
        &[
            ("event_recall", Some(0.0)),
            ("false_runs", Some(1.0)),
            ("event_precision", Some(0.0)),
        ],
    );
    let g = score(&db, &preds, &["--grace-days", "1"]);
    assert_metrics(
        &g,
        "overall",
        &[
            ("event_recall", Some(0.5)),
            ("delay_median_days", Some(2.0)),
            ("true_runs", Some(1.0)),
            ("false_runs", Some(0.0)),
            ("event_precision", Some(1.0)),
            ("impact_recall", Some(0.25)),
            // Still a false positive point-wise: the grace is for events only.
            ("fp", Some(1.0)),
        ],
    );
    // Flagging the decoy's day is a false alarm.
    let decoy = account_days(dir.path(), "decoy", &[(2, 2, 1.0, 1)]);
    let d = score(&db, &decoy, &[]);
    assert_metrics(
        &d,
        "overall",
        &[
            ("fp", Some(1.0)),
            ("tp", Some(0.0)),
            ("false_alarms_per_1000", Some(1000.0 / 15.0)),
            ("precision", Some(0.0)),
        ],
    );
}

/// The references, by hand on the world at account_day (a unit is an account-day, a series an
/// account; i1's window holds 3 units of account 1, i2's 2 of account 2; P = 5, N = 15).
#[test]
fn every_event_metric_has_its_flag_all_and_random_references() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    // Flag-all: both instances detected, one run per account, both true.
    let all = all_days(dir.path(), "all", |_, _| (1.0, 1));
    let s = score(&db, &all, &[]);
    let prev = 5.0 / 20.0;
    for (metric, want) in [
        ("event_recall", 1.0),
        ("event_precision", 1.0),
        ("composite_f", 2.0 * prev / (prev + 1.0)),
        ("impact_recall", 1.0),
    ] {
        assert_metric(&s, "overall", metric, Some(want));
        // A detector flagging everything is its own flag-all reference.
        assert_metric(&s, "overall", &format!("{metric}_flag_all"), Some(want));
    }
    assert_metric(&s, "overall", "flag_rate", Some(1.0));
    assert_metric(&s, "overall", "event_recall_random", Some(1.0));

    // One flag in 20 units: r = 1/20. i1 is missed with probability (1 − r)³, i2 with (1 − r)².
    let one = account_days(dir.path(), "one", &[(1, 9, 1.0, 1)]);
    let s = score(&db, &one, &[]);
    let r: f64 = 1.0 / 20.0;
    let (p1, p2) = (1.0 - (1.0 - r).powi(3), 1.0 - (1.0 - r).powi(2));
    assert_metrics(
        &s,
        "overall",
        &[
            ("flag_rate", Some(r)),
            ("event_recall", Some(0.0)),
            ("event_recall_flag_all", Some(1.0)),
            ("event_recall_random", Some((p1 + p2) / 2.0)),
            // Impact: i1 moved 30, i2 10.
            ("impact_recall_random", Some((30.0 * p1 + 10.0 * p2) / 40.0)),
            ("impact_recall_flag_all", Some(1.0)),
            (
                "composite_f_random",
                Some(2.0 * prev * (p1 + p2) / 2.0 / (prev + (p1 + p2) / 2.0)),
            ),
            ("event_precision_flag_all", Some(1.0)),
        ],
    );
    // Expected runs in a series of 10 units: r + 9 r (1 − r). Account 1's window is units 3–5
    // (2 units before, 5 after), account 2's units 6–7 (5 before, 3 after); the runs wholly
    // outside a window: r + (g − 1) r (1 − r) − L r² − R r² + L R r^(g + 2) per stretch of g units.
    let runs = |n: f64| r + (n - 1.0) * r * (1.0 - r);
    let outside =
        |g: f64, l: f64, rr: f64| r + (g - 1.0) * r * (1.0 - r) - l * r * r - rr * r * r + l * rr * r.powf(g + 2.0);
    let true1 = runs(10.0) - outside(2.0, 0.0, 1.0) - outside(5.0, 1.0, 0.0);
    let true2 = runs(10.0) - outside(5.0, 0.0, 1.0) - outside(3.0, 1.0, 0.0);
    let total = 2.0 * runs(10.0);
    let want = (true1 + true2) / total;
    assert_metric(&s, "overall", "event_precision_random", Some(want));
    assert_metric(
        &s,
        "kind=cost_spike",
        "event_precision_random",
        Some(true1 / (total - true2)),
    );

    // The known event: account 2 on 01-02. Flagging it is a false run on a known event.
    let decoy = account_days(dir.path(), "decoy", &[(2, 2, 1.0, 1)]);
    let d = score(&db, &decoy, &[]);
    assert_metrics(
        &d,
        "overall",
        &[
            ("known_event_targets", Some(1.0)),
            ("known_event_flag_rate", Some(1.0)),
            ("known_event_flag_rate_flag_all", Some(1.0)),
            ("known_event_flag_rate_random", Some(r)),
            ("false_runs", Some(1.0)),
            ("known_event_false_runs", Some(1.0)),
            ("event_precision", Some(0.0)),
        ],
    );
    let o = score(&db, &one, &[]);
    assert_metrics(
        &o,
        "overall",
        &[
            ("known_event_flag_rate", Some(0.0)),
            ("known_event_false_runs", Some(0.0)),
        ],
    );
}

/// Range-based recall and precision (overlap size, not existence), the macro view over kinds and
/// injections, and the warning when one injection holds most positives; by hand on the world.
#[test]
fn range_metrics_weigh_the_overlap_and_the_macro_view_weighs_groups_alike() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    // One flag inside i1's three days: detected, but a third of it covered.
    let one = account_days(dir.path(), "mid", &[(1, 4, 1.0, 1)]);
    let s = score(&db, &one, &[]);
    assert_metrics(
        &s,
        "overall",
        &[
            ("event_recall", Some(0.5)),
            ("range_recall", Some((1.0 / 3.0 + 0.0) / 2.0)),
            ("range_precision", Some(1.0)),
        ],
    );
    assert_metric(&s, "kind=cost_spike", "range_recall", Some(1.0 / 3.0));
    // Macro over kinds (cost_spike, outage) and over injections (i1, i2): the mean of the two.
    assert_metric(&s, "macro=kind", "event_recall", Some(0.5));
    assert_metric(&s, "macro=kind", "groups", Some(2.0));
    assert_metric(&s, "macro=injection", "range_recall", Some(1.0 / 6.0));
    assert_metric(&s, "injection=i1", "event_recall", Some(1.0));
    // A run of five days over i1's three: all of i1 covered, three fifths of the run right.
    let wide = account_days(
        dir.path(),
        "wide",
        &[
            (1, 2, 1.0, 1),
            (1, 3, 1.0, 1),
            (1, 4, 1.0, 1),
            (1, 5, 1.0, 1),
            (1, 6, 1.0, 1),
        ],
    );
    let w = score(&db, &wide, &[]);
    assert_metrics(
        &w,
        "overall",
        &[("range_recall", Some(0.5)), ("range_precision", Some(3.0 / 5.0))],
    );
    // i1 labels 3 of the 5 positives: a warning beside the table, on stderr beside csv.
    let (code, out, _) = run(&[
        "score",
        "--db",
        path_str(&db),
        "--predictions",
        path_str(&one),
        "--no-record",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: at account_day, injection i1 holds 60 % of the positives"),
        "{out}"
    );
    assert!(out.contains("macro over kinds"), "{out}");
    for line in out.lines() {
        assert!(line.chars().count() <= 160, "{} columns: {line}", line.chars().count());
    }
    let (_, _, err) = run(&[
        "score",
        "--db",
        path_str(&db),
        "--predictions",
        path_str(&one),
        "--no-record",
        "--format",
        "csv",
    ]);
    assert!(err.contains("injection i1 holds 60 %"), "{err}");
}

/// Without --grain the predictions' columns say it; when they cannot, the error names the
/// candidates (exit 2, nothing recorded).
#[test]
fn the_grain_is_inferred_from_the_key_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    let run_score = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        run(&["score", "--db", path_str(&db), "--predictions", path_str(&path)])
    };
    let (code, out, err) = run_score("ad.csv", "account_id,date,flag\n1,2025-01-04,1\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("at account_day (inferred from the columns)"), "{out}");
    let (code, out, err) = run_score(
        "asd.csv",
        "account_id,date,service,flag\n1,2025-01-04,dialog,0\n1,2025-01-04,tasks,1\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("at account_service_day (inferred from the columns)"),
        "{out}"
    );
    let (code, out, err) = run_score("pd.csv", "date,flag\n2025-01-04,1\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("at platform_day (inferred from the columns)"), "{out}");
    let before = scalar(&db, "SELECT count(*) FROM score_results");
    let (code, _, err) = run_score("which.csv", "account_id,date,service,flag\n1,2025-01-04,tasks,1\n");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot tell the grain") && err.contains("--grain account_service_day or --grain account_day"),
        "{err}"
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM score_results"), before);
}

#[test]
fn attribution_names_the_injected_service() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    let write = |name: &str, rows: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("account_id,date,service,flag\n{rows}")).unwrap();
        p
    };
    let asd = |p: &Path| score(&db, p, &["--grain", "account_service_day"]);
    let right = asd(&write("right.csv", "1,2025-01-03,tasks,1\n2,2025-01-06,dialog,1\n"));
    let g = |s: &Scores, m: &str| get(s, "account_service_day", "overall", m);
    // 20 dialog units and i1's 3 tasks units; i2 labels two dialog units.
    assert_eq!(g(&right, "positives"), Some(5.0));
    assert_eq!(g(&right, "negatives"), Some(18.0));
    // i2 names no service: only i1 is attributable.
    assert_eq!(g(&right, "attribution_accuracy"), Some(1.0));
    let wrong = asd(&write("wrong.csv", "1,2025-01-03,dialog,1\n"));
    assert_eq!(g(&wrong, "event_recall"), Some(0.5));
    assert_eq!(g(&wrong, "attribution_accuracy"), Some(0.0));
    // Rolled up to account_day, the flag keeps the service it named.
    assert_eq!(get(&wrong, "account_day", "overall", "attribution_accuracy"), Some(0.0));
    assert_eq!(get(&right, "account_day", "overall", "tp"), Some(2.0));
    // At account_day an optional service column names it.
    let named = dir.path().join("named.csv");
    std::fs::write(&named, "account_id,date,flag,service\n1,2025-01-04,1,tasks\n").unwrap();
    assert_eq!(
        get(
            &score(&db, &named, &["--grain", "account_day"]),
            "account_day",
            "overall",
            "attribution_accuracy"
        ),
        Some(1.0)
    );
}

/// A bad file: (name, contents or None for no file, --grain, extra flags, what the message says).
type BadCase = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [&'static str],
    &'static str,
);

#[test]
fn bad_predictions_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    // A Parquet file and a table, located by row.
    let pq = dir.path().join("bad.parquet");
    tamper(
        &db,
        &format!(
            "COPY (SELECT 1 AS account_id, DATE '2025-01-01' AS date, 'NaN'::DOUBLE AS score) TO '{}' (FORMAT parquet);
             CREATE TABLE my_preds AS SELECT 1 AS account_id, DATE '2025-01-01' AS date, 3 AS flag",
            path_str(&pq)
        ),
    );
    let before = std::fs::read(&db).unwrap();
    let cases: [BadCase; 24] = [
        (
            "unknown.csv",
            Some("account_id,date,scroe\n1,2025-01-01,1\n"),
            "account_day",
            &[],
            "unknown.csv: unknown column `scroe` (did you mean `score`?); allowed at --grain account_day: account_id, date, score, flag, service",
        ),
        (
            "nodate.csv",
            Some("account_id,score\n1,1\n"),
            "account_day",
            &[],
            "nodate.csv: missing column `date`; --grain account_day needs account_id, date and a score or flag column",
        ),
        (
            "noscore.csv",
            Some("account_id,date\n1,2025-01-01\n"),
            "account_day",
            &[],
            "noscore.csv: missing column `score` or `flag`",
        ),
        (
            "dup.csv",
            Some("account_id,date,flag\n1,2025-01-01,1\n2,2025-01-01,0\n1,2025-01-01,0\n"),
            "account_day",
            &[],
            "dup.csv, line 2: account 1 on 2025-01-01 appears again at line 4; allowed: one row per unit of --grain account_day",
        ),
        (
            "outside.csv",
            Some("account_id,date,flag\n1,2025-01-01,1\n999,2025-01-01,0\n"),
            "account_day",
            &[],
            "outside.csv, line 3: account 999 on 2025-01-01 is not a unit of the dataset; allowed at --grain account_day: an account on a day it exists (account_days)",
        ),
        (
            "late.csv",
            Some("date,flag\n2025-02-01,1\n"),
            "platform_day",
            &[],
            "late.csv, line 2: the day 2025-02-01 is not a unit of the dataset",
        ),
        (
            "nan.csv",
            Some("account_id,date,score\n1,2025-01-01,0.5\n1,2025-01-02,NaN\n"),
            "account_day",
            &["--threshold", "1"],
            "nan.csv, line 3: score `NaN` is NaN; allowed: a finite number",
        ),
        (
            "inf.csv",
            Some("account_id,date,score\n1,2025-01-02,inf\n"),
            "account_day",
            &["--threshold", "1"],
            "inf.csv, line 2: score `inf` is infinite",
        ),
        (
            "text.csv",
            Some("account_id,date,score\n1,2025-01-02,high\n"),
            "account_day",
            &["--threshold", "1"],
            "text.csv, line 2: score `high` is not a number",
        ),
        (
            "flag.csv",
            Some("account_id,date,flag\n1,2025-01-01,1\n1,2025-01-02,2\n"),
            "account_day",
            &[],
            "flag.csv, line 3: flag `2` is not a flag; allowed: 0, 1, true or false in every row",
        ),
        (
            "date.csv",
            Some("account_id,date,flag\n1,2025-13-01,1\n"),
            "account_day",
            &[],
            "date.csv, line 2: date `2025-13-01` is not a date; allowed: an ISO date such as 2025-03-01",
        ),
        (
            "id.csv",
            Some("account_id,date,flag\nabc,2025-01-01,1\n"),
            "account_day",
            &[],
            "id.csv, line 2: account_id `abc` is not a whole number",
        ),
        (
            "svc.csv",
            Some("account_id,date,service,flag\n1,2025-01-01,taks,1\n"),
            "account_service_day",
            &[],
            "svc.csv, line 2: service `taks` is not a service; allowed: dialog, tasks, classifications, amocrm_call",
        ),
        (
            "empty.csv",
            Some("account_id,date,flag\n"),
            "account_day",
            &[],
            "empty.csv: no predictions",
        ),
        ("missing.csv", None, "account_day", &[], "missing.csv: no such file"),
        (
            "scores.csv",
            Some("account_id,date,score\n1,2025-01-01,0.5\n"),
            "account_day",
            &[],
            "scores.csv has scores but no flag column; allowed: --threshold T, --top-k K or --best-f1",
        ),
        (
            "flags.csv",
            Some("account_id,date,flag\n1,2025-01-01,1\n"),
            "account_day",
            &["--top-k", "3"],
            "--top-k needs a score column",
        ),
        (
            "fraction.csv",
            Some("account_id,date,flag\n1.4,2025-01-01,1\n"),
            "account_day",
            &[],
            "fraction.csv, line 2: account_id `1.4` is not a whole number",
        ),
        (
            "stamp.csv",
            Some("account_id,date,flag\n1,2025-01-01 23:00:00,1\n"),
            "account_day",
            &[],
            "stamp.csv, line 2: date `2025-01-01 23:00:00` is not a date",
        ),
        (
            "lines.csv",
            Some("# my detector\naccount_id,date,flag\n\n1,2025-01-01,1\n\n1,2025-01-02,x\n"),
            "account_day",
            &[],
            "lines.csv, line 6: flag `x` is not a flag",
        ),
        (
            "ragged.csv",
            Some("account_id,date,flag\n1,2025-01-01,1,9\n1,2025-01-02,1,9\n"),
            "account_day",
            &[],
            "ragged.csv, line 2: 4 fields where the header has 3; allowed: the header's fields in every row",
        ),
        (
            "twice.csv",
            Some("account_id,date,flag,flag\n1,2025-01-01,1,1\n"),
            "account_day",
            &[],
            "twice.csv: column `flag` appears more than once",
        ),
        (
            "p[1].csv",
            Some("account_id,date,flag\n1,2025-01-01,1\n"),
            "account_day",
            &[],
            "allowed: a file name without *, ? or [ (DuckDB would read it as a pattern of several files)",
        ),
        (
            "per_service.csv",
            Some("account_id,date,service,flag\n1,2025-01-01,dialog,1\n1,2025-01-01,tasks,0\n"),
            "account_day",
            &[],
            "appears again at line 3 (one row per service? that is --grain account_service_day)",
        ),
    ];
    for (name, body, grain, extra, want) in cases {
        let path = dir.path().join(name);
        if let Some(b) = body {
            std::fs::write(&path, b).unwrap();
        }
        let mut args = vec![
            "score",
            "--db",
            path_str(&db),
            "--predictions",
            path_str(&path),
            "--grain",
            grain,
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(out.is_empty(), "{name}: {out}");
    }
    let (code, _, err) = run(&[
        "score",
        "--db",
        path_str(&db),
        "--predictions",
        path_str(&pq),
        "--threshold",
        "1",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.parquet, row 1: score `nan` is NaN"), "{err}");
    let (code, _, err) = run(&["score", "--db", path_str(&db), "--predictions", "table:my_preds"]);
    assert_eq!(code, 2);
    assert!(err.contains("table:my_preds, row 1: flag `3` is not a flag"), "{err}");
    let (code, _, err) = run(&["score", "--db", path_str(&db), "--predictions", "table:nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("table:nope: no such table or view in the database"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "a refused scoring changed the database"
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM score_results"), "0");
}

#[test]
fn scores_are_recorded_with_the_predictions_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    let csv = all_days(dir.path(), "tied", tied);
    let pq = dir.path().join("tied.parquet");
    tamper(
        &db,
        &format!(
            "COPY (FROM read_csv('{}')) TO '{}' (FORMAT parquet)",
            path_str(&csv),
            path_str(&pq)
        ),
    );
    // (A database from before score_results, V6, is also from before V7's manifest columns, so it
    // must be reloaded to be read: tests/check_export_sql.rs.)
    let first = ok(&[
        "score",
        "--db",
        path_str(&db),
        "--predictions",
        path_str(&csv),
        "--threshold",
        "0.5",
    ]);
    assert!(first.contains("recorded as run 1 in score_results"), "{first}");
    assert_eq!(scalar(&db, "SELECT max(version) FROM refinery_schema_history"), "7");
    let second = ok(&[
        "score",
        "--db",
        path_str(&db),
        "--predictions",
        path_str(&pq),
        "--threshold",
        "0.5",
    ]);
    assert!(second.contains("recorded as run 2"), "{second}");
    // The same predictions hash alike in CSV and Parquet, and give the same numbers.
    assert_eq!(
        scalar(&db, "SELECT count(DISTINCT predictions_sha256) FROM score_results"),
        "1"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM score_results a JOIN score_results b USING (grain, breakdown, breakdown_value, metric)
             WHERE a.run = 1 AND b.run = 2 AND a.value IS DISTINCT FROM b.value"
        ),
        "0"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT round(value, 12) FROM score_results WHERE run = 1 AND grain = 'account_day' AND breakdown = 'overall' AND metric = 'auc_pr'"
        ),
        "0.49"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT DISTINCT replace(options, '\"', '''') FROM score_results WHERE run = 1"
        ),
        "\"{'grain':'account_day','rule':'threshold','threshold':0.5,'grace_days':0,'legacy_pa':false}\"" // CSV-quoted
    );
    // A reload clears them with the dataset they scored.
    ok(&common::reload_sample(
        &db,
        &["--set", "dataset.end_date=2025-01-10", "--set", "accounts.n_accounts=2"],
    ));
    assert_eq!(scalar(&db, "SELECT count(*) FROM score_results"), "0");
}

/// The sample config with a few injections of several kinds, a decoy and a training period.
const ANOMALIES: &str = "anomalies:
  clean_until: 2025-02-28
  injections:
    - {name: spike, kind: cost_spike, service: tasks, accounts: 5, start: [2025-03-01, 2025-11-01], duration_days: 3, magnitude: [3, 8]}
    - {name: down, kind: outage, service: dialog, accounts: 3, start: [2025-03-01, 2025-11-01], duration_days: 5}
    - {name: creep, kind: drift, accounts: 3, start: [2025-03-01, 2025-09-01], duration_days: 20, magnitude: 3}
    - {name: chat, kind: dialog_spike, accounts: 2, start: [2025-03-01, 2025-11-01], duration_days: 2, magnitude: 20}
  known_events:
    - {name: promo, kind: cost_spike, service: dialog, accounts: 3, start: 2025-06-02, duration_days: 7, magnitude: 0.5}
";

fn sample_with_anomalies(dir: &Path) -> PathBuf {
    let spec = dir.join("anomalies.yaml");
    std::fs::write(&spec, ANOMALIES).unwrap();
    common::load_sample(dir, "sample", &["--config", path_str(&spec)])
}

/// `gen detect --db DB --method METHOD --out OUT` plus `extra`: (exit code, stdout, stderr).
fn detect(db: &Path, method: &str, out: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["detect", "--db", path_str(db), "--method", method, "--out", out];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn detect_then_score_runs_end_to_end_and_repeats_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_with_anomalies(dir.path());
    let asd = ["--grain", "account_service_day"];
    for (method, grain) in [
        ("rolling_z", "account_service_day"),
        ("seasonal_z", "account_service_day"),
        ("platform_z", "platform_day"),
    ] {
        let out = dir.path().join(format!("{method}.csv"));
        let (code, said, err) = detect(&db, method, path_str(&out), &[]);
        assert_eq!(code, 0, "{err}");
        assert!(said.contains(&format!("--grain {grain}")), "{said}");
        let s = score(&db, &out, &["--grain", grain]);
        let units = get(&s, grain, "overall", "positives").unwrap() + get(&s, grain, "overall", "negatives").unwrap();
        // Every unit of the grain after the training period is predicted.
        let predicted = std::fs::read_to_string(&out).unwrap().lines().skip(1).count() as f64;
        assert!(
            predicted >= units,
            "{method}: {predicted} predictions for {units} units"
        );
        for m in ["auc_pr", "auc_roc", "event_recall", "impact_recall"] {
            let v = get(&s, grain, "overall", m).unwrap();
            assert!((0.0..=1.0).contains(&v), "{method} {m} {v}");
        }
        // The same detector again gives the same file, and the same file the same scores.
        let again = dir.path().join(format!("{method}-again.csv"));
        assert_eq!(detect(&db, method, path_str(&again), &[]).0, 0);
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap(), "{method}");
        let t = score(&db, &again, &["--grain", grain]);
        let diff: Vec<_> = s
            .iter()
            .filter(|(k, v)| t.get(*k) != Some(v))
            .map(|(k, v)| (k, v, t.get(k)))
            .collect();
        assert!(diff.is_empty(), "{method}: {diff:?}");
    }
    let from_file = score(&db, &dir.path().join("rolling_z.csv"), &asd);
    // Into a table, read back by gen score (recording this time).
    assert_eq!(detect(&db, "rolling_z", "table:rz", &[]).0, 0);
    let table = |name: &str| {
        let preds = format!("table:{name}");
        parse(&ok(&[
            "score",
            "--db",
            path_str(&db),
            "--predictions",
            &preds,
            asd[0],
            asd[1],
            "--format",
            "csv",
        ]))
    };
    assert_eq!(table("rz"), from_file);
    // An existing table needs --force; gen's own names are refused even with it.
    let (code, _, err) = detect(&db, "rolling_z", "table:rz", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("table rz exists"), "{err}");
    assert_eq!(detect(&db, "seasonal_z", "table:rz", &["--force"]).0, 0);
    let (code, _, err) = detect(&db, "rolling_z", "table:accounts", &["--force"]);
    assert_eq!(code, 2);
    assert!(err.contains("one of gen's own tables"), "{err}");
    assert_eq!(scalar(&db, "SELECT count(*) FROM accounts"), "300");
    // A name gen uses for a temporary table while scoring is still read from the database.
    assert_eq!(detect(&db, "rolling_z", "table:score_units", &[]).0, 0);
    assert_eq!(table("score_units"), from_file);
    // A window too short for the history asked for would score nothing: refused.
    let (code, _, err) = detect(
        &db,
        "seasonal_z",
        path_str(&dir.path().join("s.csv")),
        &["--window", "28"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("--min-history 7 is more than the 4 earlier points a 28-day window gives seasonal_z"),
        "{err}"
    );
}

#[test]
fn a_random_detector_gets_the_prevalence() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_with_anomalies(dir.path());
    let units = ok(&[
        "sql",
        "--db",
        path_str(&db),
        "--format",
        "csv",
        "SELECT account_id, date FROM account_days ORDER BY ALL",
    ]);
    let (mut ap, mut roc, mut prevalence) = (Vec::new(), Vec::new(), 0.0);
    for seed in 1..=8u64 {
        // A xorshift stream per seed: scores in [0, 1), no ties to speak of.
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut text = String::from("account_id,date,score\n");
        for line in units.lines().skip(1) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            text.push_str(&format!("{line},{}\n", (x >> 11) as f64 / (1u64 << 53) as f64));
        }
        let path = dir.path().join(format!("random{seed}.csv"));
        std::fs::write(&path, text).unwrap();
        let s = score(&db, &path, &["--threshold", "0.5"]);
        ap.push(get(&s, "account_day", "overall", "auc_pr").unwrap());
        roc.push(get(&s, "account_day", "overall", "auc_roc").unwrap());
        prevalence = get(&s, "account_day", "overall", "auc_pr_random").unwrap();
        // Half the units flagged: recall ≈ 0.5.
        let r = get(&s, "account_day", "overall", "recall").unwrap();
        assert!((r - 0.5).abs() < 0.1, "recall {r}");
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(prevalence > 0.0 && prevalence < 0.1, "{prevalence}");
    // A random ranking's AP is a little above the prevalence when the positives are few (about
    // 35 here, since every target has 7 days of history before its start).
    assert!(
        (mean(&ap) - prevalence).abs() < 0.25 * prevalence,
        "mean AP {} vs prevalence {prevalence}: {ap:?}",
        mean(&ap)
    );
    assert!((mean(&roc) - 0.5).abs() < 0.02, "mean ROC {}: {roc:?}", mean(&roc));
}

#[test]
fn chat_day_predictions_take_joint_info_chat_ids() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_with_anomalies(dir.path());
    let rows = ok(&[
        "sql",
        "--db",
        path_str(&db),
        "--format",
        "csv",
        "SELECT chat_id, date, (joint_info.total_cost > 20)::INTEGER AS flag FROM joint_info ORDER BY ALL",
    ]);
    assert!(
        rows.lines().nth(1).unwrap().starts_with("000"),
        "joint_info pads chat ids"
    );
    let path = dir.path().join("chats.csv");
    std::fs::write(&path, &rows).unwrap();
    let s = score(&db, &path, &["--grain", "chat_day"]);
    assert!(get(&s, "chat_day", "overall", "positives").unwrap() > 0.0);
    assert!(get(&s, "account_day", "overall", "positives").unwrap() > 0.0);
    assert!(get(&s, "platform_day", "overall", "positives").unwrap() > 0.0);
}

#[test]
fn tsb_ad_files_hold_each_anomalous_accounts_series() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_with_anomalies(dir.path());
    let tsb = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "export",
            "--db",
            path_str(&db),
            "--format",
            "tsb-ad",
            "--out",
            path_str(out),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let out = dir.path().join("tsb");
    let (code, said, err) = tsb(&out, &["--grain", "account_day"]);
    assert_eq!(code, 0, "{err}");
    assert!(said.starts_with("wrote "), "{said}");
    let manifest = std::fs::read_to_string(out.join("File-List/UsageGen.csv")).unwrap();
    assert!(
        manifest.starts_with("file_name,entity,"),
        "TSB-AD's scripts read the list's file_name"
    );
    let files: Vec<&str> = manifest.lines().skip(1).collect();
    let accounts: usize = scalar(
        &db,
        "SELECT count(DISTINCT account_id) FROM account_day_labels WHERE is_anomaly = 1 AND date > DATE '2025-02-28'",
    )
    .parse()
    .unwrap();
    assert_eq!(files.len(), accounts);
    for row in &files {
        let f: Vec<&str> = row.split(',').collect();
        let (name, account, rows, anomalous, train, first) = (f[0], f[1], f[4], f[5], f[6], f[7]);
        assert!(
            name.contains(&format!("_UsageGen_id_{account}_Synthetic_tr_{train}_1st_{first}.csv")),
            "{name}"
        );
        let text = std::fs::read_to_string(out.join("TSB-AD-M").join(name)).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "cost_dialog,cost_tasks,cost_classifications,cost_amocrm_call,n_tasks,n_classifications,n_amocrm_calls,active_chats,Label"
            )
        );
        let body: Vec<&str> = lines.collect();
        assert_eq!(body.len().to_string(), rows);
        let labels: Vec<&str> = body.iter().map(|l| l.rsplit(',').next().unwrap()).collect();
        assert_eq!(labels.iter().filter(|l| **l == "1").count().to_string(), anomalous);
        let want = scalar(
            &db,
            &format!("SELECT sum(is_anomaly) FROM account_day_labels WHERE account_id = {account}"),
        );
        assert_eq!(anomalous, want, "{account}");
        assert_eq!(labels[first.parse::<usize>().unwrap()], "1", "{name}");
        assert_eq!(train, "59", "Jan + Feb are the training period");
        let cost = scalar(
            &db,
            &format!(
                "SELECT round(sum(cost), 2) FROM service_days WHERE account_id = {account} AND service = 'dialog'"
            ),
        );
        let sum: f64 = body
            .iter()
            .map(|l| l.split(',').next().unwrap().parse::<f64>().unwrap())
            .sum();
        assert!(
            (sum - cost.parse::<f64>().unwrap_or(0.0)).abs() < 0.01,
            "{account}: {sum} vs {cost}"
        );
    }
    // --force replaces an earlier export, never another directory (here, the database's).
    let (code, _, err) = tsb(dir.path(), &["--force"]);
    assert_eq!(code, 2);
    assert!(err.contains("holds more than a TSB-AD export"), "{err}");
    assert!(db.exists());
    // Nor an export someone added a file to, even one named like a series.
    let added = out.join("TSB-AD-M/999_UsageGen_id_1_Synthetic_tr_0_1st_0.csv");
    std::fs::write(&added, "mine\n").unwrap();
    let (code, _, err) = tsb(&out, &["--force"]);
    assert_eq!(code, 2);
    assert!(err.contains("holds more than a TSB-AD export"), "{err}");
    std::fs::remove_file(&added).unwrap();
    // An existing directory needs --force; nothing temporary is left beside it.
    let (code, _, err) = tsb(&out, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("exists; pass --force"), "{err}");
    assert_eq!(tsb(&out, &["--grain", "platform_day", "--force"]).0, 0);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with(".gen-")), "{names:?}");
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        2,
        "one platform file and the manifest"
    );
}

#[test]
fn the_detector_benchmark_tables_of_the_docs_are_what_the_script_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(root.join("scripts/detector-benchmark"))
        .env("GEN", env!("CARGO_BIN_EXE_gen"))
        .current_dir(root)
        .output()
        .expect("scripts/detector-benchmark runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.lines().count() > 40, "{table}");
    for doc in ["README.md", "BENCHMARKS.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let start = text.find("<!-- detector-benchmark -->\n").expect("the start marker") + 28;
        let end = text.find("<!-- /detector-benchmark -->").expect("the end marker");
        assert_eq!(
            &text[start..end],
            table,
            "{doc}'s table is not what scripts/detector-benchmark prints"
        );
    }
}

#[test]
fn a_dataset_without_anomalies_to_find_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plain = common::load_sample(dir.path(), "plain", &[]);
    let preds = dir.path().join("p.csv");
    std::fs::write(&preds, "date,flag\n2025-03-01,1\n").unwrap();
    let at_platform = |db: &Path| {
        run(&[
            "score",
            "--db",
            path_str(db),
            "--predictions",
            path_str(&preds),
            "--grain",
            "platform_day",
        ])
    };
    let (code, _, err) = at_platform(&plain);
    assert_eq!(code, 2);
    assert!(
        err.contains("has no anomalies to score against; load it with an anomalies: block"),
        "{err}"
    );
    // Anomalies in the manifest, but none labelled a unit (say, a share of idle accounts).
    let db = world(dir.path());
    tamper(&db, "DELETE FROM anomaly_labels WHERE is_anomaly");
    std::fs::write(&preds, "date,flag\n2025-01-03,1\n").unwrap();
    let (code, _, err) = at_platform(&db);
    assert_eq!(code, 2);
    assert!(
        err.contains("no anomaly labels a unit of --grain platform_day after the training period"),
        "{err}"
    );
}

#[test]
fn a_path_starting_with_a_tilde_is_that_path() {
    // DuckDB expands a leading ~ to the home directory; gen means the directory named ~ here.
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    let home = dir.path().join("home");
    std::fs::create_dir_all(dir.path().join("~")).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(dir.path().join("~/p.csv"), "account_id,date,flag\n1,2025-01-03,1\n").unwrap();
    std::fs::write(home.join("p.csv"), "account_id,date,flag\n2,2025-01-06,1\n").unwrap();
    let out = common::gen_cmd()
        .current_dir(dir.path())
        .env("HOME", &home)
        .args([
            "score",
            "--db",
            path_str(&db),
            "--predictions",
            "~/p.csv",
            "--format",
            "csv",
            "--no-record",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = parse(&String::from_utf8_lossy(&out.stdout));
    // ~/p.csv here flags account 1 (the cost spike), $HOME/p.csv would flag account 2.
    assert_metric(&s, "kind=cost_spike", "event_recall", Some(1.0));
    assert_metric(&s, "kind=outage", "event_recall", Some(0.0));
    // Written the same way: gen detect into ~/ here, not $HOME.
    let detect = common::gen_cmd()
        .current_dir(dir.path())
        .env("HOME", &home)
        .args([
            "detect",
            "--db",
            path_str(&db),
            "--method",
            "platform_z",
            "--out",
            "~/d.csv",
            "--min-history",
            "1",
        ])
        .output()
        .unwrap();
    assert!(detect.status.success(), "{}", String::from_utf8_lossy(&detect.stderr));
    assert!(dir.path().join("~/d.csv").exists());
    assert!(!home.join("d.csv").exists());
}

#[test]
fn a_view_over_a_table_named_like_a_scratch_table_reads_the_users_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = world(dir.path());
    tamper(
        &db,
        "CREATE TABLE score_units AS SELECT 1 AS account_id, DATE '2025-01-03' AS date, 1 AS flag;
         CREATE VIEW my_view AS SELECT * FROM score_units",
    );
    let s = parse(&ok(&[
        "score",
        "--db",
        path_str(&db),
        "--predictions",
        "table:my_view",
        "--format",
        "csv",
        "--no-record",
    ]));
    assert_metric(&s, "overall", "tp", Some(1.0));
}

/// On the benchmark scenario, with three seeds: the difficulty bands order the reference detector
/// (rolling_z's AUC-PR falls from easy to medium to hard), and rolling_z beats flagging everything
/// on composite F and event precision.
#[test]
fn difficulty_bands_order_rolling_z_on_the_benchmark_over_three_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let mixed = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/scenarios/mixed.yaml");
    for seed in ["42", "43", "44"] {
        let db = dir.path().join(format!("mixed-{seed}.duckdb"));
        ok(&["load", "--db", path_str(&db), "--config", mixed, "--seed", seed]);
        let preds = dir.path().join(format!("rz-{seed}.parquet"));
        ok(&[
            "detect",
            "--db",
            path_str(&db),
            "--method",
            "rolling_z",
            "--out",
            path_str(&preds),
        ]);
        let s = score(&db, &preds, &[]);
        let at = |group: &str, metric: &str| get(&s, "account_service_day", group, metric).unwrap_or(0.0);
        let auc: Vec<f64> = ["easy", "medium", "hard"]
            .iter()
            .map(|b| at(&format!("difficulty={b}"), "auc_pr"))
            .collect();
        let recall: Vec<f64> = ["easy", "medium", "hard"]
            .iter()
            .map(|b| at(&format!("difficulty={b}"), "event_recall"))
            .collect();
        eprintln!("seed {seed}: rolling_z AUC-PR by band {auc:?}, event recall {recall:?}");
        assert!(
            auc[0] > auc[1] && auc[1] > auc[2],
            "seed {seed}: AUC-PR by band {auc:?}"
        );
        assert!(
            recall[0] >= recall[1] && recall[1] >= recall[2],
            "seed {seed}: event recall by band {recall:?}"
        );
        for metric in ["composite_f", "event_precision"] {
            let (mine, all) = (at("overall", metric), at("overall", &format!("{metric}_flag_all")));
            assert!(mine > all, "seed {seed}: rolling_z {metric} {mine} <= flag-all {all}");
        }
    }
}
