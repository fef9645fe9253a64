//! gen removes and writes only what it made: names that merely look like gen's temporaries, in
//! the database's directory, an output's directory or `$TMPDIR`, survive every command; a symlink
//! planted at a load's old predictable work name redirects nothing; `gen bench` never touches a
//! file of the user's in `--dir` and leaves nothing of its own; `--force` keeps the file's mode.
//! (Issue 25: W5, W11, W12, C20.)

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Directories named like gen's temporaries of this and earlier versions, each holding a file
/// `data.txt` with "precious"; returns them.
fn plant_lookalikes(dir: &Path) -> Vec<PathBuf> {
    let names = [
        ".joint.csv.tmp-4000000-mybackup",
        ".joint.csv.tmp-4000000",
        ".gen-spill-4000001.keep",
        ".gen-spill-4000002_notes",
        ".gen-spill-4000003",
        ".s.duckdb.load-4000004",
        ".t.gen-tmp-4000005",
        // Exactly a work directory's name, without gen's marker, and with a marker of another host.
        ".gen-work-0123456789abcdef",
        ".gen-work-fedcba9876543210",
        ".gen-work-0123456789abcdef-old",
    ];
    let made: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    for d in &made {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("data.txt"), "precious").unwrap();
    }
    std::fs::write(
        dir.join(".gen-work-fedcba9876543210/.gen-owner"),
        "usage-gen work directory: removed when its process ends\nhost: another-host\npid: 1\n",
    )
    .unwrap();
    made
}

fn assert_intact(made: &[PathBuf]) {
    for d in made {
        assert_eq!(
            std::fs::read_to_string(d.join("data.txt")).unwrap_or_default(),
            "precious",
            "{} was touched",
            d.display()
        );
    }
}

#[test]
fn names_that_look_like_gen_temporaries_are_never_removed() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "s", &[]);
    let tmp = dir.path().join("t");
    std::fs::create_dir(&tmp).unwrap();
    let mut made = plant_lookalikes(dir.path());
    made.extend(plant_lookalikes(&tmp));
    let d = path_str(&db);
    let out = dir.path().join("joint.csv");
    let html = dir.path().join("r.html");
    let with_tmp = |args: &[&str]| {
        let out = Command::new(assert_cmd::cargo::cargo_bin("gen"))
            .args(args)
            .env("TMPDIR", &tmp)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    with_tmp(&["export", "--db", d, "--out", path_str(&out)]);
    with_tmp(&["export", "--db", d, "--out", path_str(&out), "--force"]);
    with_tmp(&["sql", "--db", d, "SELECT count(*) FROM joint_info"]);
    with_tmp(&["check", "--db", d]);
    with_tmp(&["report", "--db", d, "--html", path_str(&html)]);
    with_tmp(&["load", "--db", d, "--config", SAMPLE, "--replace"]);
    with_tmp(&[
        "load",
        "--db",
        path_str(&dir.path().join("n.duckdb")),
        "--config",
        SAMPLE,
    ]);
    assert_intact(&made);
    // And nothing of gen's own is left in either place.
    let ours = |d: &Path| {
        listing(d)
            .into_iter()
            .filter(|n| n.starts_with(".gen-work-") && n.len() == ".gen-work-".len() + 16)
            .filter(|n| !n.ends_with("0123456789abcdef") && !n.ends_with("fedcba9876543210"))
            .collect::<Vec<_>>()
    };
    assert!(ours(dir.path()).is_empty(), "{:?}", listing(dir.path()));
    assert!(ours(&tmp).is_empty(), "{:?}", listing(&tmp));
}

#[test]
fn a_killed_load_leaves_a_work_directory_that_only_a_later_gen_here_removes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.duckdb");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("gen"))
        .args([
            "load",
            "--db",
            path_str(&db),
            "--config",
            SAMPLE,
            "--set",
            "accounts.n_accounts=4000",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the work directory holds the database being built, then kill -9.
    let work = loop {
        let found = listing(dir.path()).into_iter().find(|n| n.starts_with(".gen-work-"));
        if let Some(w) = found.filter(|w| dir.path().join(w).join("new.duckdb").exists()) {
            break dir.path().join(w);
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the load ended before it was killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!db.exists());
    assert!(work.join(".gen-owner").exists());
    let other = load_sample(dir.path(), "other", &["--set", "accounts.n_accounts=30"]);
    assert!(
        !work.exists(),
        "the dead load's work directory is removed by the next load here"
    );
    assert_eq!(listing(dir.path()), ["other.duckdb"]);
    // In a directory gen only reads from, through $TMPDIR, a dead one stays.
    let tmp = dir.path().join("t");
    std::fs::create_dir(&tmp).unwrap();
    let stale = tmp.join(".gen-work-00000000000000aa");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(
        stale.join(".gen-owner"),
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| {
                format!(
                    "usage-gen work directory: removed when its process ends\nhost: {}\npid: 1\n",
                    h.trim()
                )
            })
            .unwrap(),
    )
    .unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin("gen"))
        .args(["sql", "--db", path_str(&other), "SELECT 1"])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stale.join(".gen-owner").exists(), "gen never sweeps $TMPDIR");
}

#[test]
fn a_symlink_planted_at_a_predictable_name_redirects_no_load() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let victim = load_sample(&outside, "victim", &["--set", "accounts.n_accounts=20"]);
    let before = std::fs::read(&victim).unwrap();
    // The name earlier versions used (`.NAME.load-PID`), planted for the very process that loads,
    // pointing at a missing file and at another database.
    for (name, to) in [("n1.duckdb", outside.join("x.duckdb")), ("n2.duckdb", victim.clone())] {
        let script = format!(
            "ln -s '{}' '.{name}.load-'$$ && exec '{}' load --db {name} --config '{SAMPLE}'",
            to.display(),
            assert_cmd::cargo::cargo_bin("gen").display()
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let made = dir.path().join(name);
        assert!(
            std::fs::symlink_metadata(&made).unwrap().file_type().is_file(),
            "{name} is a real file"
        );
    }
    assert!(!outside.join("x.duckdb").exists());
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        before,
        "the other database is untouched"
    );
}

#[test]
fn bench_touches_no_file_of_the_users_and_leaves_nothing_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "a.csv",
        "b.csv",
        "plain-write.bin",
        "ctas-20000.duckdb",
        "load-20000.duckdb",
        "load-20000-t2.duckdb",
        "export-20000.csv",
    ];
    for n in names {
        std::fs::write(dir.path().join(n), "precious").unwrap();
    }
    let d = path_str(dir.path());
    let out = ok(&["bench", "--rows", "20K", "--repeat", "1", "--dir", d]);
    assert!(out.contains("gen bench"), "{out}");
    // A failing run (its scenario config does not exist) removes its own files too.
    let (code, _, err) = run(&[
        "bench",
        "--rows",
        "20K",
        "--repeat",
        "1",
        "--dir",
        d,
        "--scenario",
        path_str(&dir.path().join("missing.yaml")),
    ]);
    assert_eq!(code, 2, "{err}");
    let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(listing(dir.path()), expected);
    for n in names {
        assert_eq!(std::fs::read_to_string(dir.path().join(n)).unwrap(), "precious", "{n}");
    }
}

#[test]
fn force_keeps_the_mode_of_the_file_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let db = load_sample(dir.path(), "s", &["--set", "accounts.n_accounts=20"]);
    for (name, mode) in [("private.csv", 0o600), ("shared.parquet", 0o644), ("group.html", 0o640)] {
        let out = dir.path().join(name);
        std::fs::write(&out, "old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode)).unwrap();
        let args: Vec<&str> = if name.ends_with(".html") {
            vec!["report", "--db", path_str(&db), "--html", path_str(&out), "--force"]
        } else {
            vec!["export", "--db", path_str(&db), "--out", path_str(&out), "--force"]
        };
        ok(&args);
        let meta = std::fs::metadata(&out).unwrap();
        assert!(meta.len() > 3, "{name} was written");
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{name}");
    }
}

#[test]
fn a_database_cannot_place_its_default_export_outside_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let target = elsewhere.join("planted.csv");
    for path in [path_str(&target).to_string(), "../planted.csv".to_string()] {
        let db = load_sample(
            &elsewhere,
            "received",
            &[
                "--set",
                &format!("output.path={path}"),
                "--set",
                "accounts.n_accounts=20",
            ],
        );
        let out = Command::new(assert_cmd::cargo::cargo_bin("gen"))
            .args(["export", "--db", path_str(&db)])
            .current_dir(&elsewhere)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("pass --out PATH"), "{err}");
        std::fs::remove_file(&db).unwrap();
    }
    assert!(!target.exists());
    assert!(!dir.path().join("planted.csv").exists());
    // A relative name inside the current directory is the default, as the original's configs have it.
    let db = load_sample(
        &elsewhere,
        "fine",
        &[
            "--set",
            "output.path=./out/joint.csv",
            "--set",
            "accounts.n_accounts=20",
        ],
    );
    std::fs::create_dir(elsewhere.join("out")).unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin("gen"))
        .args(["export", "--db", path_str(&db)])
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(elsewhere.join("out/joint.csv").exists());
}
