//! `gen bench` end to end at a small size: it loads, runs the CTAS yardstick, compares the exports
//! at one thread, prints one table row per size and cleans up after itself.

mod common;

use common::*;

#[test]
fn bench_prints_both_rates_and_compares_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&[
        "bench",
        "--rows",
        "20K,40K",
        "--compare-threads-up-to",
        "20K",
        "--repeat",
        "2",
        "--exports-up-to",
        "20K",
        "--dir",
        path_str(dir.path()),
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("| joint rows | accounts | all rows | gen load s | gen rows/s | CTAS s"),
        "{out}"
    );
    let (out, exports) = out.split_once("Export of the joint view").expect("an export table");
    let (exports, generates) = exports.split_once("gen generate (").expect("a gen generate table");
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| joint"))
        .collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(
        rows[0].ends_with("| identical (1) |") || rows[0].ends_with("| identical (2) |"),
        "{}",
        rows[0]
    );
    assert!(rows[1].ends_with("| not compared |"), "{}", rows[1]);
    // Joint rows of the asked order (tiny sizes run over: the default's adopters per month are
    // absolute, so with a few hundred accounts most of them use services), a ratio, a peak RSS.
    let cells: Vec<&str> = rows[1].trim_matches('|').split('|').map(str::trim).collect();
    let joint: f64 = cells[0].parse().unwrap();
    assert!((40_000.0..80_000.0).contains(&joint), "{joint}");
    let ratio: f64 = cells[7].parse().unwrap();
    assert!(ratio > 0.0, "ratio {ratio}");
    // The range of the two per-run ratios holds their median.
    let (lo, hi) = cells[8].split_once('–').unwrap();
    let (lo, hi): (f64, f64) = (lo.parse().unwrap(), hi.parse().unwrap());
    assert!(
        lo <= ratio && ratio <= hi,
        "ratio {ratio} outside its range {}",
        cells[8]
    );
    assert!(cells[9].parse::<f64>().unwrap() > 0.0, "gen load cpu-s {}", cells[9]);
    assert!(cells[10].parse::<f64>().unwrap() >= 0.0, "CTAS cpu-s {}", cells[10]);
    assert!(cells[14].parse::<f64>().unwrap() > 1.0, "peak RSS {}", cells[14]);
    // The export table: CSV and Parquet of the first size only, gen's writer beside DuckDB's.
    assert!(
        exports.contains("| joint rows | format | file MB | gen export s |"),
        "{exports}"
    );
    let exports: Vec<Vec<&str>> = exports
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| joint"))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    assert_eq!(exports.len(), 2, "{exports:?}");
    for (row, format) in exports.iter().zip(["CSV", "Parquet"]) {
        assert_eq!(row[1], format);
        assert!(
            (20_000.0..40_000.0).contains(&row[0].parse::<f64>().unwrap()),
            "{row:?}"
        );
        for cell in [3, 5, 6, 8] {
            assert!(row[cell].parse::<f64>().unwrap() > 0.0, "{row:?}");
        }
        assert!(row[9].ends_with('×'), "{row:?}");
    }
    assert!(exports[0][10].parse::<f64>().unwrap() >= 0.0, "dd of the CSV's bytes");
    // The gen generate table: both sizes, at one thread and at all cores (one row where there is
    // one core), each with its rate, CPU time and Parquet's size.
    let generates: Vec<Vec<&str>> = generates
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| joint"))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(generates.len(), if cores > 1 { 4 } else { 2 }, "{generates:?}");
    assert_eq!(generates[0][1], "1", "{generates:?}");
    for row in &generates {
        for cell in [2, 3, 5] {
            assert!(row[cell].parse::<f64>().unwrap() > 0.0, "{row:?}");
        }
        assert!(row[4].ends_with(" M") && row[6].ends_with(" M"), "{row:?}");
    }
    // Two runs per size, load and CTAS alternating; progress on stderr.
    assert_eq!(err.matches(", run 2/2: gen load").count(), 2, "{err}");
    assert_eq!(err.matches(", run 2/2: CREATE TABLE AS SELECT").count(), 2, "{err}");
    // Nothing left behind without --keep.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn bench_rejects_a_bad_size() {
    let (code, _, err) = run(&["bench", "--rows", "lots"]);
    assert_eq!(code, 2);
    assert!(err.contains("`lots` is not a size"), "{err}");
}

#[test]
fn bench_loads_a_scenario_beside_the_plain_load() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/scenarios/runaway_integration.yaml"
    );
    let (code, out, err) = run(&[
        "bench",
        "--rows",
        "40K",
        "--compare-threads-up-to",
        "0",
        "--repeat",
        "1",
        "--scenario",
        scenario,
        "--dir",
        path_str(dir.path()),
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("  with --config "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("against the plain load's median"), "{line}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
