//! `gen check` on a clean and a tampered database, `gen export` to CSV and Parquet, `gen sql`
//! being read-only, and `gen report`.

mod common;

use common::*;

#[test]
fn check_passes_then_catches_a_duplicated_chat_day() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "c", &[]);
    let out = ok(&["check", "--db", path_str(&db)]);
    assert!(out.contains("checks passed"), "{out}");

    {
        let conn = duckdb::Connection::open(&db).unwrap();
        conn.execute_batch("INSERT INTO chat_days SELECT * FROM chat_days LIMIT 1")
            .unwrap();
    }
    let (code, out, err) = run(&["check", "--db", path_str(&db)]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("FAILED check chat_days_one_per_chat_day"), "{err}");
    assert_eq!(
        scalar(
            &db,
            "SELECT passed FROM check_results WHERE name = 'chat_days_one_per_chat_day'"
        ),
        "false"
    );
}

#[test]
fn checks_rewritten_for_speed_still_catch_their_violations() {
    let dir = tempfile::tempdir().unwrap();
    let clean = load_sample(dir.path(), "clean", &[]);
    let cases = [
        // A chat-day moved to another account than its chat's.
        (
            "UPDATE chat_days SET account_id = account_id + 1 WHERE rowid = 100",
            "chat_days_valid",
        ),
        // A chat created after its first stay in the pool began.
        (
            "UPDATE chats SET created_date = created_date + 400 WHERE chat_id = (SELECT chat_id FROM chat_days WHERE rowid = 100)",
            "chat_spells_consistent",
        ),
        // A chat active on a day it was not in the pool.
        (
            "UPDATE chat_spells SET ended_on = started_on + 1 WHERE chat_id = (SELECT chat_id FROM chat_days WHERE rowid = 5000) AND started_on <= (SELECT date FROM chat_days WHERE rowid = 5000) AND (ended_on IS NULL OR ended_on > (SELECT date FROM chat_days WHERE rowid = 5000) + 1) AND started_on < (SELECT date FROM chat_days WHERE rowid = 5000)",
            "chat_days_valid",
        ),
        // Two stored chat-days out of (account_id, date, chat_id) order, though both unique.
        (
            "UPDATE chat_days SET date = date + 1 WHERE rowid = (SELECT max(rowid) FROM chat_days WHERE account_id = (SELECT min(account_id) FROM accounts)) - 1",
            "chat_days_one_per_chat_day",
        ),
        // A pool size that the stays do not account for.
        (
            "UPDATE account_days SET pool_size = pool_size + 1 WHERE rowid = 200",
            "account_days_consistent",
        ),
        // A service-day dearer than its bounds allow.
        (
            "UPDATE service_days SET cost = 10000 WHERE rowid = (SELECT min(rowid) FROM service_days WHERE service = 'classifications')",
            "costs_within_bounds",
        ),
        // A first use after the adoption day although a chat was active that day.
        (
            "DELETE FROM service_days WHERE rowid = (SELECT min(sd.rowid) FROM service_days sd JOIN subscriptions s USING (account_id, service) WHERE sd.date = s.adopted_on)",
            "first_use_is_adoption",
        ),
        // A service-day on a chat that has no chat-day that day.
        (
            "UPDATE service_days SET chat_id = chat_id + 1000000 WHERE rowid = 0",
            "service_days_on_chat_days",
        ),
    ];
    for (i, (tamper, check)) in cases.iter().enumerate() {
        let db = dir.path().join(format!("t{i}.duckdb"));
        std::fs::copy(&clean, &db).unwrap();
        {
            let conn = duckdb::Connection::open(&db).unwrap();
            assert_eq!(conn.execute(tamper, []).unwrap(), 1, "{tamper}");
        }
        let (code, out, err) = run(&["check", "--db", path_str(&db)]);
        assert_eq!(code, 1, "{tamper}\n{out}\n{err}");
        assert!(err.contains(&format!("FAILED check {check}")), "{tamper}\n{err}");
    }
}

#[test]
fn exports_agree_and_never_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "e", &[]);
    let csv = dir.path().join("joint.csv");
    let pq = dir.path().join("joint.parquet");
    let bytes = export_csv(&db, &csv, &[]);
    ok(&["export", "--db", path_str(&db), "--out", path_str(&pq)]);

    let text = String::from_utf8(bytes).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), JOINT_COLUMNS.join(","));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[3].len(), 10, "ISO date: {first:?}");
    assert_eq!(first[1].len(), 11, "zero-padded chat_id: {first:?}");
    assert!(["0", "1"].contains(&first[13]));
    let csv_rows = text.lines().count() as u64 - 1;
    let view_rows: u64 = scalar(&db, "SELECT count(*) FROM joint_info").parse().unwrap();
    // (gen sql reads no files: DuckDB's own client does.)
    let pq_rows: u64 = duckdb::Connection::open_in_memory()
        .unwrap()
        .query_row(
            &format!("SELECT count(*) FROM read_parquet('{}')", path_str(&pq)),
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as u64;
    assert_eq!(csv_rows, view_rows);
    assert_eq!(pq_rows, view_rows);

    let (code, _, err) = run(&["export", "--db", path_str(&db), "--out", path_str(&csv)]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists; pass --force"), "{err}");
    ok(&["export", "--db", path_str(&db), "--out", path_str(&csv), "--force"]);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            n.starts_with('.').then_some(n)
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn sql_is_read_only_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "q", &[]);
    let (code, _, err) = run(&["sql", "--db", path_str(&db), "DELETE FROM accounts"]);
    assert_eq!(code, 2);
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(scalar(&db, "SELECT count(*) FROM accounts"), "300");

    let json = ok(&[
        "sql",
        "--db",
        path_str(&db),
        "--format",
        "json",
        "SELECT 1 AS one, 'x' AS s",
    ]);
    assert_eq!(json, "[\n  {\"one\": 1, \"s\": \"x\"}\n]\n");
    let table = ok(&["sql", "--db", path_str(&db), "SELECT 42 AS answer"]);
    assert!(
        table.contains("answer") && table.contains("42") && table.contains("(1 row)"),
        "{table}"
    );
}

#[test]
fn report_prints_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "rep", &[]);
    let out = ok(&["report", "--db", path_str(&db)]);
    for name in [
        "calibration",
        "shape",
        "num_services",
        "adopters",
        "service_days",
        "activity_by_weekday",
        "new_clients_by_month",
        "pool",
        "retention_by_cohort",
        "activity_by_month",
        "costs_by_month",
        "top_accounts",
    ] {
        assert!(out.contains(&format!("## {name}")), "{name} missing:\n{out}");
    }
    let json = ok(&["report", "--db", path_str(&db), "--format", "json"]);
    assert!(
        json.starts_with("{\n\"calibration\": [") && json.trim_end().ends_with('}'),
        "{json}"
    );
    // Total adopters equal the sum of daily new clients for every service.
    let csv = ok(&[
        "sql",
        "--db",
        path_str(&db),
        "--format",
        "csv",
        "WITH f AS (SELECT account_id, service, min(date) d FROM service_days GROUP BY ALL) SELECT count(*) FROM subscriptions s JOIN f USING (account_id, service) WHERE f.d < s.adopted_on",
    ]);
    assert_eq!(csv, "count_star()\n0\n");
}

#[test]
fn missing_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nope.duckdb");
    for cmd in ["check", "report", "export"] {
        let (code, _, err) = run(&[cmd, "--db", path_str(&db)]);
        assert_eq!(code, 2, "{cmd}");
        assert!(err.contains("does not exist"), "{cmd}: {err}");
        assert!(!db.exists(), "{cmd} created the file");
    }
}

#[test]
fn report_html_is_self_contained_with_charts() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "h", &[]);
    let page = dir.path().join("report.html");
    let (code, out, err) = run(&["report", "--db", path_str(&db), "--html", path_str(&page)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("wrote"), "{err}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    // Five charts, each an inline SVG with data drawn.
    assert_eq!(html.matches("<svg ").count(), 5, "charts");
    for title in [
        "Daily new clients per paid service",
        "Active chats per day",
        "Retention of converted subscribers",
        "Cost per day",
        "num_services distribution",
    ] {
        assert!(html.contains(title), "{title} missing");
    }
    assert!(html.matches("<polyline").count() >= 3 + 2 + 3 + 2);
    // Nothing is fetched: no scripts, links or external sources (the SVG namespace is not a fetch).
    for banned in ["<script", "<link", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(banned), "{banned} in the page");
    }
    // Every report is in it, the calibration first.
    assert!(html.find("<h2>calibration</h2>").unwrap() < html.find("<h2>shape</h2>").unwrap());
    assert_eq!(html.matches("<h2>").count(), 13);
    assert!(!dir.path().join("report.html.tmp").exists());
}

#[test]
fn report_rejects_unknown_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "u", &[]);
    let (code, _, err) = run(&["report", "--db", path_str(&db), "--report", "calibrate"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--report calibrate: no such report; allowed: calibration, shape, num_services"),
        "{err}"
    );
}

#[test]
fn a_database_from_an_older_schema_asks_for_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "old", &[]);
    // As if written before the original model's and the anomalies' migrations existed.
    tamper(
        &db,
        "DELETE FROM refinery_schema_history WHERE version >= 4; DROP TABLE chat_spells; DROP TABLE account_days; \
         DROP VIEW joint_info_labeled; DROP VIEW joint_row_labels; DROP VIEW account_day_labels; \
         DROP VIEW platform_day_labels; DROP VIEW joint_info_clean; DROP VIEW known_events; \
         DROP VIEW service_days_clean; DROP VIEW chat_days_clean; DROP VIEW chats_clean; \
         DROP VIEW chat_spells_clean; DROP TABLE anomaly_specs; DROP TABLE anomaly_injections; \
         DROP TABLE anomaly_labels; DROP TABLE anomaly_clean_totals; DROP MACRO TABLE joint_rows; DROP TABLE score_results",
    );
    let (code, _, err) = run(&["report", "--db", path_str(&db)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("has schema version 3, this gen reads version 7; reload it with `gen load --db"),
        "{err}"
    );
    // Without --replace a load refuses before migrating anything.
    let (code, _, err) = run(&["load", "--db", path_str(&db), "--config", SAMPLE]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(scalar(&db, "SELECT max(version) FROM refinery_schema_history"), "3");
    // A --replace load migrates it and loads again.
    ok(&reload_sample(&db, &[]));
    ok(&["report", "--db", path_str(&db), "--report", "calibration", "--strict"]);
}
