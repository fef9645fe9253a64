//! The joint view's CSV export (`fastcsv`: account ranges made and formatted on worker threads)
//! against DuckDB's own `COPY (SELECT * FROM joint_info ORDER BY account_id, date, chat_id) TO …
//! (FORMAT csv, HEADER)` of the same database: the same bytes, at any number of threads.

mod common;

use std::path::Path;

use common::{load_sample, ok, path_str};

/// DuckDB's ordered COPY of the joint view, run through the library on the database.
fn duckdb_copy(db: &Path, out: &Path) -> Vec<u8> {
    let conn = usage_gen::db::open_rw(db, None).expect("open the database");
    conn.execute_batch(&format!(
        "SET threads = 1; COPY (SELECT * FROM joint_info ORDER BY account_id, date, chat_id) TO '{}' (FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d')",
        path_str(out)
    ))
    .expect("DuckDB's COPY runs");
    std::fs::read(out).unwrap()
}

fn gen_export(db: &Path, out: &Path, threads: &str) -> Vec<u8> {
    let said = ok(&[
        "export",
        "--db",
        path_str(db),
        "--out",
        path_str(out),
        "--threads",
        threads,
        "--force",
    ]);
    assert!(said.contains("rows of joint_info"), "{said}");
    std::fs::read(out).unwrap()
}

fn same_as_duckdb(db: &Path, dir: &Path) {
    let want = duckdb_copy(db, &dir.join("duckdb.csv"));
    for threads in ["1", "3"] {
        let got = gen_export(db, &dir.join(format!("gen{threads}.csv")), threads);
        assert_eq!(got.len(), want.len(), "{threads} thread(s)");
        assert!(got == want, "{threads} thread(s): the bytes differ from DuckDB's COPY");
    }
}

#[test]
fn the_sample_exports_as_duckdb_copies_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "sample", &[]);
    same_as_duckdb(&db, dir.path());
}

#[test]
fn the_default_with_every_anomaly_kind_exports_as_duckdb_copies_it() {
    // The built-in default's 2.65 M joint rows, with the mixed scenario's anomalies (added chats,
    // drifted and repriced costs): every kind of value the joint view holds.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mixed.duckdb");
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/scenarios/mixed.yaml");
    ok(&["load", "--db", path_str(&db), "--config", scenario]);
    same_as_duckdb(&db, dir.path());
}

#[test]
fn chat_types_that_need_quotes_fall_back_to_duckdb() {
    // A chat type with a comma is quoted by DuckDB's writer; the fast writer hands over to it.
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("types.yaml");
    std::fs::write(&layer, "chats:\n  chat_types: [\"web, mobile\", 'say \"hi\"', plain]\n").unwrap();
    let db = load_sample(dir.path(), "quoted", &["--config", path_str(&layer)]);
    same_as_duckdb(&db, dir.path());
    let text = String::from_utf8(std::fs::read(dir.path().join("gen1.csv")).unwrap()).unwrap();
    assert!(text.contains("\"web, mobile\""), "quoted as DuckDB quotes it");
}

#[test]
fn usage_pricing_spread_mode_and_late_signups_export_as_duckdb_copies_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(
        dir.path(),
        "variant",
        &[
            "--set",
            "services_model.usage.enabled=true",
            "--set",
            "services_model.distribute_to_chats.mode=spread",
            "--set",
            "accounts.activity_shape=0.5",
            "--set",
            "accounts.before_start_share=0.5",
            "--seed",
            "7",
        ],
    );
    same_as_duckdb(&db, dir.path());
}
