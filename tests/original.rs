//! Fidelity to the original project: its config files load unchanged, `config show` keeps its key
//! layout, the joint CSV has its 21 columns in order and passes a pandas reading that does what its
//! analytics pipeline does (schema check, type coercion) plus every row's arithmetic, and the data
//! behaves like the original generator's at its full config.

mod common;

use common::*;

#[test]
fn original_fixtures_match_the_shared_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in [
        "config_data_generator.yaml",
        "sample_config.yaml",
        "joint_columns.csv",
        "anomaly_scenarios.yaml",
        "labels.jsonl",
    ] {
        let copy = std::fs::read(root.join("tests/fixtures/original").join(name)).unwrap();
        assert_eq!(
            std::fs::read(original(name)).unwrap(),
            copy,
            "{name} differs from its copy"
        );
    }
}

#[test]
fn both_original_configs_load_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join("sample.duckdb");
    let out = ok(&[
        "load",
        "--db",
        path_str(&sample),
        "--config",
        path_str(&original("sample_config.yaml")),
    ]);
    assert!(out.contains("checks: 19/19 passed"), "{out}");
    assert_eq!(
        scalar(
            &sample,
            "SELECT count(*) || ' ' || min(date) || ' ' || max(date) FROM (SELECT DISTINCT account_id, date FROM joint_info)"
        ),
        "222 2025-01-01 2025-03-15",
        "3 accounts, every day of 2025-01-01 … 2025-03-15"
    );
    let full = dir.path().join("full.duckdb");
    ok(&[
        "load",
        "--db",
        path_str(&full),
        "--config",
        path_str(&original("config_data_generator.yaml")),
    ]);
    ok(&["report", "--db", path_str(&full), "--report", "calibration", "--strict"]);
    // The full config is the built-in default's values: the same data.
    let default = dir.path().join("default.duckdb");
    ok(&["load", "--db", path_str(&default)]);
    let hashes = "SELECT sha256_accounts || sha256_chats || sha256_chat_spells || sha256_account_days || sha256_subscriptions || sha256_chat_days || sha256_service_days FROM dataset";
    assert_eq!(scalar(&full, hashes), scalar(&default, hashes));
}

#[test]
fn config_show_keeps_the_original_layout() {
    let shown = ok(&[
        "config",
        "show",
        "--config",
        path_str(&original("config_data_generator.yaml")),
    ]);
    let sections: Vec<&str> = shown
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .map(|l| l.trim_end_matches(':'))
        .collect();
    let text = std::fs::read_to_string(original("config_data_generator.yaml")).unwrap();
    let original_sections: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && l.ends_with(':'))
        .map(|l| l.trim_end_matches(':'))
        .collect();
    assert_eq!(sections, original_sections);
    for key in [
        "    Mon: 1.0",
        "    1: 1.0",
        "    12: 0.95",
        "  trial_days: 7",
        "    r30: 0.85",
        "  account_id_min: 10000000",
    ] {
        assert!(shown.contains(key), "{key} missing from\n{shown}");
    }
    // What `config show` prints loads again and gives the same effective config.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("shown.yaml");
    std::fs::write(&p, &shown).unwrap();
    assert_eq!(ok(&["config", "show", "--config", path_str(&p)]), shown);
}

#[test]
fn the_csv_export_reads_in_pandas_like_the_original_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(
        dir.path(),
        "p",
        &["--set", "services.classifications_split={qc: 0.15, check_list: 0.05}"],
    );
    let csv = dir.path().join("joint.csv");
    ok(&["export", "--db", path_str(&db), "--out", path_str(&csv)]);
    let header = std::fs::read_to_string(&csv).unwrap();
    let header = header.lines().next().unwrap();
    assert_eq!(
        header,
        std::fs::read_to_string(original("joint_columns.csv")).unwrap().trim()
    );
    let joint_columns = original("joint_columns.csv");
    python_ok("check_joint_csv.py", &[path_str(&csv), path_str(&joint_columns), "11"]);
}

/// At the full config the data behaves like the original generator's, as measured on its output
/// (../shared/original/README.md): every account active every day but the few whose pool empties,
/// ~88 distinct chats per account, ~2.4 rows per account-day, the weekday profile, and paid
/// services carrying most of the cost.
#[test]
fn full_config_behaves_like_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    ok(&["load", "--db", path_str(&db)]);
    let num = |sql: &str| -> f64 { scalar(&db, sql).parse().unwrap() };
    let full_year = num(
        "SELECT count(*) FROM (SELECT account_id FROM chat_days GROUP BY account_id HAVING count(DISTINCT date) = 365)",
    );
    assert!(full_year >= 2970.0, "{full_year} of 3000 accounts active every day");
    let chats = num("SELECT count(DISTINCT chat_id) / 3000 FROM chat_days");
    assert!((84.0..92.0).contains(&chats), "{chats} chats per account");
    let rows = num("SELECT count(*) / count(DISTINCT (account_id, date)) FROM chat_days");
    assert!((2.3..2.5).contains(&rows), "{rows} rows per account-day");
    let paid = num("SELECT 1 - sum(cost_dialog) / sum(total_cost) FROM joint_info");
    assert!(paid > 0.9, "paid share of cost {paid}");
    let adopters = scalar(
        &db,
        "SELECT string_agg(n::VARCHAR, ' ' ORDER BY service DESC) FROM (SELECT service, count(*) n FROM subscriptions GROUP BY ALL)",
    );
    assert_eq!(adopters, "440 1920 2200", "tasks, classifications, amocrm_call");
    // Rows per day of each weekday, relative to the mean (2025 has 53 Wednesdays).
    let profile = scalar(
        &db,
        "SELECT string_agg(r::VARCHAR, ' ' ORDER BY d) FROM (SELECT isodow(date) d, round((count(*) / count(DISTINCT date)) / (sum(count(*) / count(DISTINCT date)) OVER () / 7), 2) r FROM chat_days GROUP BY 1)",
    );
    let values: Vec<f64> = profile.split(' ').map(|v| v.parse().unwrap()).collect();
    let original = [1.04, 1.09, 1.13, 1.09, 1.05, 0.84, 0.76];
    for (got, want) in values.iter().zip(original) {
        assert!(
            (got - want).abs() < 0.03,
            "weekday profile {values:?} vs the original's {original:?}"
        );
    }
}
