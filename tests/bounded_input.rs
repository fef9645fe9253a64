//! Hostile YAML inputs (issue 25, W1, W2, C1–C7, C21–C23 of the adversarial pass): devices,
//! FIFOs and oversize files as configs, `extends:` targets and anomaly specs; alias bombs, tags and
//! complex keys; overlong or control-character chat types and injection names; deep or looping
//! `extends:` chains; huge and tiny numbers in messages; peta-sized memory limits. Each is refused
//! with exit 2, a clear message and nothing written, and the stream inputs that are allowed
//! (`/dev/stdin`, process substitution) still work.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::*;

/// A hang is the defect some of these tests look for: a watchdog ends gen after this long, and
/// the test then fails on the exit code (nothing is asserted about how long gen takes).
const WATCHDOG: Duration = Duration::from_secs(300);

/// Runs `gen load --db DIR/x.duckdb ARGS…`; asserts exit 2 and that no database (nor anything
/// else) was written into `dir`, which must hold only `inputs`. Returns stderr.
fn refused(dir: &Path, inputs: &[&str], args: &[&str]) -> String {
    let db = dir.join("x.duckdb");
    let out = gen_cmd()
        .args(["load", "--db", path_str(&db)])
        .args(args)
        .timeout(WATCHDOG)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut want: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(left, want, "{args:?} wrote something: {err}");
    err
}

/// `gen config validate` with stdin from `stdin`; (exit code, stdout, stderr).
fn validate_with_stdin(stdin: Stdio, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("gen"))
        .args(["config", "validate"])
        .args(args)
        .stdin(stdin)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn mkfifo(p: &Path) {
    let status = std::process::Command::new("mkfifo").arg(p).status().unwrap();
    assert!(status.success());
}

/// Writes `text` as DIR/bad.yaml and returns load's stderr with the path shortened to bad.yaml.
fn bad_config(text: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.yaml");
    std::fs::write(&cfg, text).unwrap();
    let mut args = vec!["--config", path_str(&cfg)];
    args.extend_from_slice(extra);
    refused(dir.path(), &["bad.yaml"], &args).replace(path_str(&cfg), "bad.yaml")
}

/// W1: devices named as a config, an `extends:` target or an anomaly spec are refused before
/// they are read (the adversarial pass saw 4.2 GB read from /dev/zero).
#[test]
fn devices_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = refused(dir.path(), &[], &["--config", "/dev/zero"]);
    assert_eq!(
        err,
        "error: invalid config: /dev/zero: is a device, not a file; allowed: a config file (a regular file of at most 16 MiB, or standard input as /dev/stdin or <(…))\n"
    );
    let err = refused(dir.path(), &[], &["--config", SAMPLE, "--anomalies", "/dev/zero"]);
    assert!(
        err.contains("/dev/zero: is a device, not a file; allowed: an anomaly spec file (a regular file"),
        "{err}"
    );
    let z = dir.path().join("z.yaml");
    std::fs::write(&z, "extends: /dev/urandom\n").unwrap();
    let err = refused(dir.path(), &["z.yaml"], &["--config", path_str(&z)]);
    assert!(
        err.contains("z.yaml:1:1: extends: `/dev/urandom`: is a device, not a file; allowed: a config file"),
        "{err}"
    );
}

/// C4: a FIFO (with no writer) is refused at once rather than waited on, wherever it is named.
#[test]
fn fifos_are_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("f.yaml");
    mkfifo(&fifo);
    let to = dir.path().join("to.yaml");
    std::fs::write(&to, "extends: f.yaml\n").unwrap();
    let inputs = ["f.yaml", "to.yaml"];
    let says = "is a FIFO (named pipe), which may never end or never start; allowed: a";
    for args in [
        vec!["--config", path_str(&fifo)],
        vec!["--config", path_str(&to)],
        vec!["--config", SAMPLE, "--anomalies", path_str(&fifo)],
    ] {
        let err = refused(dir.path(), &inputs, &args);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(err.contains("f.yaml"), "the message names the file: {err}");
    }
}

/// W1: a regular file over 16 MiB is refused by its size, without reading it; stdin that never
/// ends (here /dev/zero) is read up to the bound and refused.
#[test]
fn oversize_inputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(usage_gen::config::MAX_YAML_BYTES + 1)
        .unwrap();
    let err = refused(dir.path(), &["big.yaml"], &["--config", path_str(&big)]);
    assert_eq!(
        err,
        format!(
            "error: invalid config: {}: is over 16 MiB; allowed: a config file up to 16 MiB\n",
            big.display()
        )
    );
    let (code, _, err) = validate_with_stdin(
        std::fs::File::open("/dev/zero").unwrap().into(),
        &["--config", "/dev/stdin"],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        "error: invalid config: /dev/stdin: is over 16 MiB; allowed: a config file up to 16 MiB\n"
    );
}

/// What the adversarial pass found right stays right: a config from /dev/stdin, /proc/self/fd/0
/// or process substitution is read.
#[test]
fn stdin_and_process_substitution_still_work() {
    for name in ["/dev/stdin", "/proc/self/fd/0"] {
        let (code, out, err) = validate_with_stdin(std::fs::File::open(SAMPLE).unwrap().into(), &["--config", name]);
        assert_eq!(code, 0, "{name}: {err}");
        assert!(out.contains("300 accounts"), "{name}: {out}");
    }
    let script = format!("exec \"$0\" config validate --config <(cat '{SAMPLE}')",);
    let out = std::process::Command::new("bash")
        .args(["-c", &script, assert_cmd::cargo::cargo_bin("gen").to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("300 accounts"), "{stdout}");
}

/// C1: an alias bomb says that aliases expand past a budget, both serde_yaml_ng's (alias uses
/// per node) and ours (values after expansion), not that the indentation is wrong.
#[test]
fn alias_bombs_name_the_budget() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
    }
    let err = bad_config(&bomb, &[]);
    assert_eq!(
        err,
        "error: invalid config: bad.yaml: YAML aliases (`*name`) expand past the budget of 100 alias uses per node written in the file; allowed: a config that uses aliases sparingly (or not at all)\n"
    );
    // Few alias uses, each of a large list: within serde_yaml_ng's budget, past ours.
    let wide = format!(
        "a: &a [{}]\nb: [{}]\n",
        vec!["0"; 2000].join(", "),
        vec!["*a"; 1000].join(", ")
    );
    let err = bad_config(&wide, &[]);
    assert!(
        err.contains(": the document holds more than 262144 values once its YAML aliases (`*name`) are expanded: aliases expand past the budget; allowed: at most 262144 values"),
        "{err}"
    );
    assert!(
        err.starts_with("error: invalid config: bad.yaml:"),
        "with a line: {err}"
    );
    // As many values written out, without aliases: refused before serde_yaml_ng holds them all.
    let flat = format!("a: [{}]\n", vec!["0"; 300_000].join(","));
    let err = bad_config(&flat, &[]);
    assert_eq!(
        err,
        format!(
            "error: invalid config: bad.yaml:1:{}: the document holds more than 262144 values; allowed: at most 262144 values (each scalar, list, mapping and alias counts)\n",
            2 * (262_144 - 2) + 3
        )
    );
}

/// C2, C3: tags and complex keys are refused with line and column, in words.
#[test]
fn tags_and_complex_keys_are_refused() {
    let err = bad_config(&variant("  n_accounts: 3000 ", "  n_accounts: !foo 3000 "), &[]);
    assert_eq!(
        err,
        "error: invalid config: bad.yaml:14:15: YAML tags are not allowed (found `!foo`); allowed: a plain value such as 300, 0.5 or whatsapp\n"
    );
    let err = bad_config(&variant("  seed: 42 ", "  seed: 42\n  ? [a, b]\n  : 1\n "), &[]);
    assert_eq!(
        err,
        "error: invalid config: bad.yaml:12:5: a key that is a list is not allowed; allowed: a key name such as n_accounts\n"
    );
    // A tag in --set is refused too.
    let (code, _, err) = run(&["config", "validate", "--set", "accounts.n_accounts=!foo 300"]);
    assert_eq!(code, 2);
    assert!(err.contains("YAML tags are not allowed (found `!foo`)"), "{err}");
}

/// W2, C23: chat types have a length cap and printable characters only; the message names the
/// key and line, and does not print a megabyte back.
#[test]
fn chat_types_are_short_and_printable() {
    let at_cap = "a".repeat(64);
    let ok_cfg = variant("    - viber", &format!("    - {at_cap}"));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ok.yaml");
    std::fs::write(&p, ok_cfg).unwrap();
    ok(&["config", "validate", "--config", path_str(&p)]);

    let err = bad_config(&variant("    - viber", &format!("    - {at_cap}b")), &[]);
    assert_eq!(
        err,
        "error: invalid config: bad.yaml:33:7: chats.chat_types[6]: `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…` (65 characters) is too long; allowed: a chat type of at most 64 printable characters\n"
    );
    let err = bad_config(&variant("    - viber", "    - \"vi\\ebe\\0r\""), &[]);
    assert_eq!(
        err,
        "error: invalid config: bad.yaml:33:7: chats.chat_types[6]: `vi\\u{1b}be\\u{0}r` holds the control character U+001B; allowed: a chat type of printable characters (no NUL, ESC, newline or other control characters)\n"
    );
    for (control, code) in [
        ("\\0", "0000"),
        ("\\a", "0007"),
        ("\\r", "000D"),
        ("\\n", "000A"),
        ("\\x7f", "007F"),
        ("\\x85", "0085"),
        ("\\x9b", "009B"),
    ] {
        let err = bad_config(&variant("    - viber", &format!("    - \"v{control}\"")), &[]);
        assert!(err.contains("chats.chat_types[6]: `v\\"), "{control}: {err}");
        assert!(
            err.contains(&format!("holds the control character U+{code};")),
            "{control}: {err}"
        );
    }
    // A megabyte of chat type: refused, and the message stays short.
    let err = bad_config(&variant("    - viber", &format!("    - {}", "A".repeat(1 << 20))), &[]);
    assert!(
        err.contains("(1048576 characters) is too long"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(err.len() < 500, "{} bytes of message", err.len());
}

/// Many problems: the first 100 are shown with their lines, the rest counted (locating each is a
/// pass over the text); more than 1000 chat types is one problem.
#[test]
fn many_problems_are_counted() {
    let types: Vec<String> = (0..150).map(|i| format!("    - \"t{i}\\e\"")).collect();
    let err = bad_config(&variant("    - viber", &types.join("\n")), &[]);
    assert!(err.starts_with("error: invalid config (101 problems):\n"), "{err}");
    assert!(
        err.contains("bad.yaml:33:7: chats.chat_types[6]: `t0\\u{1b}` holds the control character"),
        "{err}"
    );
    assert!(
        err.ends_with("\n  bad.yaml: and 50 more problem(s); only the first 100 are shown\n"),
        "{err}"
    );
    let types: Vec<String> = (0..1001).map(|i| format!("    - t{i}")).collect();
    let err = bad_config(&variant("    - viber", &types.join("\n")), &[]);
    assert_eq!(
        err,
        "error: invalid config: bad.yaml:26:3: chats.chat_types: has 1007 chat types; allowed: at most 1000\n"
    );
}

/// C22: an injection's name has the same cap; the original's scenario ids too.
#[test]
fn injection_names_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("a.yaml");
    let write = |name: &str| {
        std::fs::write(
            &spec,
            format!(
                "injections:\n  - name: {name}\n    kind: cost_spike\n    service: tasks\n    accounts: 1\n    start: 2025-06-02\n    duration_days: 3\n    magnitude: 5\n"
            ),
        )
        .unwrap();
    };
    write(&"x".repeat(64));
    ok(&["config", "validate", "--config", SAMPLE, "--anomalies", path_str(&spec)]);
    let spec_refused = || {
        refused(
            dir.path(),
            &["a.yaml"],
            &["--config", SAMPLE, "--anomalies", path_str(&spec)],
        )
    };
    write(&"x".repeat(100_000));
    let err = spec_refused();
    assert!(
        err.contains(":2:5: anomalies.injections[0].name: `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` (100000 characters) is too long; allowed: a name of at most 64 printable characters"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(err.len() < 500, "{} bytes of message", err.len());
    write("\"a\\eb\"");
    let err = spec_refused();
    assert!(
        err.contains("anomalies.injections[0].name: `a\\u{1b}b` holds the control character U+001B"),
        "{err}"
    );
    // The original's scenario file: scenario ids too.
    let original = std::fs::read_to_string(original("anomaly_scenarios.yaml")).unwrap();
    std::fs::write(&spec, original.replacen("cost_spike_task_oct", &"s".repeat(65), 1)).unwrap();
    let err = spec_refused();
    assert!(err.contains(".scenario_id: `ssss"), "{err}");
    assert!(
        err.contains("(65 characters) is too long; allowed: a scenario id of at most 64"),
        "{err}"
    );
}

/// The original's configs and every shipped config still validate with the new caps.
#[test]
fn shipped_configs_still_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut configs = vec![original("config_data_generator.yaml"), original("sample_config.yaml")];
    for dir in ["configs", "configs/scenarios"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                configs.push(p);
            }
        }
    }
    for c in &configs {
        ok(&["config", "validate", "--config", path_str(c)]);
    }
    ok(&[
        "config",
        "validate",
        "--config",
        SAMPLE,
        "--anomalies",
        path_str(&original("anomaly_scenarios.yaml")),
    ]);
}

/// C5: the depth limit is named as such and allows 16 links; a loop through a directory
/// symlink is reported as a loop.
#[test]
fn extends_chains_depth_and_loops() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sample = std::fs::read_to_string(SAMPLE).unwrap();
    // f0 -> f1 -> … -> f16 (16 links), f16 a whole config.
    for i in 0..16 {
        std::fs::write(d.join(format!("f{i}.yaml")), format!("extends: f{}.yaml\n", i + 1)).unwrap();
    }
    std::fs::write(d.join("f16.yaml"), &sample).unwrap();
    let out = ok(&["config", "validate", "--config", path_str(&d.join("f0.yaml"))]);
    assert!(out.contains("300 accounts"), "{out}");
    // One more link is past the limit.
    std::fs::write(d.join("f16.yaml"), "extends: f17.yaml\n").unwrap();
    std::fs::write(d.join("f17.yaml"), &sample).unwrap();
    let mut inputs: Vec<String> = (0..18).map(|i| format!("f{i}.yaml")).collect();
    let (code, _, err) = run(&["config", "validate", "--config", path_str(&d.join("f0.yaml"))]);
    assert_eq!(code, 2);
    assert!(
        err.contains("f16.yaml:1:1: extends: the chain of `extends:` is more than 16 links deep; allowed: at most 16 links (a depth limit), without loops"),
        "{err}"
    );
    // s1/up -> .. : `up/s1/x.yaml` is s1/x.yaml itself.
    std::fs::create_dir(d.join("s1")).unwrap();
    std::os::unix::fs::symlink("..", d.join("s1/up")).unwrap();
    std::fs::write(d.join("s1/x.yaml"), "extends: up/s1/x.yaml\n").unwrap();
    inputs.push("s1".into());
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let err = refused(d, &inputs, &["--config", path_str(&d.join("s1/x.yaml"))]);
    assert!(
        err.contains(
            "x.yaml:1:1: extends: `up/s1/x.yaml` extends itself in the end (a loop); allowed: a chain without loops"
        ),
        "{err}"
    );
}

/// C6: huge and tiny numbers print compactly, never as hundreds of digits.
#[test]
fn numbers_in_messages_are_compact() {
    for (set, says) in [
        (
            "accounts.n_accounts=1e308",
            "accounts.n_accounts: wrong type: found number `1e308`; expected a whole number >= 0",
        ),
        (
            "activity.base_q=1e308",
            "activity.base_q: 1e308 is out of range; allowed: a number in [0, 1000000]",
        ),
        (
            "activity.base_q=-1e-300",
            "activity.base_q: -1e-300 is out of range; allowed: a number in [0, 1000000]",
        ),
        (
            "services_model.adoption_day_bias.alpha=1e308",
            "services_model.adoption_day_bias.alpha: 1e308 is out of range; allowed: a number in [0, 100]",
        ),
        (
            "services_model.p_convert_after_trial.tasks=1.0000001",
            "services_model.p_convert_after_trial.tasks: 1.0000001 is out of range; allowed: a probability in [0, 1]",
        ),
    ] {
        let err = bad_config(usage_gen::config::DEFAULT_CONFIG, &["--set", set]);
        assert!(err.contains(says), "{set}: {err}");
        assert!(!err.contains("00000000000"), "{set}: {err}");
    }
    // An infinite arrival rate is one problem, not also "may create up to about inf".
    let err = bad_config(
        usage_gen::config::DEFAULT_CONFIG,
        &["--set", "chat_lifecycle.new_chats_lambda_per_account_day=.inf"],
    );
    assert_eq!(
        err,
        "error: invalid config: --set chat_lifecycle.new_chats_lambda_per_account_day=.inf: chat_lifecycle.new_chats_lambda_per_account_day: inf is out of range; allowed: a number in [0, 1000]\n"
    );
}

/// C7: an out-of-range account count is one problem, without checks derived from it.
#[test]
fn absurd_account_counts_bring_no_derived_noise() {
    for n in ["18446744073709551615", "4294967296"] {
        let set = format!("accounts.n_accounts={n}");
        let err = bad_config(usage_gen::config::DEFAULT_CONFIG, &["--set", &set]);
        assert_eq!(
            err,
            format!(
                "error: invalid config: --set {set}: accounts.n_accounts: {n} is out of range; allowed: a whole number in [1, 10000000]\n"
            )
        );
    }
}

/// C21: peta units are memory sizes (up to 1 PiB); beyond, the message says the maximum.
#[test]
fn memory_limit_units_are_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let err = refused(dir.path(), &[], &["--memory-limit", "2PB"]);
    assert!(
        err.contains("`2PB` is out of range; allowed: a size from 16MB to 1PiB"),
        "{err}"
    );
    // 1PB passes the flag: what stops this load is the config, checked after the flags.
    let err = refused(
        dir.path(),
        &[],
        &["--memory-limit", "1PB", "--set", "accounts.n_accounts=0"],
    );
    assert!(err.contains("accounts.n_accounts: 0 is out of range"), "{err}");
}
