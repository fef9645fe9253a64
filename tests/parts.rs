//! `gen generate`, `gen verify` and `gen load --from-parts` on real files: parts made separately
//! in any order and at any thread count are the single run's rows and bytes, their chained hashes
//! are `gen load`'s, and the database built from them is `gen load`'s table for table.

mod common;

use std::path::{Path, PathBuf};

use common::{SAMPLE, ok, path_str, run};
use usage_gen::model::block::TABLES;

/// The sample at 700 accounts: 11 blocks, so up to 11 parts.
const SETS: [&str; 2] = ["--set", "accounts.n_accounts=700"];

/// Besides the seven tables, the relations a load writes, compared row by row in storage order
/// (the check results without their timings).
const ALSO_COMPARED: [&str; 5] = [
    "dataset",
    "config_values",
    "calendar",
    "calibration_targets",
    "(SELECT name, version, passed, violations FROM check_results)",
];

fn generate(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["generate", "--out", path_str(dir), "--config", SAMPLE];
    args.extend_from_slice(&SETS);
    args.extend_from_slice(extra);
    ok(&args)
}

/// Every file under `dir` (metadata included, `_SUCCESS` excepted) with its bytes' SHA-256.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        let rel = entry.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        if rel != "_SUCCESS" {
            out.push((
                rel,
                usage_gen::parts::hex(&sha2_digest(&std::fs::read(&entry).unwrap())),
            ));
        }
    }
    out.sort();
    out
}

fn sha2_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// An order-sensitive fingerprint of a relation's rows as DuckDB scans them on one thread.
fn fingerprint(conn: &duckdb::Connection, relation: &str) -> String {
    conn.query_row(
        &format!("SELECT count(*) || ' ' || md5(coalesce(string_agg(md5(t::VARCHAR), ''), '')) FROM {relation} t"),
        [],
        |r| r.get(0),
    )
    .unwrap_or_else(|e| panic!("fingerprinting {relation}: {e}"))
}

fn duck() -> duckdb::Connection {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    // One thread: scans return rows in storage (and file-list) order.
    conn.execute_batch("SET threads = 1").unwrap();
    conn
}

/// Table `table`'s part files in part order, as a DuckDB list.
fn part_files(dir: &Path, table: &str, parts: usize) -> String {
    let files: Vec<String> = (1..=parts)
        .map(|k| {
            format!(
                "'{}'",
                dir.join(usage_gen::parts::table_file(table, k, parts)).display()
            )
        })
        .collect();
    format!("read_parquet([{}])", files.join(", "))
}

/// The `dataset` table's hash of `table` in `db`.
fn dataset_hash(db: &Path, table: &str) -> String {
    common::scalar(db, &format!("SELECT sha256_{table} FROM dataset"))
}

#[test]
fn parts_made_separately_in_any_order_are_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("load.duckdb");
    let mut load = vec!["load", "--db", path_str(&db), "--config", SAMPLE];
    load.extend_from_slice(&SETS);
    ok(&load);
    let conn = duck();
    conn.execute_batch(&format!("ATTACH '{}' AS loaded (READ_ONLY)", db.display()))
        .unwrap();

    for (n, order, threads) in [
        (1usize, vec![1usize], "2"),
        (3, vec![3, 1, 2], "1"),
        (4, vec![2, 4, 1, 3], "3"),
        (7, vec![7, 5, 3, 1, 6, 4, 2], "2"),
    ] {
        // Each part by its own process, in a scrambled order.
        let separate = tmp.path().join(format!("separate-{n}"));
        for k in &order {
            generate(
                &separate,
                &[
                    "--parts",
                    &n.to_string(),
                    "--part",
                    &k.to_string(),
                    "--threads",
                    threads,
                ],
            );
        }
        // All parts by one process.
        let together = tmp.path().join(format!("together-{n}"));
        generate(&together, &["--parts", &n.to_string(), "--threads", "1"]);
        assert_eq!(files(&separate), files(&together), "{n} parts: the files differ");

        let verified = ok(&["verify", path_str(&separate), "--reread"]);
        assert!(verified.contains(&format!("{n} of {n} part(s)")), "{verified}");
        let success: serde_json::Value =
            serde_json::from_slice(&std::fs::read(separate.join("_SUCCESS")).unwrap()).unwrap();
        for table in TABLES {
            // Chaining the parts' block digests gives the load's hash ...
            assert_eq!(
                success["sha256"][table].as_str().unwrap(),
                dataset_hash(&db, table),
                "{n} parts: {table}'s chained hash"
            );
            // ... and the files, read in part order, are the load's rows in its order.
            assert_eq!(
                fingerprint(&conn, &part_files(&separate, table, n)),
                fingerprint(&conn, &format!("loaded.{table}")),
                "{n} parts: {table}'s rows"
            );
        }

        // The database built from the parts is the load's, relation for relation.
        let from_parts = tmp.path().join(format!("from-parts-{n}.duckdb"));
        ok(&[
            "load",
            "--from-parts",
            path_str(&separate),
            "--db",
            path_str(&from_parts),
        ]);
        conn.execute_batch(&format!("ATTACH '{}' AS fp{n} (READ_ONLY)", from_parts.display()))
            .unwrap();
        for relation in TABLES.iter().chain(&ALSO_COMPARED) {
            let (a, b) = if relation.starts_with('(') {
                (
                    relation.replace("check_results", "loaded.check_results"),
                    relation.replace("check_results", &format!("fp{n}.check_results")),
                )
            } else {
                (format!("loaded.{relation}"), format!("fp{n}.{relation}"))
            };
            assert_eq!(
                fingerprint(&conn, &a),
                fingerprint(&conn, &b),
                "{n} parts: {relation} differs after --from-parts"
            );
        }
    }
}

#[test]
fn a_rerun_skips_finished_parts_and_another_dataset_needs_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    generate(&dir, &["--parts", "3", "--part", "2"]);
    let before = files(&dir);
    let again = generate(&dir, &["--parts", "3"]);
    assert!(
        again.contains("part-00002-of-00003: already complete; skipped"),
        "{again}"
    );
    assert!(again.contains("2 written, 1 already complete"), "{again}");
    let after = files(&dir);
    for f in &before {
        assert!(after.contains(f), "{f:?} changed on the rerun");
    }
    ok(&["verify", path_str(&dir)]);
    assert!(dir.join("_SUCCESS").exists());

    // Another seed, or another N: refused, nothing changed.
    for other in [&["--parts", "3", "--seed", "7"][..], &["--parts", "4"][..]] {
        let mut args = vec!["generate", "--out", path_str(&dir), "--config", SAMPLE];
        args.extend_from_slice(&SETS);
        args.extend_from_slice(other);
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("holds another dataset") && err.contains("--overwrite"),
            "{err}"
        );
        assert_eq!(files(&dir), after);
    }
    // With --overwrite: the other dataset's files and _SUCCESS go, the new one verifies.
    generate(&dir, &["--parts", "4", "--overwrite"]);
    assert!(!dir.join("_SUCCESS").exists());
    assert!(!dir.join("chat_days/part-00001-of-00003.parquet").exists());
    let out = ok(&["verify", path_str(&dir), "--reread"]);
    assert!(out.contains("4 of 4 part(s)"), "{out}");
}

#[test]
fn verify_finds_missing_stray_and_damaged_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    generate(&dir, &["--parts", "3"]);
    ok(&["verify", path_str(&dir)]);

    // A missing part: exit 1, _SUCCESS removed.
    let manifest = usage_gen::parts::manifest_path(&dir, 2, 3);
    let saved = std::fs::read(&manifest).unwrap();
    std::fs::remove_file(&manifest).unwrap();
    let (code, _, err) = run(&["verify", path_str(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("part-00002-of-00003 is missing"), "{err}");
    assert!(!dir.join("_SUCCESS").exists());
    std::fs::write(&manifest, saved).unwrap();

    // A stray file a reader would take as rows.
    let stray = dir.join("chats/part-00001-of-00002.parquet");
    std::fs::copy(dir.join("chats/part-00001-of-00003.parquet"), &stray).unwrap();
    let (code, _, err) = run(&["verify", path_str(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("chats/part-00001-of-00002.parquet is not a file of this dataset"),
        "{err}"
    );
    std::fs::remove_file(&stray).unwrap();
    // Labels in a dataset without anomalies are strays too, even named for this N.
    std::fs::create_dir(dir.join("anomaly_labels")).unwrap();
    let stray = dir.join("anomaly_labels/part-00001-of-00003.parquet");
    std::fs::copy(dir.join("chats/part-00001-of-00003.parquet"), &stray).unwrap();
    let (code, _, err) = run(&["verify", path_str(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("anomaly_labels/part-00001-of-00003.parquet is not a file of this dataset"),
        "{err}"
    );
    std::fs::remove_file(&stray).unwrap();

    // A damaged file of the same size: only --reread sees it.
    let file = dir.join("service_days/part-00003-of-00003.parquet");
    let mut bytes = std::fs::read(&file).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x55;
    std::fs::write(&file, bytes).unwrap();
    ok(&["verify", path_str(&dir)]);
    let (code, _, err) = run(&["verify", path_str(&dir), "--reread"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("service_days/part-00003-of-00003.parquet's bytes hash to"),
        "{err}"
    );
    assert!(!dir.join("_SUCCESS").exists());
    // Provenance that does not match its config (here the seed, everywhere but config.yaml):
    // exit 1 and no _SUCCESS, also when dataset.json itself is unreadable.
    ok(&["verify", path_str(&dir)]);
    let dataset = usage_gen::parts::dataset_path(&dir);
    let good = std::fs::read_to_string(&dataset).unwrap();
    std::fs::write(&dataset, good.replace("\"seed\": 42", "\"seed\": 999")).unwrap();
    let (code, _, err) = run(&["verify", path_str(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("does not match") && err.contains("seed 999 against 42"),
        "{err}"
    );
    assert!(!dir.join("_SUCCESS").exists());
    std::fs::write(&dataset, &good).unwrap();
    ok(&["verify", path_str(&dir)]);
    std::fs::write(&dataset, "{").unwrap();
    let (code, _, err) = run(&["verify", path_str(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a usage-gen parts file"), "{err}");
    assert!(!dir.join("_SUCCESS").exists());
    std::fs::write(&dataset, good).unwrap();

    // Not a directory of parts at all.
    let (code, _, _) = run(&["verify", path_str(&tmp.path().join("nothing-here"))]);
    assert_eq!(code, 2);
}

#[test]
fn bad_arguments_are_usage_errors_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    let d = path_str(&dir);
    let cases: [(&[&str], &str); 4] = [
        (&["generate", "--out", d, "--part", "1"], "--parts"),
        (
            &["generate", "--out", d, "--parts", "3", "--part", "4"],
            "allowed: a part from 1 to 3",
        ),
        (
            &[
                "generate",
                "--out",
                d,
                "--set",
                "accounts.n_accounts=100",
                "--parts",
                "3",
            ],
            "allowed: 1 to 2 parts",
        ),
        (
            &["generate", "--out", d, "--parts", "0"],
            "allowed: a whole number in [1, 99999]",
        ),
    ];
    for (args, says) in cases {
        let (code, _, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!dir.exists(), "{args:?} wrote {}", dir.display());
    }
    // A directory holding other things is not written into.
    let other = tmp.path().join("home");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let (code, _, err) = run(&["generate", "--out", path_str(&other)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("holds no gen parts"), "{err}");
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);
}

#[test]
fn a_driver_prepares_the_directory_once_and_refuses_another_dataset_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    let out = generate(&dir, &["--parts", "3", "--metadata-only"]);
    assert!(out.contains("its parts are written with --part 1 to 3"), "{out}");
    let names: Vec<String> = walk(&dir)
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    // The provenance, its config and the writers' lock file.
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("_metadata/")), "{names:?}");
    assert!(names.contains(&"_metadata/lock".to_string()), "{names:?}");
    let mut args = vec![
        "generate",
        "--out",
        path_str(&dir),
        "--config",
        SAMPLE,
        "--metadata-only",
    ];
    args.extend_from_slice(&SETS);
    args.extend_from_slice(&["--parts", "3", "--seed", "5"]);
    let (code, _, err) = run(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("holds another dataset"), "{err}");
    for k in ["3", "1", "2"] {
        generate(&dir, &["--parts", "3", "--part", k]);
    }
    ok(&["verify", path_str(&dir), "--reread"]);
}

#[test]
fn ctrl_c_keeps_whole_parts_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("gen"))
        .args(["generate", "--out", path_str(&dir), "--config", SAMPLE])
        .args(["--set", "accounts.n_accounts=6000", "--parts", "90", "--threads", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the first part is in place, interrupt the run mid-way.
    let first = usage_gen::parts::manifest_path(&dir, 1, 90);
    let started = std::time::Instant::now();
    while !first.exists() && started.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    std::thread::sleep(std::time::Duration::from_millis(30));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    // Every part file belongs to a part whose manifest is there, and every such part is whole.
    let manifests: Vec<usize> = (1..=90)
        .filter(|&k| usage_gen::parts::manifest_path(&dir, k, 90).exists())
        .collect();
    assert!(!manifests.is_empty() && manifests.len() < 90, "{manifests:?}\n{err}");
    for file in walk(&dir) {
        let rel = file.strip_prefix(&dir).unwrap().display().to_string();
        if rel.starts_with("_metadata/") {
            continue;
        }
        let k: usize = rel.split("part-").nth(1).unwrap()[..5].parse().unwrap();
        assert!(manifests.contains(&k), "{rel} without its manifest\n{err}");
    }
    for &k in &manifests {
        for table in TABLES {
            assert!(dir.join(usage_gen::parts::table_file(table, k, 90)).exists());
        }
    }
    // A rerun finishes the rest.
    ok(&[
        "generate",
        "--out",
        path_str(&dir),
        "--config",
        SAMPLE,
        "--set",
        "accounts.n_accounts=6000",
        "--parts",
        "90",
    ]);
    ok(&["verify", path_str(&dir)]);
}

#[test]
fn parts_with_anomalies_give_the_loads_ground_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let mixed = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/scenarios/mixed.yaml");
    let db = tmp.path().join("load.duckdb");
    ok(&["load", "--db", path_str(&db), "--config", mixed]);
    let dir = tmp.path().join("parts");
    for k in ["2", "3", "1"] {
        ok(&[
            "generate",
            "--out",
            path_str(&dir),
            "--config",
            mixed,
            "--parts",
            "3",
            "--part",
            k,
        ]);
    }
    let out = ok(&["verify", path_str(&dir), "--reread"]);
    assert!(out.contains("3 of 3 part(s)"), "{out}");
    let from_parts = tmp.path().join("from-parts.duckdb");
    let out = ok(&["load", "--from-parts", path_str(&dir), "--db", path_str(&from_parts)]);
    assert!(out.contains("anomalies: 16 injection(s)"), "{out}");
    let conn = duck();
    for (db, name) in [(&db, "loaded"), (&from_parts, "fp")] {
        conn.execute_batch(&format!("ATTACH '{}' AS {name} (READ_ONLY)", db.display()))
            .unwrap();
    }
    for relation in TABLES.iter().chain(&[
        "dataset",
        "anomaly_specs",
        "anomaly_injections",
        "anomaly_labels",
        "anomaly_clean_totals",
        "calibration_targets",
    ]) {
        assert_eq!(
            fingerprint(&conn, &format!("loaded.{relation}")),
            fingerprint(&conn, &format!("fp.{relation}")),
            "{relation} differs after --from-parts"
        );
    }
    assert!(
        fingerprint(&conn, "fp.anomaly_labels")
            .split(' ')
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 1000
    );
    // The labels also lie beside the tables as Parquet: in part order, the load's anomaly_labels.
    assert_eq!(
        fingerprint(&conn, &part_files(&dir, usage_gen::parts::LABELS, 3)),
        fingerprint(&conn, "loaded.anomaly_labels")
    );
    // Labels and effects that name what does not exist are refused, never a panic: a day outside
    // the calendar or an unknown service by verify, a target that was not chosen by verify
    // --reread and by the load.
    let manifest = usage_gen::parts::manifest_path(&dir, 2, 3);
    let good = std::fs::read(&manifest).unwrap();
    let edits: [(&str, &str, i64, &str); 4] = [
        ("labels", "date", i32::MIN as i64, "outside the dataset"),
        ("labels", "service", 9, "outside the dataset"),
        ("labels", "target", 99_999, "names target 99999"),
        ("effects", "target", 99_999, "names target 99999"),
    ];
    for (list, field, value, says) in edits {
        let mut m: serde_json::Value = serde_json::from_slice(&good).unwrap();
        m["anomalies"]["blocks"][0][list][0][field] = value.into();
        std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
        let (code, _, err) = run(&["verify", path_str(&dir), "--reread"]);
        assert_eq!(code, 1, "{list}.{field}: {err}");
        assert!(err.contains(says), "{list}.{field}: {err}");
        let db = tmp.path().join(format!("edited-{list}-{field}.duckdb"));
        // verify removed _SUCCESS: the load checks the directory without it.
        let (code, _, err) = run(&[
            "load",
            "--from-parts",
            path_str(&dir),
            "--db",
            path_str(&db),
            "--unverified",
        ]);
        assert_eq!(code, 2, "{list}.{field}: {err}");
        assert!(err.contains(says) && !err.contains("panicked"), "{list}.{field}: {err}");
        assert!(!db.exists());
    }
    std::fs::write(&manifest, &good).unwrap();
    ok(&["verify", path_str(&dir), "--reread"]);
    // A manifest stripped of its anomalies is a problem, not a silent loss of ground truth.
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    m.as_object_mut().unwrap().remove("anomalies");
    std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
    let (code, _, err) = run(&["verify", path_str(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("part-00002-of-00003's manifest lacks what the anomaly injections did"),
        "{err}"
    );
}
