//! Golden error messages for bad configs and arguments: exact wording, location, exit code 2, and
//! no database file written.

mod common;

use common::*;

/// The default config with `from` replaced by `to` (which must occur).
fn variant(from: &str, to: &str) -> String {
    let text = usage_gen::config::DEFAULT_CONFIG;
    assert!(text.contains(from), "{from:?} not in the default config");
    text.replacen(from, to, 1)
}

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
            "error: invalid config: bad.yaml:67:3: services_model.post90_daily_chrn: unknown key `post90_daily_chrn`; did you mean `post90_daily_churn`? (allowed: new_adopters_per_month, adoption_day_bias, trial_days, p_convert_after_trial, retention_targets, post90_daily_churn, distribute_to_chats, correlation)\n",
        ),
        (
            variant("    tasks: 0.6", "    tasks: 1.6"),
            vec![],
            "error: invalid config: bad.yaml:60:5: services_model.p_convert_after_trial.tasks: 1.6 is out of range; allowed: a probability in [0, 1]\n",
        ),
        (
            variant("    sigma: 0.8", "    sigma: -0.8"),
            vec![],
            "error: invalid config: bad.yaml:30:5: activity.cost_dialog.sigma: -0.8 is out of range; allowed: a finite number > 0\n",
        ),
        (
            variant("  end_date: 2025-12-31", "  end_date: 2024-12-31"),
            vec![],
            "error: invalid config: bad.yaml:8:3: dataset.end_date: 2024-12-31 is out of range; allowed: a date on or after start_date 2025-01-01\n",
        ),
        (
            variant("  n_accounts: 10000", "  n_accounts: 0"),
            vec![],
            "error: invalid config: bad.yaml:11:3: accounts.n_accounts: 0 is out of range; allowed: an integer in [1, 100000000]\n",
        ),
        (
            variant(
                "  dow_multiplier: [1.10, 1.10, 1.05, 1.05, 1.00, 0.45, 0.35]",
                "  dow_multiplier: [1.10, 1.10, 1.05]",
            ),
            vec![],
            "error: invalid config: bad.yaml:26:3: activity.dow_multiplier: has 3 entries; allowed: exactly 7 entries, Monday to Sunday\n",
        ),
        (
            variant("    60: 0.70", "    60: 0.90"),
            vec![],
            "error: invalid config: bad.yaml:65:5: services_model.retention_targets.60: 0.9 is out of range; allowed: a share in (0, 0.85] (targets must not increase with the day)\n",
        ),
        (
            variant("    mode: one_chat", "    mode: one_chats"),
            vec![],
            "error: invalid config: bad.yaml:69:5: services_model.distribute_to_chats.mode: `one_chats` is not a mode; did you mean `one_chat`? allowed: one_chat, spread\n",
        ),
        (
            variant("  n_accounts: 10000", "  n_accounts: lots"),
            vec![],
            "error: invalid config: bad.yaml:11:15: accounts.n_accounts: wrong type: found string \"lots\"; expected u64\n",
        ),
        (
            variant("  base_daily_prob: 0.25", "  base_daily_prob: 0.25: 3"),
            vec![],
            "error: invalid config: bad.yaml:25:24: activity: YAML syntax error: mapping values are not allowed in this context (check the indentation and the `key: value` layout)\n",
        ),
        (
            DEFAULT_NO_USAGE.clone(),
            vec![],
            "error: invalid config: bad.yaml:5:1: missing key `services_usage_days` (every key of configs/default.yaml is required)\n",
        ),
        (
            variant("  start_date: 2025-01-01", "  start_date: 2025-13-01"),
            vec![],
            "error: invalid config: bad.yaml:7:3: dataset.start_date: `2025-13-01` is not a date; allowed: an ISO date like 2025-01-01\n",
        ),
        (
            variant("0.95, 1.00, 1.05", "0.95, -1.00, 1.05"),
            vec![],
            "error: invalid config: bad.yaml:27:3: activity.month_multiplier[1]: -1 is out of range; allowed: a finite multiplier >= 0\n",
        ),
        (
            variant("    whatsapp: 0.5", "    whatsapp: 0"),
            vec![],
            "error: invalid config: bad.yaml:20:5: chats.chat_types.whatsapp: 0 is out of range; allowed: a finite number > 0\n",
        ),
        (
            variant("    30: 0.85", "    10: 0.85"),
            vec![],
            "error: invalid config: bad.yaml:64:5: services_model.retention_targets.10: day 10 is within a trial; allowed: days after the longest trial (14 days)\n",
        ),
        (
            variant("  post90_daily_churn: 0.004", "  post90_daily_churn: 1.0"),
            vec![],
            "error: invalid config: bad.yaml:67:3: services_model.post90_daily_churn: 1 is out of range; allowed: a daily probability in [0, 1)\n",
        ),
        (
            variant("    strength: 0.0", "    strength: 2"),
            vec![],
            "error: invalid config: bad.yaml:71:5: services_model.correlation.strength: 2 is out of range; allowed: a probability in [0, 1]\n",
        ),
        (
            variant("    tasks: 1.5", "    tasks: 0"),
            vec![],
            "error: invalid config: bad.yaml:85:5: services_event_volume.dispersion_k.tasks: 0 is out of range; allowed: a finite number > 0\n",
        ),
        (
            variant(
                "    amocrm_call: 3\n  dispersion_k",
                "    amocrm_call: 0.5\n  dispersion_k",
            ),
            vec![],
            "error: invalid config: bad.yaml:83:5: services_event_volume.mean_events_per_active_day.amocrm_call: 0.5 is out of range; allowed: a number in [1, 1000000] (a usage day has at least one event)\n",
        ),
        (
            variant("  seed: 42", "  seed: -1"),
            vec![],
            "error: invalid config: bad.yaml:6:9: dataset.seed: wrong type: found integer `-1`; expected u64\n",
        ),
        (
            variant("services_model:", "servics_model:"),
            vec![],
            "error: invalid config: bad.yaml:48:1: servics_model: unknown key `servics_model`; did you mean `services_model`? (allowed: dataset, accounts, chats, activity, services, services_model, services_usage_days, services_event_volume, output)\n",
        ),
        (
            usage_gen::config::DEFAULT_CONFIG.to_string(),
            vec!["--set", "services_model.trial_days.tasks=0"],
            "error: invalid config: --set services_model.trial_days.tasks=0: services_model.trial_days.tasks: 0 is out of range; allowed: an integer number of days in [1, 365]\n",
        ),
        (
            usage_gen::config::DEFAULT_CONFIG.to_string(),
            vec!["--set", "accounts.n_acounts=5"],
            "error: invalid config: --set accounts.n_acounts=5: accounts.n_acounts: unknown key `n_acounts` under `accounts`; did you mean `n_accounts`? (allowed: n_accounts, before_start_share, activity_shape)\n",
        ),
        (
            usage_gen::config::DEFAULT_CONFIG.to_string(),
            vec!["--set", "services_model.trial_days.tasks=-3"],
            "error: invalid config: --set services_model.trial_days.tasks=-3: services_model.trial_days.tasks: wrong value: found integer `-3`; expected u32\n",
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

#[test]
fn several_problems_are_reported_together() {
    let text =
        variant("    tasks: 0.6", "    tasks: 1.6").replacen("  before_start_share: 0.5", "  before_start_share: 2", 1);
    let err = load_err(&text, &[]);
    assert!(err.starts_with("error: invalid config (2 problems):\n"), "{err}");
    assert!(err.contains("accounts.before_start_share: 2 is out of range"), "{err}");
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
    assert!(v.starts_with("ok: ") && v.contains("500 accounts"), "{v}");
    // What `config show` prints is itself a valid config that gives the same effective config.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("shown.yaml");
    std::fs::write(&p, &shown).unwrap();
    assert_eq!(ok(&["config", "show", "--config", path_str(&p)]), shown);
}
