//! Parts under attack and under races, on real files: `gen load --from-parts` loads only files
//! whose bytes and rows are their manifests' and records hashes of the rows it loaded; it needs
//! `gen verify`'s `_SUCCESS` unless told otherwise; two `gen generate` runs of different datasets
//! never both succeed in one directory, and `--overwrite` waits for no live user of it; a
//! directory or FIFO where a file of the layout belongs is refused by name, never waited on; and
//! `gen verify` reports its verdict even where it cannot write `_SUCCESS`.

mod common;

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{SAMPLE, ok, path_str, run};
use usage_gen::model::block::TABLES;
use usage_gen::parts;

fn generate(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["generate", "--out", path_str(dir), "--config", SAMPLE];
    args.extend_from_slice(extra);
    ok(&args)
}

/// A finished process's exit code, standard output and standard error.
fn outcome(out: std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `gen` like [`run`], but kills it after a minute: a command that would wait for ever on a
/// FIFO fails the test instead of hanging it (a guard, not a timing assertion).
fn run_bounded(args: &[&str]) -> (i32, String, String) {
    outcome(
        common::gen_cmd()
            .args(args)
            .timeout(Duration::from_secs(60))
            .output()
            .expect("gen runs"),
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    parts::hex(&sha2::Sha256::digest(bytes))
}

/// Every file under `dir` with its bytes (for "nothing changed").
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(snapshot(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path_str(path)).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {}",
        path.display()
    );
}

fn dataset_hashes(db: &Path) -> Vec<String> {
    TABLES
        .iter()
        .map(|t| common::scalar(db, &format!("SELECT sha256_{t} FROM dataset")))
        .collect()
}

#[test]
fn load_from_parts_refuses_damaged_files_and_records_the_hashes_of_the_rows_it_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    generate(&dir, &["--parts", "4"]);
    ok(&["verify", path_str(&dir)]);

    // Intact: the recorded hashes are a plain gen load's (they are computed from the loaded rows,
    // the same way; the damaged cases below show they are not the manifests').
    let plain = common::load_sample(tmp.path(), "plain", &[]);
    let fp = tmp.path().join("fp.duckdb");
    ok(&["load", "--from-parts", path_str(&dir), "--db", path_str(&fp)]);
    assert_eq!(dataset_hashes(&fp), dataset_hashes(&plain));

    // One bit flipped in a part file (the adversarial report's W6): refused before the database
    // is touched, naming the file and both hashes.
    let file = dir.join("accounts/part-00001-of-00004.parquet");
    let good = std::fs::read(&file).unwrap();
    let mut bad = good.clone();
    let i = bad.len() / 3;
    bad[i] ^= 1;
    std::fs::write(&file, &bad).unwrap();
    let manifest_path = parts::manifest_path(&dir, 1, 4);
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let recorded = manifest["tables"][0]["file_sha256"].as_str().unwrap().to_string();
    assert_eq!(recorded, sha256_hex(&good));
    let db = tmp.path().join("bad.duckdb");
    let (code, _, err) = run(&["load", "--from-parts", path_str(&dir), "--db", path_str(&db)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{}'s bytes hash to {}", file.display(), sha256_hex(&bad))) && err.contains(&recorded),
        "{err}"
    );
    assert!(err.contains("nothing was loaded"), "{err}");
    assert!(!db.exists());

    // The manifest edited to the damaged file's hash: the bytes now pass, but the rows the load
    // reads hash to another digest than the block's, so it is refused all the same.
    let mut edited = manifest.clone();
    edited["tables"][0]["file_sha256"] = sha256_hex(&bad).into();
    std::fs::write(&manifest_path, serde_json::to_vec(&edited).unwrap()).unwrap();
    let (code, _, err) = run(&["load", "--from-parts", path_str(&dir), "--db", path_str(&db)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{}: the rows of block", file.display())) && err.contains("nothing was loaded"),
        "{err}"
    );
    assert!(!db.exists());
    // Into an existing database with --replace: it stays as it was.
    let before = common::fingerprint(&fp);
    let (code, _, err) = run(&[
        "load",
        "--from-parts",
        path_str(&dir),
        "--db",
        path_str(&fp),
        "--replace",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is as it was"), "{err}");
    assert_eq!(common::fingerprint(&fp), before);

    // Restored: it loads again.
    std::fs::write(&file, &good).unwrap();
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    ok(&["load", "--from-parts", path_str(&dir), "--db", path_str(&db)]);
    assert_eq!(dataset_hashes(&db), dataset_hashes(&plain));
}

#[test]
fn load_from_parts_needs_gen_verifys_success_for_this_dataset_unless_unverified() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    generate(&dir, &["--parts", "2"]);
    let db = tmp.path().join("fp.duckdb");
    let load = ["load", "--from-parts", path_str(&dir), "--db", path_str(&db)];
    let (code, _, err) = run(&load);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("has no _SUCCESS")
            && err.contains(&format!("gen verify {}", dir.display()))
            && err.contains("--unverified"),
        "{err}"
    );
    assert!(!db.exists());
    // --unverified loads it (checked all the same).
    let mut unverified = load.to_vec();
    unverified.push("--unverified");
    ok(&unverified);
    std::fs::remove_file(&db).unwrap();
    let (code, _, err) = run(&["load", "--db", path_str(&db), "--config", SAMPLE, "--unverified"]);
    assert_eq!(code, 2, "--unverified without --from-parts: {err}");
    assert!(err.contains("--unverified is allowed only with --from-parts"), "{err}");
    assert!(!db.exists());

    // Another dataset's _SUCCESS (or a stale one) does not count.
    let other = tmp.path().join("other");
    generate(&other, &["--parts", "2", "--seed", "7"]);
    ok(&["verify", path_str(&other)]);
    std::fs::copy(other.join("_SUCCESS"), dir.join("_SUCCESS")).unwrap();
    let (code, _, err) = run(&load);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not gen verify's for the dataset"), "{err}");
    assert!(!db.exists());
    ok(&["verify", path_str(&dir)]);
    ok(&load);
}

#[test]
fn two_runs_of_different_datasets_into_one_new_directory_never_both_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    for trial in 0..10 {
        let dir = tmp.path().join(format!("r{trial}"));
        let spawn = |seed: &str| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("gen"))
                .args(["generate", "--out", path_str(&dir), "--config", SAMPLE])
                .args(["--parts", "2", "--threads", "1", "--seed", seed])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("1"), spawn("2"));
        let results: Vec<(i32, String)> = [a, b]
            .into_iter()
            .map(|c| {
                let (code, _, err) = outcome(c.wait_with_output().unwrap());
                (code, err)
            })
            .collect();
        let winners: Vec<usize> = (0..2).filter(|&i| results[i].0 == 0).collect();
        assert_eq!(winners.len(), 1, "trial {trial}: {results:?}");
        let loser = &results[1 - winners[0]];
        assert_eq!(loser.0, 2, "trial {trial}: {results:?}");
        assert!(loser.1.contains("holds another dataset"), "trial {trial}: {}", loser.1);
        // The directory is the winner's dataset alone, every manifest of it, and it verifies.
        let seed = [1u64, 2][winners[0]];
        let dataset: serde_json::Value =
            serde_json::from_slice(&std::fs::read(parts::dataset_path(&dir)).unwrap()).unwrap();
        assert_eq!(dataset["seed"], seed, "trial {trial}");
        for k in 1..=2 {
            let m: serde_json::Value =
                serde_json::from_slice(&std::fs::read(parts::manifest_path(&dir, k, 2)).unwrap()).unwrap();
            assert_eq!(m["dataset"], dataset, "trial {trial}: part {k}");
        }
        ok(&["verify", path_str(&dir), "--reread"]);
    }
}

/// Holds `dir`'s lock shared, as a live `gen generate`, `gen verify` or load would.
fn hold_lock(dir: &Path) -> std::fs::File {
    let f = std::fs::File::open(parts::lock::path(dir)).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_SH) }, 0);
    f
}

#[test]
fn overwrite_waits_for_no_live_user_and_a_run_whose_dataset_was_replaced_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    generate(&dir, &["--parts", "2"]);
    ok(&["verify", path_str(&dir)]);
    let before = snapshot(&dir);
    // Another process uses the directory: --overwrite is refused and nothing changes.
    let held = hold_lock(&dir);
    let overwrite = [
        "generate",
        "--out",
        path_str(&dir),
        "--config",
        SAMPLE,
        "--parts",
        "3",
        "--seed",
        "7",
        "--overwrite",
    ];
    let (code, _, err) = run(&overwrite);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is in use by another gen process"), "{err}");
    assert_eq!(snapshot(&dir), before);
    // A run of the same dataset is no replacement: it goes on beside the other user.
    generate(&dir, &["--parts", "2", "--overwrite"]);
    drop(held);
    ok(&overwrite);
    ok(&["verify", path_str(&dir), "--reread"]);

    // Where no lock protects it (a file system without flock, say), a run whose directory gets
    // another dataset's provenance while it writes reports it and fails, instead of success.
    let big = ["--set", "accounts.n_accounts=6000", "--parts", "90", "--threads", "1"];
    let other = tmp.path().join("other");
    generate(&other, &[&big[..], &["--seed", "5", "--metadata-only"][..]].concat());
    let run_dir = tmp.path().join("run");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("gen"))
        .args(["generate", "--out", path_str(&run_dir), "--config", SAMPLE])
        .args(big)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let first = parts::manifest_path(&run_dir, 1, 90);
    let started = std::time::Instant::now();
    while !first.exists() && started.elapsed().as_secs() < 60 {
        std::thread::sleep(Duration::from_millis(2));
    }
    let swap = run_dir.join("_metadata/swap.tmp");
    std::fs::copy(parts::dataset_path(&other), &swap).unwrap();
    std::fs::rename(&swap, parts::dataset_path(&run_dir)).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no longer holds this run's dataset"), "{err}");
}

#[test]
fn a_directory_or_fifo_in_place_of_a_file_is_refused_by_name_never_waited_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    generate(&dir, &["--parts", "3"]);
    ok(&["verify", path_str(&dir)]);
    let db = tmp.path().join("fp.duckdb");
    let load = [
        "load",
        "--from-parts",
        path_str(&dir),
        "--db",
        path_str(&db),
        "--unverified",
    ];

    // (what is replaced, what it becomes, what gen verify says)
    let manifest = parts::manifest_path(&dir, 2, 3);
    let config = parts::config_path(&dir);
    let part = dir.join("chats/part-00002-of-00003.parquet");
    for (path, fifo) in [(&manifest, true), (&config, true), (&part, true), (&part, false)] {
        let saved = std::fs::read(path).unwrap();
        std::fs::remove_file(path).unwrap();
        if fifo {
            mkfifo(path);
        } else {
            std::fs::create_dir(path).unwrap();
        }
        let what = if fifo { "a FIFO" } else { "a directory" };
        let says = format!(
            "{} is not a regular file ({what})",
            path.strip_prefix(&dir).unwrap().display()
        );
        let (code, _, err) = run_bounded(&["verify", path_str(&dir), "--reread"]);
        assert_eq!(code, 1, "{}: {err}", path.display());
        assert!(err.contains(&says), "{says}: {err}");
        let (code, _, err) = run_bounded(&load);
        assert_eq!(code, 2, "{}: {err}", path.display());
        assert!(err.contains(&says), "{says}: {err}");
        assert!(!db.exists());
        // A writer does not write into it either.
        let (code, _, err) = run_bounded(&["generate", "--out", path_str(&dir), "--config", SAMPLE, "--parts", "3"]);
        assert_eq!(code, 2, "{}: {err}", path.display());
        assert!(err.contains("is not a regular file"), "{err}");
        if fifo {
            std::fs::remove_file(path).unwrap();
        } else {
            std::fs::remove_dir(path).unwrap();
        }
        std::fs::write(path, saved).unwrap();
    }
    // A FIFO as dataset.json (a writer reads it first) and as _SUCCESS (verify writes it).
    let dataset = parts::dataset_path(&dir);
    let saved = std::fs::read(&dataset).unwrap();
    std::fs::remove_file(&dataset).unwrap();
    mkfifo(&dataset);
    let (code, _, err) = run_bounded(&["generate", "--out", path_str(&dir), "--config", SAMPLE, "--parts", "3"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("dataset.json is not a regular file (a FIFO)"), "{err}");
    std::fs::remove_file(&dataset).unwrap();
    std::fs::write(&dataset, saved).unwrap();
    let success = parts::success_path(&dir);
    let _ = std::fs::remove_file(&success);
    mkfifo(&success);
    let (code, _, err) = run_bounded(&["verify", path_str(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("_SUCCESS is not a regular file (a FIFO)"), "{err}");
    std::fs::remove_file(&success).unwrap();
    ok(&["verify", path_str(&dir), "--reread"]);
}

#[test]
fn verify_reports_its_verdict_where_it_cannot_write_success() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    generate(&dir, &["--parts", "2"]);
    // No file may grow past 0 bytes (as on read-only media, even for root): _SUCCESS cannot be
    // written, yet the verdict stands.
    let unwritable = |extra: &str| {
        outcome(
            std::process::Command::new("sh")
                .args(["-c", &format!("ulimit -f 0; exec \"$0\" verify \"$1\" {extra}")])
                .arg(assert_cmd::cargo::cargo_bin("gen"))
                .arg(&dir)
                .output()
                .unwrap(),
        )
    };
    let (code, out, err) = unwritable("--reread");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verified"), "{out}");
    assert!(
        err.contains("warning: the dataset verified, but")
            && err.contains("could not be written")
            && err.contains("--unverified"),
        "{err}"
    );
    assert!(!parts::success_path(&dir).exists());
    // A problem is still a problem: exit 1.
    std::fs::remove_file(parts::manifest_path(&dir, 2, 2)).unwrap();
    let (code, _, err) = unwritable("");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("part-00002-of-00002 is missing"), "{err}");
}
