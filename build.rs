//! Rebuilds when migrations or SQL files change (refinery embeds `migrations/` at compile time),
//! and generates the list of validation checks from `sql/checks/*.sql`, so that adding a check is
//! adding a file (likewise reports, charts and the calibration report's observing queries).

use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=sql");
    sql_list("checks", "CHECKS", "Every validation check");
    sql_list("reports", "REPORTS", "Every report");
    sql_list(
        "calibration",
        "OBSERVED",
        "Every observing query of the calibration report",
    );
    sql_list(
        "charts",
        "CHARTS",
        "Every chart of `gen report --html` (columns x, series, y)",
    );
}

/// Writes `$OUT_DIR/<dir>.rs` holding `const <name>: &[(&str, &str)]`: (file stem, SQL text) of
/// every `sql/<dir>/*.sql`, sorted by file name, each compiled in with `include_str!`.
fn sql_list(dir: &str, name: &str, what: &str) {
    let mut files: Vec<String> = std::fs::read_dir(Path::new("sql").join(dir))
        .unwrap_or_else(|e| panic!("reading sql/{dir}: {e}"))
        .map(|e| {
            e.expect("readable dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".sql"))
        .collect();
    files.sort();
    let mut out = format!("/// {what}: (name, SQL), sorted by file name.\npub const {name}: &[(&str, &str)] = &[\n");
    for f in &files {
        let stem = f.trim_end_matches(".sql");
        writeln!(
            out,
            "    ({stem:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/sql/{dir}/{f}\"))),"
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR set by cargo")).join(format!("{dir}.rs"));
    std::fs::write(dest, out).expect("write the generated list");
}
