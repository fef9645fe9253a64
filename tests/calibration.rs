//! The calibration report as a statistical test: every row within tolerance at the default config
//! for several seeds and at extreme valid values, false OUTSIDE rows rare over many seeds of a
//! short range and over random valid configs (a property test), each knob moving its own observed
//! value the right way while every other row stays on target, and the exact numbers of a fixed
//! seed pinned.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{RngSeed, TestRunner};

/// (knob, item, metric) → (target, observed, status), from `gen report --report calibration`.
type Calibration = HashMap<(String, String, String), (f64, f64, String)>;

fn calibration(db: &Path) -> Calibration {
    let csv = ok(&[
        "report",
        "--db",
        path_str(db),
        "--report",
        "calibration",
        "--format",
        "csv",
    ]);
    let mut lines = csv.lines().filter(|l| !l.starts_with('#') && !l.is_empty());
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(
        header,
        [
            "knob",
            "item",
            "metric",
            "configured",
            "target",
            "observed",
            "tolerance",
            "n",
            "status"
        ]
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 9, "metric texts must not contain commas: {l}");
            let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
            (
                (f[0].to_string(), f[1].to_string(), f[2].to_string()),
                (num(f[4]), num(f[5]), f[8].to_string()),
            )
        })
        .collect()
}

fn load(dir: &Path, name: &str, sets: &[&str]) -> Calibration {
    let mut extra = vec![];
    for s in sets {
        extra.extend(["--set", s]);
    }
    let db = load_sample(dir, name, &extra);
    calibration(&db)
}

fn row<'a>(c: &'a Calibration, knob: &str, item: &str, metric: &str) -> &'a (f64, f64, String) {
    c.get(&(knob.into(), item.into(), metric.into()))
        .unwrap_or_else(|| panic!("no calibration row {knob} / {item} / {metric}"))
}

fn assert_none_outside(c: &Calibration, what: &str) {
    let bad: Vec<_> = c.iter().filter(|(_, v)| v.2 == "OUTSIDE").collect();
    assert!(bad.is_empty(), "{what}: rows off target: {bad:#?}");
}

#[test]
fn default_config_is_on_target_for_seeds_1_to_5() {
    let dir = tempfile::tempdir().unwrap();
    for seed in ["1", "2", "3", "4", "5"] {
        let db = dir.path().join(format!("d{seed}.duckdb"));
        ok(&["load", "--db", path_str(&db), "--seed", seed]);
        ok(&["report", "--db", path_str(&db), "--report", "calibration", "--strict"]);
        let c = calibration(&db);
        assert!(c.len() >= 95, "{} rows", c.len());
        // Every row has data but the clipping rows (q never reaches the clips at this config)
        // and the knobs that are off.
        let without: Vec<_> = c
            .iter()
            .filter(|(_, v)| v.2 != "ok")
            .map(|(k, v)| format!("{} {} {}", k.0, k.1, v.2))
            .collect();
        assert_eq!(without.len(), 4, "seed {seed}: {without:#?}");
        std::fs::remove_file(&db).unwrap();
    }
}

/// Over 50 seeds of a short range (two months, 300 accounts: small samples, where estimators are
/// least normal), fewer than 1 row in 1,000 is OUTSIDE its tolerance.
#[test]
fn false_alarms_are_rare_over_fifty_seeds_of_a_short_range() {
    let dir = tempfile::tempdir().unwrap();
    let (mut rows, mut outside) = (0, Vec::new());
    for seed in 1..=50 {
        let c = load(
            dir.path(),
            &format!("s{seed}"),
            &[&format!("dataset.seed={seed}"), "dataset.end_date=2025-02-28"],
        );
        rows += c.values().filter(|v| v.2 == "ok" || v.2 == "OUTSIDE").count();
        outside.extend(
            c.iter()
                .filter(|(_, v)| v.2 == "OUTSIDE")
                .map(|(k, v)| format!("seed {seed}: {k:?} {v:?}")),
        );
        std::fs::remove_file(dir.path().join(format!("s{seed}.duckdb"))).unwrap();
    }
    assert!(rows > 3000, "{rows} rows checked");
    assert!(
        (outside.len() as f64) < rows as f64 / 1000.0,
        "{} of {rows} rows OUTSIDE: {outside:#?}",
        outside.len()
    );
}

/// Extreme valid values: every row stays within tolerance (or says why it has no data).
#[test]
fn extreme_valid_values_stay_on_target() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[&[&str]] = &[
        // A huge initial pool (the clipped Poisson's target must not underflow) and a high cap.
        &[
            "chats.max_concurrent_per_account=1000",
            "chat_lifecycle.initial_active_chats_per_account={dist: poisson, mean: 900, min: 0, max: 1000}",
            "accounts.n_accounts=40",
            "dataset.end_date=2025-01-20",
        ],
        // The cap binding every day, arrivals beyond it, clipping at both ends.
        &[
            "chats.max_concurrent_per_account=5",
            "chat_lifecycle.initial_active_chats_per_account={dist: poisson, mean: 3, min: 0, max: 5}",
            "chat_lifecycle.new_chats_lambda_per_account_day=4",
            "chat_lifecycle.lifetime.mean_days=2",
            "activity.base_q=0.9",
            "activity.q_clip_max=0.5",
            "activity.q_clip_min=0.3",
            "activity.p_full_day=0",
        ],
        // Everything active, no arrivals, no popularity spread.
        &[
            "activity.p_full_day=1",
            "chat_lifecycle.enabled=false",
            "activity.chat_popularity_lognorm_sigma=0",
            "chat_lifecycle.reactivation_prob=1",
        ],
        // Usage on nearly every day, heavy over-dispersion, zero churn, instant churn.
        &[
            "services_usage_days.mean_active_days={tasks: 5000, classifications: 0.5, amocrm_call: 60}",
            "services_usage_days.dispersion_k={tasks: 0.2, classifications: 50, amocrm_call: 1}",
            "services_model.retention_targets.tasks={r30: 1.0, r60: 1.0, r90: 1.0}",
            "services_model.post90_daily_churn.tasks=0",
            "services_model.retention_targets.amocrm_call={r30: 0.0, r60: 0.0, r90: 0.0}",
            "services_model.p_convert_after_trial.classifications=1",
            "services_usage_days.intensity_sigma=2",
        ],
        // Events: none, huge, over-dispersed; costs: degenerate, capped, wide.
        &[
            "services_event_volume.mean_events_per_active_day={tasks: 0, classifications: 100000, amocrm_call: 2}",
            "services_event_volume.dispersion_k={tasks: 1, classifications: 0.05, amocrm_call: 1000}",
            "services.cost_when_used.tasks={min: 5, max: 5, median: 5, sigma: 1}",
            "services.cost_when_used.classifications={min: 0, max: 3, median: 2.5, sigma: 3}",
            "services.cost_when_used.amocrm_call={min: 1, max: 1000000, median: 900000, sigma: 0}",
        ],
        // Signups through the range, uneven accounts, weighted types, bundling, scaling, spread.
        &[
            "accounts.before_start_share=0.2",
            "accounts.activity_shape=0.5",
            "chats.chat_type_weights={whatsapp: 10, telegram: 1, instagram: 1, avito: 1, vk: 1, max: 1, viber: 0.01}",
            "services_model.correlation.strength=1",
            "services_usage_days.scale_to_window=true",
            "services_model.distribute_to_chats.mode=spread",
            "services_model.adoption_day_bias={type: polynomial, alpha: 100}",
        ],
        // A range across a year boundary starting mid-month; launches outside it.
        &[
            "dataset.start_date=2024-11-17",
            "dataset.end_date=2025-02-09",
            "services_model.launch_dates={tasks: '2020-01-01', classifications: '2025-02-01', amocrm_call: '2030-01-01', dialog: '2024-12-24'}",
        ],
        // Usage pricing.
        &["services_model.usage.enabled=true", "dataset.end_date=2025-04-30"],
    ];
    for (i, sets) in cases.iter().enumerate() {
        let c = load(dir.path(), &format!("x{i}"), sets);
        assert_none_outside(&c, &format!("{sets:?}"));
    }
}

const LIFETIME: (&str, &str, &str) = (
    "chat_lifecycle.lifetime.mean_days",
    "",
    "mean spell in the pool (censored MLE)",
);
const ADOPTION_DAYS: (&str, &str, &str) = (
    "services_model.adoption_day_bias",
    "exp_decay",
    "share of adoptions on days 1-15 of their month",
);

/// W3: on ranges of a few days most stays are still open at the end; the lifetime estimate counted
/// each one's certain first day as a day survived and came out about d/(d − 1) × the mean (2× on
/// 2 days). Averaged over seeds it is now on the mean at every length, and never OUTSIDE.
#[test]
fn lifetime_estimate_is_unbiased_on_short_ranges() {
    let dir = tempfile::tempdir().unwrap();
    for (days, end) in [(2, "2025-03-02"), (3, "2025-03-03"), (5, "2025-03-05")] {
        let mut ratios = Vec::new();
        for seed in 1..=4 {
            let c = load(
                dir.path(),
                &format!("l{days}-{seed}"),
                &[
                    "dataset.start_date=2025-03-01",
                    &format!("dataset.end_date={end}"),
                    &format!("dataset.seed={seed}"),
                ],
            );
            let (target, observed, status) = row(&c, LIFETIME.0, LIFETIME.1, LIFETIME.2);
            assert_eq!(status, "ok", "{days} days, seed {seed}: {observed} against {target}");
            ratios.push(observed / target);
        }
        // About 80 completed stays each: one estimate's sd is about 11 %, the mean of four 6 %.
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        assert!((0.8..1.25).contains(&mean), "{days} days: estimate / mean = {ratios:?}");
    }
}

/// W4 and C8: a monthly quota far beyond the 300 accounts fills every account on the service's
/// launch day (Feb 1, in the first half of its month). The target follows how the plan fills it
/// (here about 0.894, not the weights' 0.818), so the row is within tolerance on every seed; and
/// `config validate` and `load` warn about the quota (exit 0), naming the key, the quota and the
/// accounts.
#[test]
fn a_saturated_adoption_quota_is_on_target_and_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let quota = "services_model.new_adopters_per_month.tasks=1000000";
    let (code, out, err) = run(&["config", "validate", "--config", SAMPLE, "--set", quota]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok:"), "{out}");
    let warning = err.trim();
    for part in [
        "gen: warning: --set services_model.new_adopters_per_month.tasks=1000000: services_model.new_adopters_per_month.tasks: 1000000 a month",
        "the 300 accounts",
    ] {
        assert!(warning.contains(part), "no `{part}` in {warning}");
    }
    assert_eq!(warning.lines().count(), 1, "{warning}");
    for seed in 1..=3 {
        let db = dir.path().join(format!("q{seed}.duckdb"));
        let seed = format!("dataset.seed={seed}");
        let (code, out, err) = run(&[
            "load",
            "--db",
            path_str(&db),
            "--config",
            SAMPLE,
            "--set",
            quota,
            "--set",
            &seed,
        ]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(err.contains(warning), "{err}");
        let c = calibration(&db);
        let (target, observed, status) = row(&c, ADOPTION_DAYS.0, ADOPTION_DAYS.1, ADOPTION_DAYS.2);
        assert_eq!(status, "ok", "{seed}: {observed} against {target}");
        assert!((0.88..0.91).contains(target), "{seed}: target {target}");
        assert_none_outside(&c, &seed);
    }
    // Quotas the accounts can fill: no warning.
    let (code, out, err) = run(&["config", "validate", "--config", SAMPLE]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
}

/// One random valid config of the property test below: the knobs the calibration targets are
/// most fragile in — few accounts, ranges of days, lifetimes from one day to years, adoption
/// quotas from none to far beyond the accounts (saturated), signups through the range, launches
/// inside it, both adoption biases — over the sample config.
/// Returns the `--set` flags, the range's days and the lifetime's mean.
fn random_config() -> impl Strategy<Value = (Vec<String>, i64, f64)> {
    let quota = prop_oneof![0u32..30, 30u32..3000, Just(1_000_000u32)];
    let bias = prop_oneof![
        (0.0f64..1.5).prop_map(|a| format!("{{type: exp_decay, alpha: {a:.4}}}")),
        (0.0f64..100.0).prop_map(|a| format!("{{type: polynomial, alpha: {a:.3}}}")),
    ];
    (
        (any::<u32>(), 0i64..1500, 2i64..=30, 3u64..=120),
        (prop_oneof![Just(1.0f64), 0.05f64..1.0], prop_oneof![Just(1.0f64), (0.0f64..3.5).prop_map(|x| 10f64.powf(x))]),
        ([quota.clone(), quota.clone(), quota], [-400i64..0, 0i64..30, -400i64..30], bias),
    )
        .prop_map(|((seed, start, days, n), (share, life), (quotas, launch, bias))| {
            let day0 = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
            let date = |d: i64| day0 + chrono::Duration::days(d);
            let (first, last) = (date(start), date(start + days - 1));
            let on = |l: i64| format!("'{}'", date(start + l));
            let sets = vec![
                format!("dataset.seed={seed}"),
                format!("dataset.start_date={first}"),
                format!("dataset.end_date={last}"),
                format!("accounts.n_accounts={n}"),
                format!("accounts.before_start_share={share:.3}"),
                format!("chat_lifecycle.lifetime.mean_days={life:.3}"),
                format!(
                    "services_model.new_adopters_per_month={{tasks: {}, classifications: {}, amocrm_call: {}}}",
                    quotas[0], quotas[1], quotas[2]
                ),
                format!(
                    "services_model.launch_dates={{tasks: {}, classifications: {}, amocrm_call: {}, dialog: '2020-01-01'}}",
                    on(launch[0]),
                    on(launch[1]),
                    on(launch[2])
                ),
                format!("services_model.adoption_day_bias={bias}"),
            ];
            (sets, days, life)
        })
}

/// The README's promise, over random valid configs loaded by the real binary: fewer than 1 row in
/// 1,000 of the calibration report is OUTSIDE.
///
/// What a few dozen cases can honestly assert. Each row's tolerance is 4.5 standard errors, a
/// false OUTSIDE about once in 150,000 rows where the estimator is normal; at small counts some
/// are only nearly normal, and the promise allows up to 1 in 1,000. 40 cases (a load and a report
/// each: about 25 s of CPU) give some 2,200 checked rows (short ranges leave many rows without
/// data), so the aggregate assertion (OUTSIDE / rows < 1/1000: at most 2 here) tests the promise
/// in aggregate, failing when the rows' average false rate is about 1 in 1,000 or more. No single
/// row can be shown below 1/1000 with 40 observations (that takes thousands); what can be seen is a
/// row that is systematically off in part of the config space, as W3 (8 of 14 short ranges) and W4
/// (every saturated quota) were, and as the weekday ratios were with one-day lifetimes (their
/// standard error left out the mean's; 12 OUTSIDE in the first 60 cases): such a row is OUTSIDE in
/// several cases, while a row honouring the promise is OUTSIDE twice in 40 cases with probability
/// below 0.1 %. So a row OUTSIDE in two or more cases fails the test. The cases come from a fixed seed so a failure
/// reproduces (PROPTEST_RNG_SEED=N explores others; PROPTEST_CASES=N sets their number); and the
/// test checks that the cases did reach the fragile corners (saturated quotas, lifetimes longer
/// than the range).
#[test]
fn false_alarms_are_rare_over_random_valid_configs() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ProptestConfig::with_cases(40);
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(20261207);
    }
    if let Some(n) = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()) {
        config.cases = n;
    }
    let (cases, rows, outside, saturated, long_lived) = (
        std::cell::Cell::new(0),
        std::cell::Cell::new(0usize),
        std::cell::RefCell::new(Vec::new()),
        std::cell::Cell::new(0),
        std::cell::Cell::new(0),
    );
    TestRunner::new(config)
        .run(&random_config(), |(sets, days, life)| {
            let i = cases.get();
            cases.set(i + 1);
            let db = dir.path().join(format!("p{i}.duckdb"));
            let mut args = vec!["load", "--db", path_str(&db), "--config", SAMPLE];
            for s in &sets {
                args.extend(["--set", s.as_str()]);
            }
            let (code, out, err) = run(&args);
            prop_assert_eq!(code, 0, "{:?}: {}{}", sets, out, err);
            if err.contains("gen: warning:") && err.contains("new_adopters_per_month") {
                saturated.set(saturated.get() + 1);
            }
            let c = calibration(&db);
            let (_, _, status) = row(&c, LIFETIME.0, LIFETIME.1, LIFETIME.2);
            // A lifetime with ends to measure, on a range shorter than the mean.
            if (status == "ok" || status == "OUTSIDE") && life > days as f64 {
                long_lived.set(long_lived.get() + 1);
            }
            rows.set(rows.get() + c.values().filter(|v| v.2 == "ok" || v.2 == "OUTSIDE").count());
            outside.borrow_mut().extend(
                c.iter()
                    .filter(|(_, v)| v.2 == "OUTSIDE")
                    .map(|(k, v)| (k.clone(), format!("{sets:?}: {v:?}"))),
            );
            std::fs::remove_file(&db).unwrap();
            Ok(())
        })
        .unwrap();
    let (rows, outside) = (rows.get(), outside.into_inner());
    eprintln!(
        "{} cases, {rows} rows checked, {} OUTSIDE: {outside:#?}",
        cases.get(),
        outside.len()
    );
    assert!(rows > 40 * cases.get(), "{rows} rows checked in {} cases", cases.get());
    assert!(
        saturated.get() >= 5 && long_lived.get() >= 5,
        "{} saturated, {} long-lived cases",
        saturated.get(),
        long_lived.get()
    );
    assert!(
        (outside.len() as f64) < rows as f64 / 1000.0,
        "{} of {rows} rows OUTSIDE: {outside:#?}",
        outside.len()
    );
    let mut per_row: HashMap<_, Vec<_>> = HashMap::new();
    for (k, case) in &outside {
        per_row.entry(k).or_default().push(case);
    }
    let repeated: Vec<_> = per_row.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(repeated.is_empty(), "rows OUTSIDE in more than one case: {repeated:#?}");
}

#[test]
fn strict_fails_when_the_data_is_off_target() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "t", &[]);
    // Pretend the config had asked for more conversions than the data has.
    tamper(
        &db,
        "UPDATE calibration_targets SET target = 0.3 \
         WHERE knob = 'services_model.p_convert_after_trial' AND item = 'amocrm_call'",
    );
    let (code, out, err) = run(&["report", "--db", path_str(&db), "--report", "calibration", "--strict"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("OUTSIDE"), "{out}");
    assert!(err.contains("1 calibration row(s) outside tolerance"), "{err}");
}

const BASE_Q: &str = "active chats per account-day (binomial with floor and full days)";
const DIALOG: &str = "services_usage_days.dialog.mean_active_days";
const DIALOG_DAYS: &str = "dialog days per account";

/// Turning one knob moves its own observed value the stated way, and no row — the turned one
/// against its new target included — goes outside its tolerance.
#[test]
fn each_knob_moves_its_own_row() {
    let dir = tempfile::tempdir().unwrap();
    let base = load(dir.path(), "base", &[]);
    assert_none_outside(&base, "base");
    // (override, knob, item, metric, +1 = observed goes up / -1 = down)
    let cases: &[(&str, &str, &str, &str, f64)] = &[
        (
            "accounts.before_start_share=0.5",
            "accounts.before_start_share",
            "",
            "share existing on the first day",
            -1.0,
        ),
        (
            "chats.chat_type_weights={whatsapp: 5, telegram: 1, instagram: 1, avito: 1, vk: 1, max: 1, viber: 1}",
            "chats.chat_type_weights",
            "whatsapp",
            "share of chats",
            1.0,
        ),
        (
            "chat_lifecycle.initial_active_chats_per_account.mean=20",
            "chat_lifecycle.initial_active_chats_per_account",
            "mean",
            "mean initial pool per account (clipped Poisson)",
            1.0,
        ),
        (
            "chat_lifecycle.new_chats_lambda_per_account_day=0.5",
            "chat_lifecycle.new_chats_lambda_per_account_day",
            "",
            "arrivals per account-day (seasonality and cap included)",
            1.0,
        ),
        (
            "chat_lifecycle.lifetime.mean_days=20",
            "chat_lifecycle.lifetime.mean_days",
            "",
            "mean spell in the pool (censored MLE)",
            -1.0,
        ),
        (
            "chat_lifecycle.reactivation_prob=0.02",
            "chat_lifecycle.reactivation_prob",
            "",
            "reactivations per account-day with an expired chat",
            1.0,
        ),
        (
            "activity.base_q=0.3",
            "activity.base_q",
            "",
            "active chats per account-day (binomial with floor and full days)",
            1.0,
        ),
        (
            "activity.p_full_day=0.2",
            "activity.p_full_day",
            "",
            "share of full days (estimated)",
            1.0,
        ),
        (
            "activity.dow_multiplier.Sat=1.5",
            "activity.dow_multiplier",
            "Sat",
            "active chats per pool chat relative to the mean weekday",
            1.0,
        ),
        (
            "activity.month_multiplier.7=2",
            "activity.month_multiplier",
            "Jul",
            "active chats per pool chat relative to the mean month",
            1.0,
        ),
        (
            "activity.chat_popularity_lognorm_sigma=2",
            "activity.chat_popularity_lognorm_sigma",
            "",
            "sd of ln(popularity) over chats",
            1.0,
        ),
        (
            "services_usage_days.dialog.mean_active_days=40",
            "services_usage_days.dialog.mean_active_days",
            "dialog",
            "dialog days per account",
            1.0,
        ),
        (
            "services_usage_days.dialog.dispersion_k=1",
            "services_usage_days.dialog.dispersion_k",
            "dialog",
            "mean of (dialog days per account)^2",
            1.0,
        ),
        (
            "services_usage_days.mean_active_days.classifications=10",
            "services_usage_days.mean_active_days",
            "classifications",
            "usage days per adopter (at least the adoption day)",
            -1.0,
        ),
        (
            "services_usage_days.intensity_sigma=1.2",
            "services_usage_days.intensity_sigma",
            "",
            "sd of ln(intensity) over adopters",
            1.0,
        ),
        (
            "services_event_volume.mean_events_per_active_day.amocrm_call=10",
            "services_event_volume.mean_events_per_active_day",
            "amocrm_call",
            "mean events per usage day",
            -1.0,
        ),
        (
            "services_event_volume.dispersion_k.amocrm_call=1",
            "services_event_volume.dispersion_k",
            "amocrm_call",
            "1/k: mean of ((events - mean)^2 - events) / mean^2",
            1.0,
        ),
        (
            "services.cost_when_used.classifications.median=30",
            "services.cost_when_used",
            "classifications",
            "median",
            1.0,
        ),
        (
            "services.cost_when_used.amocrm_call.sigma=0.3",
            "services.cost_when_used",
            "amocrm_call",
            "sigma of ln(cost - min) (quantiles)",
            -1.0,
        ),
        (
            "services.cost_when_used.amocrm_call.max=8",
            "services.cost_when_used",
            "amocrm_call",
            "share at max",
            1.0,
        ),
        (
            "services.classifications_split.qc=0.3",
            "services.classifications_split",
            "qc",
            "share of the classifications cost",
            1.0,
        ),
        (
            "services_model.new_adopters_per_month.tasks=10",
            "services_model.new_adopters_per_month",
            "tasks",
            "adoptions per month with a quota (partial months prorated)",
            1.0,
        ),
        (
            "services_model.adoption_day_bias.alpha=0.3",
            "services_model.adoption_day_bias",
            "exp_decay",
            "share of adoptions on days 1-15 of their month",
            1.0,
        ),
        (
            "services_model.trial_days=14",
            "services_model.trial_days",
            "tasks",
            "trial length (days)",
            1.0,
        ),
        (
            "services_model.p_convert_after_trial.amocrm_call=0.5",
            "services_model.p_convert_after_trial",
            "amocrm_call",
            "converted share of trials ended in range",
            -1.0,
        ),
        (
            "services_model.retention_targets.amocrm_call.r30=0.95",
            "services_model.retention_targets",
            "amocrm_call r30",
            "share of converted still subscribed on day 30",
            1.0,
        ),
        (
            "services_model.post90_daily_churn.amocrm_call=0.02",
            "services_model.post90_daily_churn",
            "amocrm_call",
            "churn per subscriber-day after day 90",
            1.0,
        ),
        (
            "services_model.correlation.strength=0.9",
            "services_model.correlation.strength",
            "",
            "share of adoptions by users of another service",
            1.0,
        ),
        ("activity.q_clip_max=0.15", "activity.base_q", "", BASE_Q, -1.0),
        ("activity.q_clip_min=0.3", "activity.base_q", "", BASE_Q, 1.0),
        ("chat_lifecycle.enabled=false", "activity.base_q", "", BASE_Q, -1.0),
        (
            "services_usage_days.scale_to_window=true",
            DIALOG,
            "dialog",
            DIALOG_DAYS,
            1.0,
        ),
        (
            "services_usage_days.scale_to_window=true & services_usage_days.reference_window_days=800",
            DIALOG,
            "dialog",
            DIALOG_DAYS,
            -1.0,
        ),
        (
            "services_model.usage.enabled=true & services_model.usage.base_event_rate_per_day.tasks=3",
            "services_model.usage.base_event_rate_per_day",
            "tasks",
            "mean events per usage day (Poisson)",
            -1.0,
        ),
    ];
    for (i, &(set, knob, item, metric, dir_sign)) in cases.iter().enumerate() {
        // A case may set several keys, joined by " & ".
        let sets: Vec<&str> = set.split(" & ").collect();
        let c = load(dir.path(), &format!("k{i}"), &sets);
        assert_none_outside(&c, set);
        // A weights map's rows replace the plain chat-type rows once it is set.
        // A weights map's rows replace the plain chat-type rows once it is set; the usage-pricing
        // rows appear with it, and compare with the base's events per usage day.
        let (base_knob, base_metric) = match knob {
            "chats.chat_type_weights" => ("chats.chat_types", metric),
            "services_model.usage.base_event_rate_per_day" => (
                "services_event_volume.mean_events_per_active_day",
                "mean events per usage day",
            ),
            k => (k, metric),
        };
        let (_, before, _) = row(&base, base_knob, item, base_metric);
        let (target, after, _) = row(&c, knob, item, metric);
        assert!(
            (after - before) * dir_sign > 0.0,
            "{set}: {knob}/{item}/{metric} went from {before} to {after} (target {target})"
        );
    }
}

/// Bundling has a measurable effect on the num_services distribution.
#[test]
fn correlation_raises_multi_service_rows() {
    let dir = tempfile::tempdir().unwrap();
    let share = |name: &str, sets: &[&str]| -> f64 {
        let mut extra = vec![];
        for s in sets {
            extra.extend(["--set", s]);
        }
        let db = load_sample(dir.path(), name, &extra);
        scalar(
            &db,
            "SELECT avg((num_services >= 2)::INTEGER) / avg((num_services >= 1)::INTEGER) FROM joint_info",
        )
        .parse()
        .unwrap()
    };
    let off = share("c0", &[]);
    let on = share("c9", &["services_model.correlation.strength=0.9"]);
    assert!(
        on > off * 1.3,
        "multi-service share of service rows: {off} without bundling, {on} with"
    );
}

/// The exact calibration numbers of the sample config at seed 42; a change in the random streams,
/// the model or the observing SQL shows here. Regenerate with `UPDATE_GOLDEN=1` on purpose only.
#[test]
fn sample_calibration_is_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "g", &[]);
    let got = ok(&[
        "report",
        "--db",
        path_str(&db),
        "--report",
        "calibration",
        "--format",
        "csv",
    ]);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/sample_calibration.csv");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).expect("tests/golden/sample_calibration.csv");
    assert_eq!(got, want, "calibration of configs/sample.yaml changed");
}
