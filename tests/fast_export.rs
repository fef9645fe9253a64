//! The exports by account ranges (`fastexport`: ranges made, formatted and encoded on worker
//! threads) against DuckDB's own `COPY (SELECT * FROM … ORDER BY …) TO … (FORMAT csv, HEADER)` of
//! the same database: the same CSV bytes for the joint views and every relation in account order,
//! the same rows in Parquet, and the same files at any number of threads.

mod common;

use std::path::Path;

use common::{load_sample, ok, path_str, python_ok};
use usage_gen::cmd::export::EXPORTABLE;

/// The mixed scenario (every anomaly kind, known events) loaded into `dir`, at the default's size
/// or with `accounts` accounts.
fn load_mixed(dir: &Path, accounts: Option<u32>) -> std::path::PathBuf {
    let db = dir.join("mixed.duckdb");
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/scenarios/mixed.yaml");
    let n = accounts.map(|n| format!("accounts.n_accounts={n}"));
    let mut args = vec!["load", "--db", path_str(&db), "--config", scenario];
    if let Some(n) = &n {
        args.extend(["--set", n.as_str()]);
    }
    ok(&args);
    db
}

/// DuckDB's ordered COPY of `table` to CSV, run through the library on the database.
fn duckdb_copy(db: &Path, table: &str, out: &Path) -> Vec<u8> {
    let order = EXPORTABLE
        .iter()
        .find(|(t, _)| *t == table)
        .expect("an exportable table")
        .1;
    let conn = usage_gen::db::open_rw(db, None).expect("open the database");
    conn.execute_batch(&format!(
        "SET threads = 1; COPY (SELECT * FROM {table} ORDER BY {order}) TO '{}' (FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d')",
        path_str(out)
    ))
    .expect("DuckDB's COPY runs");
    std::fs::read(out).unwrap()
}

/// What DuckDB reads from a Parquet file, in the file's order, as CSV.
fn parquet_as_csv(db: &Path, parquet: &Path, out: &Path) -> Vec<u8> {
    let conn = usage_gen::db::open_rw(db, None).expect("open the database");
    conn.execute_batch(&format!(
        "SET threads = 1; COPY (SELECT * FROM read_parquet('{}')) TO '{}' (FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d')",
        path_str(parquet),
        path_str(out)
    ))
    .expect("DuckDB reads the Parquet file");
    std::fs::read(out).unwrap()
}

/// `gen export --table table --out out` with `extra` flags; what it wrote.
fn export_table(db: &Path, table: &str, out: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args = vec!["export", "--db", path_str(db), "--table", table, "--out", path_str(out)];
    args.extend(extra);
    let said = ok(&args);
    assert!(said.contains(&format!("rows of {table}")), "{said}");
    std::fs::read(out).unwrap()
}

fn gen_export(db: &Path, table: &str, out: &Path, threads: &str) -> Vec<u8> {
    export_table(db, table, out, &["--threads", threads, "--force"])
}

/// The joint view's CSV is DuckDB's, at 1 and 3 threads.
fn same_as_duckdb(db: &Path, dir: &Path) {
    same_csv(db, dir, "joint_info");
}

fn same_csv(db: &Path, dir: &Path, table: &str) {
    let want = duckdb_copy(db, table, &dir.join(format!("duckdb-{table}.csv")));
    for threads in ["1", "3"] {
        let got = gen_export(db, table, &dir.join(format!("gen{threads}-{table}.csv")), threads);
        assert_eq!(got.len(), want.len(), "{table}, {threads} thread(s)");
        assert!(
            got == want,
            "{table}, {threads} thread(s): the bytes differ from DuckDB's COPY"
        );
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
    let db = load_mixed(dir.path(), None);
    same_as_duckdb(&db, dir.path());
}

#[test]
fn chat_types_that_need_quotes_are_quoted_as_duckdb_quotes_them() {
    // DuckDB quotes text holding a comma, a quote or a `#`, and doubles the quotes.
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("types.yaml");
    std::fs::write(
        &layer,
        "chats:\n  chat_types: [\"web, mobile\", 'say \"hi\"', '#1', ' x ', plain]\n",
    )
    .unwrap();
    let db = load_sample(dir.path(), "quoted", &["--config", path_str(&layer)]);
    same_as_duckdb(&db, dir.path());
    let text = String::from_utf8(std::fs::read(dir.path().join("gen1-joint_info.csv")).unwrap()).unwrap();
    for quoted in ["\"web, mobile\"", "\"say \"\"hi\"\"\"", "\"#1\"", ", x ,"] {
        assert!(text.contains(quoted), "{quoted} as DuckDB writes it");
    }
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

#[test]
fn every_relation_in_account_order_exports_as_duckdb_copies_it() {
    // The mixed scenario: labels, clean twins and known events in every labelled view.
    let dir = tempfile::tempdir().unwrap();
    let db = load_mixed(dir.path(), Some(600));
    let fast: Vec<&str> = EXPORTABLE
        .iter()
        .filter(|(t, o)| usage_gen::fastexport::handles(t, o))
        .map(|(t, _)| *t)
        .collect();
    for table in [
        "joint_info",
        "joint_info_labeled",
        "joint_info_clean",
        "chat_days",
        "service_days",
        "accounts",
        "account_days",
        "subscriptions",
        "account_day_labels",
    ] {
        assert!(fast.contains(&table), "{table} goes by account ranges");
    }
    for table in fast {
        same_csv(&db, dir.path(), table);
    }
    // Labelled rows carry their injection and kind, the others NULLs (empty fields).
    let labelled = String::from_utf8(std::fs::read(dir.path().join("gen1-joint_info_labeled.csv")).unwrap()).unwrap();
    let rows: Vec<Vec<&str>> = labelled.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let flagged = rows
        .iter()
        .filter(|r| r[21] == "1" && !r[22].is_empty() && !r[23].is_empty())
        .count();
    assert!(flagged > 100, "{flagged} labelled rows");
    assert!(
        rows.iter()
            .any(|r| r[21] == "0" && r[22].is_empty() && r[23].is_empty())
    );
}

#[test]
fn parquet_holds_the_ordered_rows_in_row_groups_of_the_requested_size() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = load_mixed(dir.path(), Some(400));
    for table in ["joint_info", "joint_info_labeled", "service_days"] {
        let want = duckdb_copy(&db, table, &d.join("want.csv"));
        let mut files = Vec::new();
        for threads in ["1", "3"] {
            let out = d.join(format!("{table}-{threads}.parquet"));
            export_table(&db, table, &out, &["--row-group-size", "10000", "--threads", threads]);
            let got = parquet_as_csv(&db, &out, &d.join("got.csv"));
            assert!(
                got == want,
                "{table} at {threads} thread(s): DuckDB reads other rows than the view's"
            );
            files.push(std::fs::read(&out).unwrap());
        }
        assert!(files[0] == files[1], "{table}: the Parquet file depends on the threads");
        let conn = usage_gen::db::open_rw(&db, None).unwrap();
        let (groups, biggest, rows): (i64, i64, i64) = conn
            .query_row(
                &format!(
                    "SELECT count(*), max(num_rows), sum(num_rows) FROM (SELECT DISTINCT row_group_id, row_group_num_rows AS num_rows FROM parquet_metadata('{}'))",
                    path_str(&d.join(format!("{table}-1.parquet")))
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(biggest, 10_000, "{table}: row groups of --row-group-size rows");
        assert_eq!(
            groups,
            (rows + 9_999) / 10_000,
            "{table}: every row group but the last is full"
        );
        let compression: String = conn
            .query_row(
                &format!(
                    "SELECT DISTINCT compression FROM parquet_metadata('{}')",
                    path_str(&d.join(format!("{table}-1.parquet")))
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(compression, "ZSTD");
    }
}

#[test]
fn parquet_reads_alike_in_pyarrow_pandas_and_duckdb_python() {
    // Clients other than gen's DuckDB: pyarrow, pandas and DuckDB 1.4's Python client read the
    // labelled view's Parquet (texts, NULLs, dates, doubles) as the same rows as its CSV.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = load_mixed(dir.path(), Some(300));
    let (parquet, csv) = (d.join("labeled.parquet"), d.join("labeled.csv"));
    export_table(&db, "joint_info_labeled", &parquet, &["--row-group-size", "7000"]);
    export_table(&db, "joint_info_labeled", &csv, &["--threads", "2"]);
    python_ok("check_parquet.py", &[path_str(&parquet), path_str(&csv), "7000"]);
}

#[test]
fn standard_output_gets_the_same_bytes_as_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = load_sample(d, "stdout", &[]);
    for (table, format) in [
        ("joint_info", "csv"),
        ("service_days", "csv"),
        ("joint_info", "parquet"),
    ] {
        let file = d.join(format!("{table}.{format}"));
        export_table(&db, table, &file, &[]);
        let out = common::gen_cmd()
            .args([
                "export",
                "--db",
                path_str(&db),
                "--table",
                table,
                "--out",
                "-",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            out.stdout == std::fs::read(&file).unwrap(),
            "{table} as {format} on standard output"
        );
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(&format!("rows of {table} to standard output")), "{said}");
    }
}

#[test]
fn spark_reads_the_parquet_exports_as_the_csv_has_them() {
    // Spark (PySpark 4, local[2]; Java from scripts/java-env): the joint view, the labelled view
    // (NULLs, texts) and a table, each against its CSV row by row.
    common::java();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = load_mixed(d, Some(150));
    let mut files = Vec::new();
    for table in ["joint_info", "joint_info_labeled", "service_days"] {
        let (parquet, csv) = (d.join(format!("{table}.parquet")), d.join(format!("{table}.csv")));
        export_table(&db, table, &parquet, &["--row-group-size", "4096"]);
        export_table(&db, table, &csv, &[]);
        files.push(parquet);
        files.push(csv);
    }
    let args: Vec<&str> = files.iter().map(|f| path_str(f)).collect();
    let said = python_ok("check_spark_parquet.py", &args);
    assert!(said.contains("rows of joint_info_labeled.parquet"), "{said}");
}
