//! Anomaly injection, end to end on the real binary: an absent or empty block changes nothing; with
//! anomalies every unlabelled row is the clean run's and the clean views are the clean run; every
//! kind is injected, labelled and passes the checks; exports agree at any thread count; an
//! independent reader (the DuckDB Python client) finds every label in joint_info; invalid specs
//! are located exit-2 errors that write nothing; the original's scenario file gives its
//! labels.jsonl.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Every kind on the sample config, with a training period, a known event and random starts.
const EVERY_KIND: &str = r#"
anomalies:
  clean_until: 2025-02-28
  overlap: forbid
  injections:
    - {name: spike, kind: cost_spike, service: tasks, accounts: 3, start: [2025-03-01, 2025-11-30], duration_days: 3, magnitude: 8}
    - {name: shift, kind: level_shift, accounts: 3, start: [2025-05-01, 2025-06-01], magnitude: 2}
    - {name: creep, kind: drift, service: amocrm_call, accounts: 3, start: 2025-07-01, duration_days: 30, magnitude: 4}
    - {name: loop, kind: runaway, service: classifications, accounts: 2, start: [2025-03-01, 2025-11-30], duration_days: 7, magnitude: 20}
    - {name: reprice, kind: price_change, service: amocrm_call, share: 0.5, start: 2025-09-01, magnitude: 1.5}
    - {name: down, kind: outage, accounts: 3, start: [2025-03-01, 2025-12-20], duration_days: 7}
    - {name: dup, kind: duplicate_billing, service: classifications, accounts: 3, start: [2025-03-01, 2025-12-20], duration_days: 5}
    - {name: chatty, kind: dialog_spike, accounts: 3, start: [2025-03-01, 2025-12-20], duration_days: 4, magnitude: 15}
    - {name: weekend, kind: pattern_break, service: amocrm_call, accounts: 3, start: [2025-03-01, 2025-12-10], duration_days: 14}
    - {name: vol, kind: volume_spike, service: tasks, accounts: 2, start: [2025-03-01, 2025-12-20], duration_days: 3, magnitude: 5, min_base_count: 2}
    - {name: cap, kind: cap_spike, accounts: 2, start: [2025-03-01, 2025-12-20], duration_days: 2, exceed_by: 5, dialog_cost_multiplier: 0.5}
  known_events:
    - {name: migration, kind: level_shift, service: dialog, accounts: 2, start: 2025-04-01, duration_days: 10, magnitude: 1.3}
"#;

/// Writes `body` after an `extends:` of the sample config into `dir/name`.
fn layer(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("extends: {SAMPLE}\n{body}")).unwrap();
    p
}

fn load(dir: &Path, name: &str, config: &Path, extra: &[&str]) -> PathBuf {
    let db = dir.join(format!("{name}.duckdb"));
    let mut args = vec!["load", "--db", path_str(&db), "--config", path_str(config)];
    args.extend_from_slice(extra);
    ok(&args);
    db
}

fn export(db: &Path, table: &str) -> String {
    let out = db.with_extension(format!("{table}.csv"));
    String::from_utf8(export_csv(db, &out, &["--table", table, "--force"])).unwrap()
}

fn lines(csv: &str) -> BTreeSet<String> {
    csv.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn an_absent_or_empty_block_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plain = load_sample(dir.path(), "plain", &[]);
    for (i, body) in [
        "anomalies:\n",
        "anomalies: {}\n",
        "anomalies:\n  injections: []\n  known_events: []\n",
    ]
    .iter()
    .enumerate()
    {
        let cfg = layer(dir.path(), &format!("empty{i}.yaml"), body);
        let db = load(dir.path(), &format!("empty{i}"), &cfg, &[]);
        assert_eq!(fingerprint(&db), fingerprint(&plain), "{body}");
        let sha = "SELECT config_sha256 FROM dataset";
        assert_eq!(scalar(&db, sha), scalar(&plain, sha), "{body}");
        for table in ["joint_info", "chats", "service_days", "chat_spells"] {
            assert_eq!(export(&db, table), export(&plain, table), "{body}: {table}");
        }
        assert_eq!(scalar(&db, "SELECT count(*) FROM anomaly_labels"), "0");
        // Without anomalies the labelled and clean views are the plain ones.
        assert_eq!(
            scalar(&db, "SELECT count(*) FROM joint_info_labeled WHERE is_anomaly = 1"),
            "0"
        );
        assert_eq!(export(&db, "joint_info_clean"), export(&plain, "joint_info"));
    }
}

#[test]
fn every_kind_is_injected_labelled_and_unlabelled_rows_are_the_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let plain = load_sample(dir.path(), "plain", &[]);
    let cfg = layer(dir.path(), "kinds.yaml", EVERY_KIND);
    let one = load(dir.path(), "one", &cfg, &["--threads", "1"]);
    let three = load(dir.path(), "three", &cfg, &["--threads", "3"]);

    // Every kind is in the manifest and the labels; every target changed something.
    let kinds = "SELECT count(DISTINCT kind) FROM anomaly_injections";
    assert_eq!(scalar(&one, kinds), "11");
    assert_eq!(scalar(&one, "SELECT count(DISTINCT kind) FROM anomaly_labels"), "11");
    assert_eq!(
        scalar(
            &one,
            "SELECT count(*) FROM anomaly_injections WHERE units = 0 AND injection <> 'reprice'"
        ),
        "0"
    );
    assert_eq!(scalar(&one, "SELECT count(*) FROM known_events"), "2");
    assert_eq!(
        scalar(
            &one,
            "SELECT count(*) FROM anomaly_labels WHERE date <= DATE '2025-02-28'"
        ),
        "0"
    );
    // The anomaly checks ran on real labels and passed (the load exits 0 only then).
    assert_eq!(
        scalar(
            &one,
            "SELECT count(*) FROM check_results WHERE name LIKE 'anomaly_%' AND passed"
        ),
        "4"
    );

    // The same bytes at 1 and 3 threads.
    for table in [
        "joint_info_labeled",
        "anomaly_injections",
        "anomaly_labels",
        "chats",
        "chat_days",
    ] {
        assert_eq!(export(&one, table), export(&three, table), "{table}");
    }
    assert_eq!(fingerprint(&one), fingerprint(&three));

    // The clean views are the run without the block.
    for (clean, table) in [
        ("joint_info_clean", "joint_info"),
        ("service_days_clean", "service_days"),
        ("chat_days_clean", "chat_days"),
        ("chats_clean", "chats"),
        ("chat_spells_clean", "chat_spells"),
    ] {
        assert_eq!(export(&one, clean), export(&plain, table), "{clean}");
    }
    // And the stored tables differ from it only in labelled rows.
    let labels = export(&one, "anomaly_labels");
    let keys: BTreeSet<String> = labels
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            // injection,kind,is_anomaly,unit,account_id,date,service,chat_id,...
            format!("{},{},{},{},{}", f[3], f[4], f[5], f[6], f[7])
        })
        .collect();
    let (now, before) = (
        lines(&export(&one, "service_days")),
        lines(&export(&plain, "service_days")),
    );
    for row in now.symmetric_difference(&before) {
        // account_id,service,date,chat_id,n_events,cost
        let f: Vec<&str> = row.split(',').collect();
        let key = format!("service_day,{},{},{},{}", f[0], f[2], f[1], f[3]);
        assert!(keys.contains(&key), "unlabelled change: {row}");
    }
    let (now, before) = (lines(&export(&one, "chat_days")), lines(&export(&plain, "chat_days")));
    assert!(before.is_subset(&now));
    for row in now.difference(&before) {
        // chat_id,account_id,date
        let f: Vec<&str> = row.split(',').collect();
        let key = format!("chat_day,{},{},,{}", f[1], f[2], f[0]);
        assert!(keys.contains(&key), "unlabelled chat-day: {row}");
    }

    // Each injection's calibration row is within tolerance.
    let report = ok(&[
        "report",
        "--db",
        path_str(&one),
        "--report",
        "calibration",
        "--format",
        "csv",
    ]);
    let rows: Vec<&str> = report.lines().filter(|l| l.starts_with("anomalies.")).collect();
    assert_eq!(rows.len(), 12, "{report}");
    assert!(rows.iter().all(|r| r.ends_with(",ok")), "{rows:#?}");
    let section = ok(&[
        "report",
        "--db",
        path_str(&one),
        "--report",
        "anomalies",
        "--format",
        "csv",
    ]);
    assert!(section.contains("migration,level_shift,known event,2,"), "{section}");

    // An independent reader of the labels: the DuckDB Python client, nothing of gen's.
    let out = Command::new(python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/check_labels.py"))
        .arg(&one)
        .arg(&plain)
        .output()
        .expect("python runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.starts_with("ok: ") && text.contains(" of 11 kinds"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_injection_has_its_own_streams() {
    // Adding an injection (overlap: keep) changes no other injection's targets or labels.
    let dir = tempfile::tempdir().unwrap();
    let a = "anomalies:\n  overlap: keep\n  injections:\n    - {name: x, kind: cost_spike, service: dialog, accounts: 4, start: [2025-03-01, 2025-10-01], duration_days: 5, magnitude: [2, 6]}\n";
    let b = format!(
        "{a}    - {{name: y, kind: outage, service: amocrm_call, accounts: 5, start: 2025-06-01, duration_days: 9}}\n"
    );
    let one = load(dir.path(), "a", &layer(dir.path(), "a.yaml", a), &[]);
    let two = load(dir.path(), "b", &layer(dir.path(), "b.yaml", &b), &[]);
    let x = "SELECT string_agg(account_id || ' ' || start_date || ' ' || magnitude || ' ' || units, '; ' ORDER BY account_id) FROM anomaly_injections WHERE injection = 'x'";
    assert_eq!(scalar(&one, x), scalar(&two, x));
    assert_ne!(
        scalar(&two, "SELECT count(*) FROM anomaly_injections WHERE injection = 'y'"),
        "0"
    );
}

/// Loads the sample with an anomalies block and returns stderr, asserting exit 2 and no database.
fn spec_err(body: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let cfg = layer(dir.path(), "bad.yaml", body);
    let db = dir.path().join("x.duckdb");
    let (code, _, err) = run(&["load", "--db", path_str(&db), "--config", path_str(&cfg)]);
    assert_eq!(code, 2, "{err}");
    assert!(!db.exists(), "a database was written for a bad spec");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "stray files");
    err.replace(path_str(&cfg), "bad.yaml")
}

#[test]
fn invalid_specs_are_located_and_write_nothing() {
    let head = "anomalies:\n  injections:\n";
    // (the injection's line, its message); the line is 4 (after extends: and the two above).
    let cases: [(&str, &str); 14] = [
        (
            "    - {name: a, kind: cost_spik, accounts: 2, start: 2025-03-01, duration_days: 2, magnitude: 3}\n",
            "bad.yaml:4:17: anomalies.injections[0].kind: `cost_spik` is not allowed; did you mean `cost_spike`? allowed: cost_spike, level_shift, drift, runaway, price_change, outage, duplicate_billing, dialog_spike, pattern_break, volume_spike, cap_spike",
        ),
        (
            "    - {name: a, kind: cost_spike, service: taskz, accounts: 2, start: 2025-03-01, duration_days: 2, magnitude: 3}\n",
            "bad.yaml:4:35: anomalies.injections[0].service: `taskz` is not allowed; did you mean `tasks`? allowed: dialog, tasks, classifications, amocrm_call, all",
        ),
        (
            "    - {name: a, kind: cost_spike, accounts: 2, start: 2026-01-05, duration_days: 2, magnitude: 3}\n",
            "bad.yaml:4:48: anomalies.injections[0].start: 2026-01-05 is outside the dataset; allowed: a date from 2025-01-01 to 2025-12-31",
        ),
        (
            "    - {name: a, kind: cost_spike, accounts: 2, start: 2025-03-01, duration_days: 2, magnitude: -2}\n",
            "bad.yaml:4:85: anomalies.injections[0].magnitude: -2 is negative; allowed: a multiplier > 0 (up to 1000), or [low, high] drawn per target",
        ),
        (
            "    - {name: a, kind: outage, accounts: 2, start: 2025-03-01, duration_days: 2}\n    - {name: a, kind: outage, accounts: 2, start: 2025-05-01, duration_days: 2}\n",
            "bad.yaml:5:8: anomalies.injections[1].name: `a` is used twice; allowed: a name no other injection has",
        ),
        (
            "    - {name: a, kind: cost_spike, service: tasks, accounts: 0, start: 2025-03-01, duration_days: 2, magnitude: 3}\n",
            "bad.yaml:4:51: anomalies.injections[0].accounts: `0` is not allowed; allowed: a whole number in [1, 10000000]",
        ),
        (
            "    - {name: a, kind: cost_spike, service: tasks, accounts: 200, start: 2025-03-01, duration_days: 2, magnitude: 3}\n",
            "bad.yaml:4:51: anomalies.injections[0].accounts: 200 accounts asked for, but only ",
        ),
        (
            "    - {name: a, kind: cost_spike, accounts: 2, start: 2025-03-01, duration_days: 2, magnitud: 3}\n",
            "error: invalid config: bad.yaml:4:85: anomalies.injections[0].magnitud: unknown key; did you mean `magnitude`?",
        ),
        (
            "    - {name: a, kind: outage, accounts: 2, start: 2025-12-30, duration_days: 5}\n",
            "bad.yaml:4:63: anomalies.injections[0].duration_days: 5 days from 2025-12-30 end after the dataset's last day 2025-12-31; allowed: a window inside the range",
        ),
        (
            "    - {name: a, kind: outage, start: 2025-03-01, duration_days: 2}\n",
            "bad.yaml:4:7: anomalies.injections[0]: has no targets; allowed: one of accounts: N, share: S or account_ids: [...]",
        ),
        (
            "    - {name: a, kind: outage, account_ids: [1], start: 2025-03-01, duration_days: 2}\n",
            "bad.yaml:4:31: anomalies.injections[0].account_ids[0]: 1 is not an account of this dataset; allowed: ids from the accounts table",
        ),
        (
            "    - {name: a, kind: runaway, service: dialog, accounts: 2, start: 2025-03-01, duration_days: 2, magnitude: 3}\n",
            "bad.yaml:4:32: anomalies.injections[0].service: `dialog` is not allowed for runaway (it has no events); allowed: tasks, classifications, amocrm_call",
        ),
        (
            "    - {name: a, kind: outage, accounts: 2, share: 0.1, start: 2025-03-01, duration_days: 2}\n",
            "bad.yaml:4:44: anomalies.injections[0].share: conflicts with `accounts`; allowed: one of accounts, share, account_ids",
        ),
        (
            "    - {name: a, kind: outage, accounts: 2, start: 2025-03-01, duration_days: 2, magnitude: 3}\n",
            "bad.yaml:4:81: anomalies.injections[0].magnitude: unknown key; allowed: name, seed, kind, service, accounts, share, account_ids, start, duration_days, description",
        ),
    ];
    let mut wrong = Vec::new();
    for (i, (entry, want)) in cases.iter().enumerate() {
        let err = spec_err(&format!("{head}{entry}"));
        if !err.contains(want) {
            wrong.push(format!("case {i}:\n  want: {want}\n  got:  {err}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The training period, and a whole-block problem.
    let err = spec_err(
        "anomalies:\n  clean_until: 2025-06-30\n  injections:\n    - {name: a, kind: outage, accounts: 2, start: 2025-03-01, duration_days: 2}\n",
    );
    assert!(
        err.contains("bad.yaml:5:44: anomalies.injections[0].start: 2025-03-01 is inside the training period (clean_until = 2025-06-30); allowed: a start after it"),
        "{err}"
    );
    let err = spec_err("anomalies:\n  injection: []\n");
    assert!(
        err.contains("bad.yaml:3:3: anomalies.injection: unknown key; did you mean `injections`?"),
        "{err}"
    );
    // Every problem of a spec is reported together.
    let err = spec_err(&format!(
        "{head}    - {{name: a, kind: drift, service: tasks, accounts: 2, start: 2025-03-01, duration_days: 0, magnitude: 0}}\n    - {{name: b, kind: bogus}}\n"
    ));
    assert!(err.contains("(5 problems)"), "{err}");
    assert!(
        err.contains("bad.yaml:5:7: anomalies.injections[1].start: is missing"),
        "{err}"
    );
}

#[test]
fn the_original_scenario_file_gives_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = original("anomaly_scenarios.yaml");
    let db = dir.path().join("o.duckdb");
    let out = ok(&[
        "load",
        "--db",
        path_str(&db),
        "--config",
        SAMPLE,
        "--anomalies",
        path_str(&scenarios),
    ]);
    assert!(out.contains("\nanomalies: 3 injection(s) on 90 target(s), "), "{out}");
    assert_eq!(
        scalar(
            &db,
            "SELECT string_agg(injection || ':' || n, ' ' ORDER BY injection) FROM (SELECT injection, count(*) n FROM anomaly_injections GROUP BY ALL)"
        ),
        "cap_spike_jun:15 cost_spike_task_oct:30 volume_spike_tasks_mar:45"
    );
    let jsonl = dir.path().join("labels.jsonl");
    ok(&["export", "--db", path_str(&db), "--labels-jsonl", path_str(&jsonl)]);
    let ours: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let theirs: Vec<serde_json::Value> = std::fs::read_to_string(original("labels.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ours.len(), theirs.len());
    let accounts = scalar(&db, "SELECT string_agg(account_id, ' ') FROM accounts");
    let accounts: BTreeSet<&str> = accounts.split(' ').collect();
    for (o, t) in ours.iter().zip(&theirs) {
        let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(o), keys(t));
        for same in [
            "event_id",
            "scenario_id",
            "seed",
            "anomaly_type",
            "affected_services",
            "start_date",
            "end_date",
            "driver_template",
            "account_selection",
            "n_accounts",
            "params",
        ] {
            assert_eq!(o[same], t[same], "{same}");
        }
        let affected = o["affected_accounts"].as_array().unwrap();
        assert_eq!(affected.len() as u64, o["n_accounts"].as_u64().unwrap());
        assert!(affected.iter().all(|a| accounts.contains(a.to_string().as_str())));
        assert_eq!(o["accounts_sample"].as_array().unwrap()[..], affected[..5]);
    }
}

#[test]
fn the_anomaly_checks_catch_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let body = "anomalies:\n  clean_until: 2025-02-28\n  injections:\n    - {name: s, kind: cost_spike, service: amocrm_call, accounts: 3, start: 2025-06-02, duration_days: 5, magnitude: 4}\n    - {name: d, kind: outage, service: amocrm_call, accounts: 3, start: 2025-08-04, duration_days: 5}\n";
    let cfg = layer(dir.path(), "t.yaml", body);
    let db = load(dir.path(), "t", &cfg, &[]);
    let failed = |db: &Path| {
        let (code, out, _) = run(&["check", "--db", path_str(db)]);
        assert_eq!(code, 1, "{out}");
        scalar(
            db,
            "SELECT string_agg(name, ' ' ORDER BY name) FROM check_results WHERE NOT passed",
        )
    };
    let copy = |name: &str| {
        let p = dir.path().join(name);
        std::fs::copy(&db, &p).unwrap();
        p
    };
    // A labelled row whose value is not the label's.
    let a = copy("a.duckdb");
    tamper(
        &a,
        "UPDATE service_days SET cost = cost + 1 WHERE (account_id, date, service) IN \
         (SELECT (account_id, date, service) FROM anomaly_labels WHERE injection = 's' AND present LIMIT 1)",
    );
    assert!(failed(&a).contains("anomaly_labels_match_rows"));
    // An unlabelled row that changed: the clean twin no longer adds up.
    let b = copy("b.duckdb");
    tamper(
        &b,
        "UPDATE service_days SET cost = cost + 1 WHERE rowid = (SELECT min(rowid) FROM service_days sd \
         WHERE NOT EXISTS (SELECT 1 FROM anomaly_labels l WHERE l.account_id = sd.account_id AND l.date = sd.date))",
    );
    assert_eq!(failed(&b), "anomaly_clean_twin");
    // A removed row that is back.
    let c = copy("c.duckdb");
    tamper(
        &c,
        "INSERT INTO service_days SELECT account_id, service, date, chat_id, clean_events, clean_cost \
         FROM anomaly_labels WHERE injection = 'd' LIMIT 1",
    );
    assert!(failed(&c).contains("anomaly_labels_match_rows"));
    // A label inside the training period, and a label whose change has the wrong direction.
    let d = copy("d.duckdb");
    tamper(
        &d,
        "UPDATE anomaly_labels SET date = DATE '2025-01-15' WHERE rowid = (SELECT min(rowid) FROM anomaly_labels); \
         UPDATE anomaly_labels SET clean_cost = cost + 5 WHERE rowid = (SELECT max(rowid) FROM anomaly_labels WHERE injection = 's')",
    );
    let f = failed(&d);
    assert!(
        f.contains("anomaly_manifest_consistent") && f.contains("anomaly_labels_follow_kind"),
        "{f}"
    );
}

#[test]
fn configs_layer_by_flag_or_by_extends() {
    let dir = tempfile::tempdir().unwrap();
    let block = "anomalies:\n  injections:\n    - {name: s, kind: cost_spike, service: amocrm_call, accounts: 2, start: 2025-06-02, duration_days: 3, magnitude: 4}\n";
    // extends: a file relative to this one.
    let extended = layer(dir.path(), "extended.yaml", block);
    // The same block as a second --config over the sample.
    let over = dir.path().join("over.yaml");
    std::fs::write(&over, block).unwrap();
    // The same block's body through --anomalies.
    let body = dir.path().join("body.yaml");
    std::fs::write(&body, block.trim_start_matches("anomalies:\n").replace("\n  ", "\n")).unwrap();
    let show = |args: &[&str]| {
        let mut a = vec!["config", "show"];
        a.extend_from_slice(args);
        ok(&a)
    };
    let by_extends = show(&["--config", path_str(&extended)]);
    assert!(by_extends.contains("name: s"), "{by_extends}");
    assert_eq!(show(&["--config", SAMPLE, "--config", path_str(&over)]), by_extends);
    assert_eq!(show(&["--config", SAMPLE, "--anomalies", path_str(&body)]), by_extends);
    // A later layer wins key by key; --set wins over every layer and is named in errors.
    let later = dir.path().join("later.yaml");
    std::fs::write(&later, "accounts:\n  n_accounts: 120\n").unwrap();
    let shown = show(&["--config", path_str(&extended), "--config", path_str(&later)]);
    assert!(
        shown.contains("n_accounts: 120") && shown.contains("name: s"),
        "{shown}"
    );
    // A loop of extends is refused at its line.
    let a = dir.path().join("a.yaml");
    let b = dir.path().join("b.yaml");
    std::fs::write(&a, "extends: b.yaml\n").unwrap();
    std::fs::write(&b, "extends: a.yaml\n").unwrap();
    let (code, _, err) = run(&["config", "validate", "--config", path_str(&a)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(":1:1: extends: `") && err.contains("allowed: a chain without loops"),
        "{err}"
    );
}

#[test]
fn anomaly_files_and_label_exports_refuse_what_they_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    // extends: in an --anomalies file is an unknown key, not silently dropped.
    let f = dir.path().join("an.yaml");
    std::fs::write(&f, "extends: elsewhere.yaml\ninjections: []\n").unwrap();
    let (code, _, err) = run(&["config", "validate", "--config", SAMPLE, "--anomalies", path_str(&f)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(":1:1: anomalies.extends: unknown key"), "{err}");
    // A magnitude beyond 1000 is refused (costs would outgrow the joint view's cent arithmetic).
    let cfg = layer(
        dir.path(),
        "big.yaml",
        "anomalies:\n  injections:\n    - {name: p, kind: price_change, service: classifications, share: 1, start: 2025-02-01, magnitude: 1000000}\n",
    );
    let (code, _, err) = run(&["config", "validate", "--config", path_str(&cfg)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("allowed: a multiplier > 0 (up to 1000)"), "{err}");
    // The original's k is located at account_selection.k.
    let text = std::fs::read_to_string(original("anomaly_scenarios.yaml"))
        .unwrap()
        .replace("k: 45 ", "k: 4500 ");
    let orig = dir.path().join("orig.yaml");
    std::fs::write(&orig, text).unwrap();
    let (code, _, err) = run(&["config", "validate", "--config", SAMPLE, "--anomalies", path_str(&orig)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("anomalies.scenarios[1].account_selection.k: 4500 accounts asked for"),
        "{err}"
    );
    // --labels-jsonl and --out: both checked before either is written.
    let db = load_sample(dir.path(), "s", &[]);
    let same = dir.path().join("same.csv");
    let (code, _, err) = run(&[
        "export",
        "--db",
        path_str(&db),
        "--labels-jsonl",
        path_str(&same),
        "--out",
        path_str(&same),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(!same.exists());
    let taken = dir.path().join("taken.csv");
    std::fs::write(&taken, "x").unwrap();
    let labels = dir.path().join("l.jsonl");
    let (code, _, _) = run(&[
        "export",
        "--db",
        path_str(&db),
        "--labels-jsonl",
        path_str(&labels),
        "--out",
        path_str(&taken),
    ]);
    assert_eq!(code, 2);
    assert!(!labels.exists(), "labels written although the export was refused");
}

/// The benchmark scenario's fairness, computed here with plain SQL over the tables (not gen's
/// summaries): what one injection holds, how many platform days are anomalous, instances per kind,
/// targets without clean history. Returns (top injection's share of anomalous account-days,
/// platform-day prevalence after the training period, kinds, fewest instances of a kind, targets
/// with fewer than 7 clean usage days before their start, share of `unknown` difficulty).
pub fn fairness(db: &Path) -> (f64, f64, usize, usize, usize, f64) {
    let row = scalar(
        db,
        "WITH cu AS (SELECT coalesce(max(clean_until), DATE '1900-01-01') AS d FROM anomaly_specs),
              ad AS (SELECT DISTINCT injection, account_id, date FROM anomaly_labels WHERE is_anomaly),
              per AS (SELECT injection, count(*) AS n FROM ad GROUP BY injection),
              days AS (SELECT DISTINCT date FROM anomaly_labels, cu WHERE is_anomaly AND date > cu.d),
              inst AS (
                  SELECT i.kind, count(*) AS n FROM anomaly_injections i, cu
                  WHERE i.is_anomaly AND EXISTS (
                      SELECT 1 FROM anomaly_labels l
                      WHERE l.is_anomaly AND l.injection = i.injection AND l.account_id = i.account_id AND l.date > cu.d)
                  GROUP BY i.kind),
              history AS (
                  SELECT i.injection, i.account_id,
                         CASE WHEN i.kind IN ('runaway', 'dialog_spike', 'cap_spike')
                              THEN (SELECT count(DISTINCT c.date) FROM chat_days_clean c
                                    WHERE c.account_id = i.account_id AND c.date < i.start_date)
                              ELSE (SELECT count(DISTINCT s.date) FROM service_days_clean s
                                    WHERE s.account_id = i.account_id AND s.date < i.start_date
                                      AND (i.service IS NULL OR s.service = i.service)) END AS days
                  FROM anomaly_injections i WHERE i.is_anomaly)
         SELECT (SELECT max(n) FROM per)::DOUBLE / (SELECT count(DISTINCT (account_id, date)) FROM ad),
                (SELECT count(*) FROM days)::DOUBLE / (SELECT count(*) FROM calendar, cu WHERE date > cu.d),
                (SELECT count(*) FROM inst),
                (SELECT min(n) FROM inst),
                (SELECT count(*) FROM history WHERE days < 7),
                (SELECT avg((difficulty = 'unknown')::INTEGER) FROM anomaly_injections WHERE is_anomaly)",
    );
    let f: Vec<&str> = row.split(',').collect();
    assert_eq!(f.len(), 6, "{row}");
    (
        f[0].parse().unwrap(),
        f[1].parse().unwrap(),
        f[2].parse().unwrap(),
        f[3].parse().unwrap(),
        f[4].parse().unwrap(),
        f[5].parse().unwrap(),
    )
}

/// configs/scenarios/mixed.yaml is a fair benchmark at the default: no injection holds more than a
/// quarter of the anomalous account-days, at most 30 % of the days after the training period hold
/// an anomaly, all eleven kinds have at least 10 instances, every target has 7 days of clean
/// usage of what it changes before its start, and the difficulty is unknown for at most 10 %.
#[test]
fn the_mixed_scenario_is_a_fair_benchmark() {
    let dir = tempfile::tempdir().unwrap();
    let mixed = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/scenarios/mixed.yaml"));
    let db = load(dir.path(), "mixed", mixed, &[]);
    let (top, prevalence, kinds, fewest, blind, unknown) = fairness(&db);
    eprintln!(
        "mixed: top injection {top:.3} of anomalous account-days, platform-day prevalence {prevalence:.3}, {kinds} kinds, fewest instances {fewest}, {blind} targets without history, unknown {unknown:.3}"
    );
    assert!(
        top <= 0.25,
        "the top injection holds {top} of the anomalous account-days"
    );
    assert!(prevalence <= 0.30, "platform-day prevalence {prevalence}");
    assert_eq!(kinds, 11);
    assert!(fewest >= 10, "a kind has {fewest} instances");
    assert_eq!(blind, 0, "targets without 7 days of clean usage before their start");
    assert!(unknown <= 0.10, "unknown difficulty: {unknown}");
    // The manifest says how many accounts each injection passed over, and why.
    let passed = scalar(
        &db,
        "SELECT sum(passed_over_no_history), min(min_baseline_days), max(min_baseline_days) FROM anomaly_specs",
    );
    let f: Vec<u64> = passed.split(',').map(|x| x.parse().unwrap()).collect();
    assert!(f[0] > 0, "{passed}");
    assert_eq!((f[1], f[2]), (7, 7));
}

/// A target needs min_baseline_days of clean usage before its start: with it the test can fail
/// (min_baseline_days: 0 lets a target start on its first usage day), and a named account without
/// that history is a located error.
#[test]
fn targets_have_clean_history_before_their_start() {
    let dir = tempfile::tempdir().unwrap();
    let body = |min: u32| {
        format!(
            "anomalies:\n  injections:\n    - {{name: early, kind: cost_spike, service: dialog, accounts: 10, start: [2025-02-01, 2025-03-31], duration_days: 2, magnitude: 5, min_baseline_days: {min}}}\n"
        )
    };
    let strict = layer(dir.path(), "strict.yaml", &body(7));
    let db = load(dir.path(), "strict", &strict, &[]);
    let (_, _, _, _, blind, _) = fairness(&db);
    assert_eq!(blind, 0);
    let loose = layer(dir.path(), "loose.yaml", &body(0));
    let db0 = load(dir.path(), "loose", &loose, &[]);
    let (_, _, _, _, blind0, _) = fairness(&db0);
    assert!(
        blind0 > 0,
        "without the requirement some targets start before 7 usage days"
    );
    // An explicit account without the history.
    let id = scalar(
        &db0,
        "SELECT min(account_id) FROM service_days_clean WHERE service = 'dialog' AND date = DATE '2025-01-02'",
    );
    let named = layer(
        dir.path(),
        "named.yaml",
        &format!(
            "anomalies:\n  injections:\n    - {{name: early, kind: cost_spike, service: dialog, account_ids: [{id}], start: 2025-01-02, duration_days: 2, magnitude: 5}}\n"
        ),
    );
    let (code, _, err) = run(&[
        "load",
        "--db",
        path_str(&dir.path().join("n.duckdb")),
        "--config",
        path_str(&named),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("min_baseline_days") && err.contains("days of usage of dialog before any start"),
        "{err}"
    );
    assert!(!dir.path().join("n.duckdb").exists());
    let err = spec_err(
        "anomalies:\n  injections:\n    - {name: a, kind: outage, accounts: 2, start: 2025-03-01, duration_days: 2, min_baseline_days: 400}\n",
    );
    assert!(
        err.contains(
            "anomalies.injections[0].min_baseline_days: `400` is not allowed; allowed: a whole number in [0, 366]"
        ),
        "{err}"
    );
}
