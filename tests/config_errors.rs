//! Golden error messages for bad configs and arguments: exact wording, location, exit code 2, and
//! no database file written.

mod common;

use common::*;

/// Loads `text` as bad.yaml and returns stderr, asserting exit 2 and no database.
fn load_err(text: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.yaml");
    std::fs::write(&cfg, text).unwrap();
    let db = dir.path().join("x.duckdb");
    let mut args = vec!["load", "--db", path_str(&db), "--config", path_str(&cfg)];
    args.extend_from_slice(extra);
    let (code, _, err) = run(&args);
    assert_eq!(code, 2, "{err}");
    assert!(!db.exists(), "a database was written for a bad config");
    err.replace(path_str(&cfg), "bad.yaml")
}

#[test]
fn golden_messages() {
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        (
            variant("  post90_daily_churn:", "  post90_daily_chrn:"),
            vec![],
            "error: invalid config: bad.yaml:139:3: services_model.post90_daily_chrn: unknown key `post90_daily_chrn`; did you mean `post90_daily_churn`? (allowed: launch_dates, trial_days, p_convert_after_trial, new_adopters_per_month, new_adopters_per_1000_accounts, adoption_day_bias, retention_targets, post90_daily_churn, usage, distribute_to_chats, correlation)\n",
        ),
        (
            variant("    tasks: 0.8", "    tasks: 1.8"),
            vec![],
            "error: invalid config: bad.yaml:125:5: services_model.p_convert_after_trial.tasks: 1.8 is out of range; allowed: a probability in [0, 1]\n",
        ),
        (
            variant("sigma: 0.70}", "sigma: -0.70}"),
            vec![],
            "error: invalid config: bad.yaml:110:48: services.cost_when_used.tasks.sigma: -0.7 is out of range; allowed: a number in [0, 10]\n",
        ),
        (
            variant("  end_date: \"2025-12-31\"", "  end_date: \"2024-12-31\""),
            vec![],
            "error: invalid config: bad.yaml:10:3: dataset.end_date: 2024-12-31 is out of range; allowed: a date on or after start_date 2025-01-01\n",
        ),
        (
            variant("  n_accounts: 3000 ", "  n_accounts: 0 "),
            vec![],
            "error: invalid config: bad.yaml:14:3: accounts.n_accounts: 0 is out of range; allowed: a whole number in [1, 10000000]\n",
        ),
        (
            variant("  n_accounts: 3000 ", "  n_accounts: lots "),
            vec![],
            "error: invalid config: bad.yaml:14:3: accounts.n_accounts: wrong type: found string \"lots\"; expected a whole number >= 0\n",
        ),
        (
            variant("    Sat: 0.70", "    Sat: -0.70"),
            vec![],
            "error: invalid config: bad.yaml:61:5: activity.dow_multiplier.Sat: -0.7 is out of range; allowed: a number in [0, 1000000]\n",
        ),
        (
            variant("    12: 0.95", "    13: 0.95"),
            vec![],
            "error: invalid config (2 problems):\n  bad.yaml:75:5: activity.month_multiplier.13: unknown month `13`; allowed: 1 … 12\n  bad.yaml:63:3: activity.month_multiplier: missing month(s) 12; every month 1 … 12 needs a multiplier\n",
        ),
        (
            variant("  base_q: 0.20 ", "  base_q: 0.20: 3 "),
            vec![],
            "error: invalid config: bad.yaml:52:15: YAML syntax error: mapping values are not allowed in this context (check the indentation and the `key: value` layout)\n",
        ),
        (
            variant(
                "tasks:            { r30: 0.85, r60: 0.60, r90: 0.45 }",
                "tasks:            { r30: 0.85, r60: 0.90, r90: 0.45 }",
            ),
            vec![],
            "error: invalid config: bad.yaml:136:36: services_model.retention_targets.tasks.r60: 0.9 is out of range; allowed: a share in [0, r30 = 0.85] (shares cannot grow with time)\n",
        ),
        (
            variant("    mode: \"one_chat\"", "    mode: \"one_chats\""),
            vec![],
            "error: invalid config: bad.yaml:162:5: services_model.distribute_to_chats.mode: `one_chats` is not allowed; did you mean `one_chat`? allowed: one_chat, spread\n",
        ),
        (
            variant("  seed: 42", "  seed: -1"),
            vec![],
            "error: invalid config: bad.yaml:11:3: dataset.seed: wrong value: found integer `-1`; expected a whole number >= 0\n",
        ),
        (
            variant("  seed: 42", "  seed: 18446744073709551616"),
            vec![],
            "error: invalid config: bad.yaml:11:9: dataset.seed: 18446744073709551616 is out of range; allowed: a whole number of at most 18446744073709551615\n",
        ),
        (
            variant("services_model:", "servics_model:"),
            vec![],
            "error: invalid config: bad.yaml:117:1: servics_model: unknown key `servics_model`; did you mean `services_model`? (allowed: dataset, accounts, chats, chat_lifecycle, activity, services_usage_days, services_event_volume, services, services_model, output, anomalies)\n",
        ),
        (
            DEFAULT_NO_USAGE.clone(),
            vec![],
            "error: invalid config: bad.yaml: missing key `services_usage_days` (see configs/default.yaml for every key and its meaning)\n",
        ),
        (
            variant("  trial_days: 7 ", "  trial_days: 7.5 "),
            vec![],
            "error: invalid config: bad.yaml:123:3: services_model.trial_days: wrong type: found number `7.5`; expected a whole number of days, or a map tasks / classifications / amocrm_call → days\n",
        ),
        (
            variant("    - viber", "    - ''"),
            vec![],
            "error: invalid config: bad.yaml:33:7: chats.chat_types[6]: is an empty name; allowed: a non-empty chat type such as whatsapp\n",
        ),
        (
            variant("  start_date: \"2025-01-01\"", "  start_date: \"2025-13-01\""),
            vec![],
            "error: invalid config: bad.yaml:9:3: dataset.start_date: `2025-13-01` is not a date; allowed: an ISO date like 2025-01-01\n",
        ),
        (
            variant("  chat_id_digits: 11 ", "  chat_id_digits: 5 "),
            vec![],
            "error: invalid config: bad.yaml:24:3: chats.chat_id_digits: 5 digits leave room for 33 chats per account, but this config may create up to about 288; allowed: more digits (or fewer accounts, arrivals or days)\n",
        ),
        (
            variant("    dist: \"geometric\"", "    dist: \"geometrc\""),
            vec![],
            "error: invalid config: bad.yaml:46:5: chat_lifecycle.lifetime.dist: `geometrc` is not allowed; did you mean `geometric`? allowed: geometric\n",
        ),
        (
            usage_gen::config::DEFAULT_CONFIG.to_string(),
            vec!["--set", "services_model.trial_days=30"],
            "error: invalid config: --set services_model.trial_days=30: services_model.trial_days: 30 is out of range; allowed: a whole number of days in [0, 29] (retention is measured from day 30)\n",
        ),
        (
            usage_gen::config::DEFAULT_CONFIG.to_string(),
            vec!["--set", "accounts.n_acounts=5"],
            "error: invalid config: --set accounts.n_acounts=5: accounts.n_acounts: unknown key `n_acounts` under `accounts`; did you mean `n_accounts`? (allowed: n_accounts, account_id_min, account_id_max, before_start_share, activity_shape)\n",
        ),
        (
            usage_gen::config::DEFAULT_CONFIG.to_string(),
            vec!["--set", "accounts.n_accounts"],
            "error: invalid config: --set accounts.n_accounts: expected key.path=value, e.g. accounts.n_accounts=500\n",
        ),
    ];
    let mut failures = Vec::new();
    for (i, (text, extra, want)) in cases.iter().enumerate() {
        let got = load_err(text, extra);
        if got != *want {
            failures.push(format!("case {i}:\n  want: {want}  got:  {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

static DEFAULT_NO_USAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let text = usage_gen::config::DEFAULT_CONFIG;
    let start = text.find("services_usage_days:").unwrap();
    let end = text.find("services_event_volume:").unwrap();
    format!("{}{}", &text[..start], &text[end..])
});

/// Problems of every kind — syntax aside — come together: unknown keys, wrong types, missing keys
/// and out-of-range values, from the file and from --set.
#[test]
fn every_problem_is_reported_together() {
    let text = variant("    tasks: 0.8", "    tasks: 1.8")
        .replacen("  n_accounts: 3000 ", "  n_accounts: 3000\n  n_acounts: 5\n", 1)
        .replacen("  chat_id_digits: 11 ", "  chat_id_digits: eleven ", 1)
        .replacen("  reactivation_prob: 0.002", "", 1);
    let err = load_err(
        &text,
        &[
            "--set",
            "activity.base_q=-1",
            "--set",
            "accounts.activity_shape=2",
            "--set",
            "nope.x=1",
        ],
    );
    assert!(err.starts_with("error: invalid config (6 problems):\n"), "{err}");
    for part in [
        "--set nope.x=1: nope.x: unknown key `nope`",
        "accounts.n_acounts: unknown key `n_acounts`; did you mean `n_accounts`?",
        "chats.chat_id_digits: wrong type: found string \"eleven\"",
        "chat_lifecycle: missing key `reactivation_prob`",
        "--set activity.base_q=-1: activity.base_q: -1 is out of range",
        "services_model.p_convert_after_trial.tasks: 1.8 is out of range",
    ] {
        assert!(err.contains(part), "{part} missing from {err}");
    }
    // No Rust type names anywhere.
    for rust in ["u64", "u32", "f64", "struct", "Raw", "u128"] {
        assert!(!err.contains(rust), "{rust} in {err}");
    }
}

#[test]
fn bad_arguments_exit_2() {
    let (code, _, err) = run(&["load", "--db", "x.duckdb", "--threads", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--threads"), "{err}");
    let (code, _, err) = run(&["load", "--db", "x.duckdb", "--config", "/no/such.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such.yaml: cannot read config file"), "{err}");
    let (code, _, err) = run(&[
        "load",
        "--db",
        "/no/such/dir/x.duckdb",
        "--set",
        "accounts.n_accounts=1",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("directory /no/such/dir does not exist"), "{err}");
}

/// Bad arguments are refused before the database file is created.
#[test]
fn bad_arguments_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.duckdb");
    let db = path_str(&db);
    for (args, says) in [
        (vec!["--threads", "0"], "--threads"),
        (
            vec!["--memory-limit", "lots"],
            "`lots` is not a memory size; allowed: a number and a unit",
        ),
        (vec!["--memory-limit", "300XB"], "is not a memory size"),
        (
            vec!["--set", "accounts.n_accounts=0"],
            "accounts.n_accounts: 0 is out of range",
        ),
        (vec!["--set", "nope=1"], "unknown key"),
        (vec!["--storage-version", "v9.9.9"], "storage"),
    ] {
        let mut full = vec!["load", "--db", db];
        full.extend(&args);
        let (code, _, err) = run(&full);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} left {left:?}");
    }
}

#[test]
fn config_show_and_validate() {
    let shown = ok(&["config", "show", "--set", "accounts.n_accounts=12", "--seed", "9"]);
    assert!(shown.contains("n_accounts: 12") && shown.contains("seed: 9"), "{shown}");
    let v = ok(&["config", "validate", "--config", SAMPLE]);
    assert!(v.starts_with("ok: ") && v.contains("300 accounts"), "{v}");
    // What `config show` prints is itself a valid config that gives the same effective config.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("shown.yaml");
    std::fs::write(&p, &shown).unwrap();
    assert_eq!(ok(&["config", "show", "--config", path_str(&p)]), shown);
}
