//! `gen load` end to end: the database it creates, migrations, the joint view, provenance,
//! refusing to clobber a dataset, and `--replace`.

mod common;

use common::*;

#[test]
fn load_creates_tables_view_and_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("u.duckdb");
    let out = ok(&["load", "--db", path_str(&db), "--config", SAMPLE]);
    assert!(out.contains("joint_info (view)"), "{out}");
    assert!(out.contains("rows/s"), "{out}");
    assert!(out.contains("checks: 19/19 passed"), "{out}");

    let cols = ok(&[
        "sql",
        "--db",
        path_str(&db),
        "--format",
        "csv",
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'joint_info' ORDER BY ordinal_position",
    ]);
    let cols: Vec<&str> = cols.lines().skip(1).collect();
    assert_eq!(cols, JOINT_COLUMNS);

    let joint: u64 = scalar(&db, "SELECT count(*) FROM joint_info").parse().unwrap();
    let chat_days: u64 = scalar(&db, "SELECT rows_chat_days FROM dataset").parse().unwrap();
    assert!(joint > 200_000, "{joint}");
    assert_eq!(joint, chat_days);
    assert_eq!(
        scalar(
            &db,
            "SELECT n_accounts || ' ' || start_date || ' ' || end_date FROM dataset"
        ),
        "300 2025-01-01 2025-12-31"
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM accounts"), "300");
    assert_eq!(scalar(&db, "SELECT length(config_sha256) FROM dataset"), "64");
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM check_results WHERE passed"),
        scalar(&db, "SELECT count(*) FROM check_results")
    );
    // Every service has users, and their events reach the joint view.
    assert_eq!(scalar(&db, "SELECT count(DISTINCT service) FROM service_days"), "4");
    assert_eq!(
        scalar(
            &db,
            "SELECT sum(n_tasks + n_classifications + n_amocrm_calls) = (SELECT sum(n_events) FROM service_days WHERE service <> 'dialog') FROM joint_info"
        ),
        "true"
    );
    // Account ids from the configured range, 11-digit chat ids.
    assert_eq!(
        scalar(
            &db,
            "SELECT min(account_id) >= 10000000 AND max(account_id) <= 28000000 AND min(length(chat_id)) = 11 AND max(length(chat_id)) = 11 FROM joint_info"
        ),
        "true"
    );
}

#[test]
fn migrations_are_recorded_and_not_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "m", &[]);
    let history = scalar(
        &db,
        "SELECT string_agg(version || ':' || name, ' ' ORDER BY version) FROM refinery_schema_history",
    );
    assert_eq!(
        history,
        "1:tables 2:joint_info 3:calibration 4:original_model 5:anomalies 6:score_results 7:anomaly_baseline"
    );
    let out = ok(&reload_sample(&db, &[]));
    assert!(!out.contains("migrations applied"), "{out}");
    assert_eq!(scalar(&db, "SELECT count(*) FROM refinery_schema_history"), "7");
}

#[test]
fn existing_dataset_needs_replace() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "r", &[]);
    let before = scalar(&db, "SELECT sha256_chat_days FROM dataset");
    let (code, _, err) = run(&["load", "--db", path_str(&db), "--config", SAMPLE, "--seed", "7"]);
    assert_eq!(code, 2);
    assert!(err.contains("already holds a dataset; pass --replace"), "{err}");
    assert!(!err.contains("generating"), "refused before generating: {err}");
    assert_eq!(scalar(&db, "SELECT sha256_chat_days FROM dataset"), before);

    ok(&reload_sample(&db, &["--seed", "7"]));
    assert_eq!(scalar(&db, "SELECT count(*) FROM dataset"), "1");
    assert_eq!(scalar(&db, "SELECT seed FROM dataset"), "7");
    assert_ne!(scalar(&db, "SELECT sha256_chat_days FROM dataset"), before);
}

#[test]
fn set_overrides_reach_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(
        dir.path(),
        "s",
        &[
            "--set",
            "accounts.n_accounts=40",
            "--set",
            "dataset.end_date=2025-03-31",
            "--set",
            "accounts.activity_shape=2",
        ],
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM accounts"), "40");
    assert_eq!(
        scalar(&db, "SELECT max(date) <= DATE '2025-03-31' FROM joint_info"),
        "true"
    );
    assert_eq!(
        scalar(&db, "SELECT value FROM config_values WHERE key = 'accounts.n_accounts'"),
        "40"
    );
    // An extension key the file leaves out can be set, and reaches the data.
    assert_eq!(
        scalar(&db, "SELECT count(DISTINCT activity_level) > 30 FROM accounts"),
        "true"
    );
}

#[test]
fn spread_mode_and_correlation_load_and_pass_checks() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(
        dir.path(),
        "sp",
        &[
            "--set",
            "services_model.distribute_to_chats.mode=spread",
            "--set",
            "services_model.correlation.strength=0.8",
            "--set",
            "services.classifications_split={qc: 0.5, check_list: 0.5}",
        ],
    );
    assert_eq!(scalar(&db, "SELECT distribute_mode FROM dataset"), "spread");
    // Spreading puts one account-day's paid usage on several chats somewhere in the data.
    let multi: u64 = scalar(
        &db,
        "SELECT count(*) FROM (SELECT account_id, date FROM service_days WHERE service <> 'dialog' GROUP BY ALL HAVING count(DISTINCT chat_id) > 1)",
    )
    .parse()
    .unwrap();
    assert!(multi > 0);
    // The classifications cost is split into its components, which still add up.
    assert_eq!(
        scalar(
            &db,
            "SELECT sum(cost_qc) > 0 AND sum(cost_check_list) > 0 AND bool_and(abs(cost_classification + cost_qc + cost_check_list - total_cost_classifications) < 1e-9) FROM joint_info"
        ),
        "true"
    );
}

#[test]
fn usage_pricing_and_window_scaling_load_and_pass_checks() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(
        dir.path(),
        "up",
        &[
            "--set",
            "services_model.usage.enabled=true",
            "--set",
            "services_usage_days.scale_to_window=true",
            "--set",
            "services_model.adoption_day_bias.type=polynomial",
            "--set",
            "services_model.trial_days={tasks: 0, classifications: 14, amocrm_call: 3}",
        ],
    );
    // Dialog days now have events (Poisson base rate), and costs follow the pricing bounds.
    assert_eq!(
        scalar(
            &db,
            "SELECT sum(n_events) > 0 FROM service_days WHERE service = 'dialog'"
        ),
        "true"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT bool_and(cost BETWEEN 2.0 AND 42.0) FROM service_days WHERE service = 'dialog'"
        ),
        "true"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT string_agg(DISTINCT (trial_ends_on - adopted_on)::VARCHAR, ' ' ORDER BY (trial_ends_on - adopted_on)::VARCHAR) FROM subscriptions"
        ),
        "0 14 3"
    );
}

#[test]
fn the_scale_config_keeps_the_service_side_in_proportion() {
    // configs/scale.yaml states adoptions per 1,000 accounts: at the default's 3,000 accounts it
    // is the default's data, hash for hash; at a tenth of the accounts it makes a tenth of the
    // subscriptions, where the default's absolute counts make far more per account (as many as
    // before, until the few accounts have all adopted).
    let dir = tempfile::tempdir().unwrap();
    let scale = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/scale.yaml");
    let load = |name: &str, args: &[&str]| {
        let db = dir.path().join(format!("{name}.duckdb"));
        let mut all = vec!["load", "--db", path_str(&db)];
        all.extend(args);
        ok(&all);
        db
    };
    let hashes = "SELECT concat_ws(',', sha256_chat_days, sha256_service_days, sha256_subscriptions) FROM dataset";
    let (default, scaled) = (load("default", &[]), load("scaled", &["--config", scale]));
    assert_eq!(scalar(&default, hashes), scalar(&scaled, hashes));
    let subscriptions = |db: &std::path::Path| scalar(db, "SELECT count(*) FROM subscriptions").parse::<f64>().unwrap();
    let small_scaled = load("small-scaled", &["--config", scale, "--set", "accounts.n_accounts=300"]);
    let small_default = load("small-default", &["--set", "accounts.n_accounts=300"]);
    let ratio = subscriptions(&small_scaled) / subscriptions(&scaled);
    assert!(
        (0.08..0.12).contains(&ratio),
        "a tenth of the accounts, {ratio} of the subscriptions"
    );
    let absolute = subscriptions(&small_default) / subscriptions(&default);
    assert!(
        absolute > 1.5 * ratio,
        "absolute counts: {absolute} of the subscriptions"
    );
    // The effective config shows the counts the rates gave.
    let shown = scalar(
        &small_scaled,
        "SELECT value FROM config_values WHERE key = 'services_model.new_adopters_per_month.tasks'",
    );
    assert_eq!(shown, "4");
}
