//! Reading a detector's predictions — a CSV or Parquet file, or `table:NAME` in the database —
//! into the temporary table `_gen_score_input`, after checking them whole: the columns a grain allows,
//! every value's type, one row per unit, and every unit one of the dataset's. The first problem
//! found is the error, naming the file, the line (or row), the column and what is allowed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use duckdb::{Connection, OptionalExt};

use super::{Grain, services};
use crate::db::output::escape_controls;

/// Where predictions come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    File(PathBuf),
    /// A table or view in the scored database.
    Table(String),
}

impl Source {
    /// `table:NAME` or a file path.
    pub fn parse(s: &str) -> Source {
        match s.strip_prefix("table:") {
            Some(name) => Source::Table(name.to_string()),
            None => Source::File(PathBuf::from(s)),
        }
    }

    /// As the user wrote it.
    pub fn shown(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Table(t) => format!("table:{t}"),
        }
    }
}

/// What was read.
#[derive(Debug, Clone)]
pub struct Predictions {
    pub rows: u64,
    pub has_score: bool,
    pub has_flag: bool,
    /// SHA-256 of the predictions as read: one line per unit in key order, the fields
    /// account_id, date, service, chat_id, score, flag, named service joined by commas.
    pub sha256: String,
}

/// A table name gen may read predictions from or write them to: a plain SQL identifier.
pub fn check_table_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        bail!(
            "table:{name}: allowed: a table name of at most 63 lower-case letters, digits and _ (not starting with a digit)"
        );
    }
    Ok(())
}

/// The rows read before the whole input, so that a problem near the top (a duplicate at line 2,050
/// of a 30 M-row file) is reported without reading the rest: each stage reads the first rows
/// again (at most about a million more than one whole read), the last reads everything.
const STAGES: [Option<u64>; 3] = [Some(1 << 16), Some(1 << 20), None];

/// Reads and checks predictions at `grain` into `_gen_score_input`; `_gen_score_units` must exist.
/// DuckDB reads them within its memory limit, spilling beyond it (the CSV's lines are counted
/// here a buffer at a time, only to name the line of a problem).
pub fn read(conn: &Connection, source: &Source, grain: Grain) -> Result<Predictions> {
    let shown = source.shown();
    let (relation, csv) = relation(conn, source)?;
    let csv_path = match source {
        Source::File(path) if csv => Some(path.as_path()),
        _ => None,
    };
    let read_error = |e: duckdb::Error| {
        let msg = e.to_string();
        if let Some(path) = csv_path {
            if let Some((line, n, header)) = csv_ragged(path) {
                return anyhow::anyhow!(
                    "{shown}, line {line}: {n} fields where the header has {header}; allowed: the header's fields in every row"
                );
            }
            if msg.contains("Maximum line size")
                && let Some((line, bytes)) = csv_long_line(path, MAX_LINE_SIZE)
            {
                return anyhow::anyhow!(
                    "{shown}, line {line}: a row of {bytes} bytes; allowed: rows of at most {MAX_LINE_SIZE} bytes"
                );
            }
        }
        let what = match (source, csv) {
            (Source::Table(_), _) => "allowed: a table or view that can be read",
            (_, true) => "allowed: a UTF-8 CSV file with a header row and the same fields in every row",
            (_, false) => "allowed: a Parquet file",
        };
        anyhow::anyhow!("reading predictions {shown}: {}; {what}", first_line(&msg))
    };
    let position = |rowid: i64| match csv_path.and_then(|path| csv_line(path, rowid)) {
        Some(line) => format!("line {line}"),
        None => format!("row {}", rowid + 1),
    };
    let at = |rowid: i64| format!("{shown}, {}", position(rowid));

    let keys = grain.keys();
    let optional: &[&str] = match grain {
        Grain::AccountServiceDay => &["score", "flag"],
        Grain::ChatDay => &["score", "flag", "service", "account_id"],
        _ => &["score", "flag", "service"],
    };
    let allowed: Vec<&str> = keys.iter().chain(optional).copied().collect();
    let unknown = |columns: &[String]| -> Result<()> {
        let mut unknown = columns.iter().filter(|c| !allowed.contains(&c.as_str()));
        let Some(c) = unknown.next() else { return Ok(()) };
        let hint = allowed
            .iter()
            .find(|a| strsim::levenshtein(a, c) <= 2)
            .map(|a| format!(" (did you mean `{a}`?)"))
            .unwrap_or_default();
        let others = match unknown.count() {
            0 => String::new(),
            n => format!(" (and {n} more unknown)"),
        };
        bail!(
            "{shown}: unknown column `{}`{hint}{others}; allowed at --grain {}: {}",
            escape_controls(c),
            grain.name(),
            allowed.join(", ")
        )
    };
    // A header far wider than any grain allows is refused from its own text: DuckDB's sniffer
    // would need gigabytes for 10,000 columns before naming one.
    if let Some(header) = csv_path.and_then(csv_header)
        && header.len() > 2 * allowed.len()
    {
        unknown(&header)?;
        bail!(
            "{shown}: {} columns; allowed at --grain {}: each of {} at most once",
            header.len(),
            grain.name(),
            allowed.join(", ")
        );
    }
    // The columns first, as DuckDB binds the input (its sniffer reads a sample, not the rows).
    let columns: Vec<String> = (|| {
        let mut stmt = conn.prepare(&format!("SELECT column_name FROM (DESCRIBE SELECT * FROM {relation})"))?;
        stmt.query_map([], |r| r.get(0))?.collect::<duckdb::Result<_>>()
    })()
    .map_err(read_error)?;
    if let [only] = columns.as_slice()
        && only.contains([',', ';', '\t', '|'])
    {
        if let Some((line, n, header)) = csv_path.and_then(csv_ragged) {
            bail!(
                "{shown}, line {line}: {n} fields where the header has {header}; allowed: the header's fields in every row"
            );
        }
        bail!(
            "{shown}: the header `{}` does not split into columns like the rows do (a row with more or fewer fields than the header, or a trailing separator); allowed: the same fields in every row",
            escape_controls(only)
        );
    }
    for c in &columns {
        if let Some((base, n)) = c.rsplit_once('_')
            && n.chars().all(|d| d.is_ascii_digit())
            && columns.iter().any(|x| x == base)
        {
            bail!(
                "{shown}: column `{}` appears more than once; allowed: each column once",
                escape_controls(base)
            );
        }
        if c.starts_with("column") && c[6..].chars().all(|d| d.is_ascii_digit()) && !c[6..].is_empty() {
            bail!(
                "{shown}: a column has no name (such as a pandas index: write with index=False); allowed at --grain {}: {}",
                grain.name(),
                allowed.join(", ")
            );
        }
    }
    unknown(&columns)?;
    let has = |c: &str| columns.iter().any(|x| x == c);
    for k in keys {
        if !has(k) {
            bail!(
                "{shown}: missing column `{k}`; --grain {} needs {} and a score or flag column",
                grain.name(),
                keys.join(", ")
            );
        }
    }
    let (has_score, has_flag) = (has("score"), has("flag"));
    if !has_score && !has_flag {
        bail!("{shown}: missing column `score` or `flag`; allowed: either or both (score a number, flag 0 or 1)");
    }

    // Every value, column by column: (column, condition of a bad value, problem, what is allowed).
    let names = services();
    let services = names.map(|s| format!("'{s}'")).join(", ");
    let mut rules: Vec<(&str, String, &str, String)> = Vec::new();
    for k in keys
        .iter()
        .chain(["account_id"].iter().filter(|c| *c != &keys[0] && has(c)))
    {
        rules.push((
            k,
            format!("{k} IS NULL OR trim({k}::VARCHAR) = ''"),
            "is empty",
            "a value in every row".into(),
        ));
        let (cond, problem, what) = match *k {
            "date" => (
                "NOT regexp_full_match(trim(date::VARCHAR), '[0-9]{4}-[0-9]{2}-[0-9]{2}') OR TRY_CAST(trim(date::VARCHAR) AS DATE) IS NULL".to_string(),
                "is not a date",
                "an ISO date such as 2025-03-01".to_string(),
            ),
            "service" => (
                format!("trim(service::VARCHAR) NOT IN ({services})"),
                "is not a service",
                names.join(", "),
            ),
            id => (
                format!("NOT regexp_full_match(trim({id}::VARCHAR), '[0-9]{{1,18}}')"),
                "is not a whole number",
                format!("an {id} of the dataset, digits only (no decimal point or exponent)"),
            ),
        };
        rules.push((k, cond, problem, what));
    }
    if has_score {
        let v = "TRY_CAST(trim(score::VARCHAR) AS DOUBLE)";
        rules.push((
            "score",
            format!("{v} IS NULL"),
            "is not a number",
            "a finite number in every row".into(),
        ));
        rules.push(("score", format!("isnan({v})"), "is NaN", "a finite number".into()));
        rules.push(("score", format!("isinf({v})"), "is infinite", "a finite number".into()));
    }
    if has_flag {
        rules.push((
            "flag",
            "flag IS NULL OR lower(trim(flag::VARCHAR)) NOT IN ('0', '1', 'true', 'false')".into(),
            "is not a flag",
            "0, 1, true or false in every row".into(),
        ));
    }
    if has("service") && grain != Grain::AccountServiceDay {
        rules.push((
            "service",
            format!("service IS NOT NULL AND trim(service::VARCHAR) NOT IN ('', {services})"),
            "is not a service",
            format!("{} or empty", names.join(", ")),
        ));
    }

    // Normalised: the four key columns of _gen_score_units ('' and -1 where the grain has none).
    let text = |c: &str| format!("trim({c}::VARCHAR)");
    let account = if has("account_id") {
        format!("CAST({} AS BIGINT)", text("account_id"))
    } else if grain == Grain::PlatformDay {
        "-1::BIGINT".into()
    } else {
        "NULL::BIGINT".into()
    };
    let service = if grain == Grain::AccountServiceDay {
        text("service")
    } else {
        "''".into()
    };
    let chat = if grain == Grain::ChatDay {
        format!("CAST({} AS BIGINT)", text("chat_id"))
    } else {
        "-1::BIGINT".into()
    };
    let flag = "lower(trim(flag::VARCHAR)) IN ('1', 'true')";
    let (score, flag) = match (has_score, has_flag) {
        (true, true) => (format!("CAST({} AS DOUBLE)", text("score")), flag.to_string()),
        (true, false) => (format!("CAST({} AS DOUBLE)", text("score")), "NULL::BOOLEAN".into()),
        _ => (format!("({flag})::DOUBLE"), flag.to_string()),
    };
    let pservice = match grain {
        Grain::AccountServiceDay => text("service"),
        _ if has("service") => format!("nullif({}, '')", text("service")),
        _ => "NULL::VARCHAR".into(),
    };
    // One pass over the rows for every rule: the first row breaking each, and how many do.
    let probes: Vec<String> = rules
        .iter()
        .map(|(_, cond, _, _)| format!("min(rowid) FILTER (WHERE {cond}), count(*) FILTER (WHERE {cond})"))
        .collect();

    for stage in STAGES {
        let limit = stage.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE _gen_score_raw AS SELECT * FROM {relation}{limit}"
        ))
        .map_err(read_error)?;
        let rows: i64 = conn.query_row("SELECT count(*) FROM _gen_score_raw", [], |r| r.get(0))?;
        // Whether this stage read everything; otherwise counts are of the rows read so far.
        let whole = stage.is_none_or(|n| (rows as u64) < n);
        let more = |n: i64, what: &str| match (n > 1, whole) {
            (false, _) => String::new(),
            (true, true) => format!(" ({n} {what})"),
            (true, false) => format!(" (at least {n} {what})"),
        };
        if rows == 0 {
            bail!("{shown}: no predictions (a header and no rows); allowed: at least one row");
        }

        let found: Vec<(Option<i64>, i64)> = conn
            .query_row(&format!("SELECT {} FROM _gen_score_raw", probes.join(", ")), [], |r| {
                (0..rules.len())
                    .map(|i| Ok((r.get(2 * i)?, r.get(2 * i + 1)?)))
                    .collect()
            })
            .with_context(|| format!("checking {shown}'s values"))?;
        if let Some(((col, _, problem, what), (Some(rowid), n))) =
            rules.iter().zip(found).find(|(_, (first, _))| first.is_some())
        {
            let value: Option<String> = conn.query_row(
                &format!("SELECT {col}::VARCHAR FROM _gen_score_raw WHERE rowid = ?"),
                [rowid],
                |r| r.get(0),
            )?;
            let value = value
                .map(|v| format!("`{}`", escape_controls(&v)))
                .unwrap_or_else(|| "(empty)".into());
            bail!(
                "{}: {col} {value} {problem}{}; allowed: {what}",
                at(rowid),
                more(n, "rows like it")
            );
        }

        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE _gen_score_input AS
             SELECT rowid AS row_id, {account} AS account_id, CAST(trim(date::VARCHAR) AS DATE) AS date,
                    {service} AS service, {chat} AS chat_id, {score} AS score, {flag} AS flag, {pservice} AS pservice
             FROM _gen_score_raw;
             DROP TABLE _gen_score_raw"
        ))
        .with_context(|| format!("normalising {shown}"))?;

        // The first row that repeats an earlier unit (a reader going down the file meets it
        // there), and that unit's first row: every unit's first row is kept by DuckDB's
        // aggregate, which spills beyond the memory limit.
        let dup: Option<(i64, i64, i64)> = conn
            .query_row(
                "WITH d AS (
                     SELECT account_id, date, service, chat_id, min(row_id) AS first
                     FROM _gen_score_input GROUP BY ALL HAVING count(*) > 1)
                 SELECT p.row_id, d.first, (SELECT count(*) FROM d)
                 FROM _gen_score_input p JOIN d
                   ON p.account_id IS NOT DISTINCT FROM d.account_id AND p.date = d.date
                  AND p.service = d.service AND p.chat_id = d.chat_id AND p.row_id > d.first
                 ORDER BY p.row_id LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .context("looking for duplicate units")?;
        if let Some((again, first, n)) = dup {
            let unit = describe_unit(conn, first)?;
            let hint = if grain == Grain::AccountDay && has("service") {
                " (one row per service? that is --grain account_service_day)"
            } else {
                ""
            };
            bail!(
                "{}: {unit} appears again at {}{}{hint}; allowed: one row per unit of --grain {}",
                at(first),
                position(again),
                more(n, "units appear more than once"),
                grain.name()
            );
        }

        // Every unit must be one of the dataset's (at chat_day, an account_id given must own the chat).
        let same_account = if grain == Grain::ChatDay && !has("account_id") {
            ""
        } else {
            "AND u.account_id = p.account_id"
        };
        let outside: Option<(i64, i64)> = conn
            .query_row(
                &format!(
                    "SELECT min(row_id), count(*) FROM _gen_score_input p
                     WHERE NOT EXISTS (SELECT 1 FROM _gen_score_units u
                         WHERE u.date = p.date AND u.service = p.service AND u.chat_id = p.chat_id {same_account})
                     HAVING count(*) > 0"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .context("matching the predictions to the dataset's units")?;
        if let Some((row, n)) = outside {
            let unit = describe_unit(conn, row)?;
            bail!(
                "{}: {unit} is not a unit of the dataset{}; allowed at --grain {}: {}",
                at(row),
                more(n, "rows like it"),
                grain.name(),
                units_help(grain)
            );
        }
        if !whole {
            continue;
        }
        if grain == Grain::ChatDay && !has("account_id") {
            conn.execute_batch(
                "UPDATE _gen_score_input p SET account_id = u.account_id FROM _gen_score_units u
                 WHERE u.chat_id = p.chat_id AND u.date = p.date",
            )
            .context("finding each chat's account")?;
        }
        let sha256 = hash(conn).context("hashing the predictions")?;
        return Ok(Predictions {
            rows: rows as u64,
            has_score,
            has_flag,
            sha256,
        });
    }
    unreachable!("the last stage reads the whole input")
}

/// SHA-256 of the normalised predictions: one line per unit in key order, the fields account_id,
/// date, service, chat_id, score, flag (0/1), named service joined by commas (empty for none),
/// each line ending in a newline.
fn hash(conn: &Connection) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut stmt = conn.prepare(
        "SELECT concat(account_id, ',', date, ',', service, ',', chat_id, ',', coalesce(score::VARCHAR, ''), ',',
                       coalesce(flag::INTEGER::VARCHAR, ''), ',', coalesce(pservice, ''), chr(10))
         FROM _gen_score_input ORDER BY account_id, date, service, chat_id",
    )?;
    let mut hasher = Sha256::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        hasher.update(r.get_ref(0)?.as_str()?.as_bytes());
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// The relation to read, and whether it is a CSV file (whose rows are lines after a header).
fn relation(conn: &Connection, source: &Source) -> Result<(String, bool)> {
    match source {
        Source::Table(name) => {
            check_table_name(name)?;
            let Some((table, _)) = crate::db::find_table(conn, name)? else {
                bail!("table:{name}: no such table or view in the database");
            };
            Ok((crate::db::in_database(conn, &table)?, false))
        }
        Source::File(path) => {
            let text = path.to_string_lossy();
            if text.contains(['*', '?', '[']) {
                bail!(
                    "predictions {}: allowed: a file name without *, ? or [ (DuckDB would read it as a pattern of several files)",
                    path.display()
                );
            }
            match std::fs::metadata(path) {
                Err(_) => bail!(
                    "predictions {}: no such file; allowed: a .csv, .parquet or .pq file, or table:NAME",
                    path.display()
                ),
                Ok(m) if !m.is_file() => bail!(
                    "predictions {}: is not a regular file (a directory, pipe or device); allowed: a .csv, .parquet or .pq file",
                    path.display()
                ),
                Ok(m) if m.len() == 0 => bail!(
                    "predictions {}: is empty; allowed: a header row and one row per unit",
                    path.display()
                ),
                Ok(_) => {}
            }
            let quoted = crate::db::sql_path(path);
            match crate::outfile::extension(path).as_deref() {
                Some("csv") => Ok((
                    format!("read_csv('{quoted}', header = true, all_varchar = true, skip = 0)"),
                    true,
                )),
                Some("parquet" | "pq") => Ok((format!("read_parquet('{quoted}')"), false)),
                _ => bail!(
                    "{}: cannot tell the format from the name; allowed: a .csv, .parquet or .pq file, or table:NAME",
                    path.display()
                ),
            }
        }
    }
}

/// DuckDB's longest CSV row by default (`max_line_size`), in bytes.
const MAX_LINE_SIZE: u64 = 2_000_000;

/// One record of a CSV file as DuckDB reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Record {
    /// The line where it starts (1 = the file's first).
    line: usize,
    fields: usize,
    /// Its length in bytes, line breaks inside quotes included.
    bytes: u64,
}

/// Calls `each` with the records of a CSV file as DuckDB reads them, the header first, until it
/// returns false; the file is read a buffer at a time, so memory does not grow with it. Blank
/// lines and lines starting with `#` are skipped; a quoted field may span lines. None if the file
/// cannot be read.
fn scan_records(path: &Path, mut each: impl FnMut(Record) -> bool) -> Option<()> {
    use std::io::{BufRead, Read};
    // The delimiter: the separator the header (its first MB) holds most of.
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_end(&mut head)
        .ok()?;
    let header_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let delimiter = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| head[..header_end].iter().filter(|&&b| b == *d).count())?;
    let mut file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path).ok()?);
    let mut r = Record {
        line: 1,
        fields: 1,
        bytes: 0,
    };
    let mut line = 1usize;
    let (mut in_quotes, mut content, mut comment) = (false, false, false);
    loop {
        let buf = file.fill_buf().ok()?;
        if buf.is_empty() {
            break;
        }
        for &b in buf {
            r.bytes += 1;
            match b {
                b'\n' if !in_quotes => {
                    // The record's bytes without the line break that ends it.
                    if content
                        && !each(Record {
                            bytes: r.bytes - 1,
                            ..r
                        })
                    {
                        return Some(());
                    }
                    line += 1;
                    r = Record {
                        line,
                        fields: 1,
                        bytes: 0,
                    };
                    (content, comment) = (false, false);
                }
                b'\n' => line += 1,
                _ if comment => {}
                b'"' => {
                    in_quotes = !in_quotes;
                    content = true;
                }
                b'#' if !content => comment = true,
                b'\r' | b' ' | b'\t' if b != delimiter && !content => {}
                _ if b == delimiter && !in_quotes => {
                    r.fields += 1;
                    content = true;
                }
                _ => content = true,
            }
        }
        let n = buf.len();
        file.consume(n);
    }
    if content {
        each(r);
    }
    Some(())
}

/// The names in a CSV file's header (its first line that is neither blank nor a `#` comment,
/// within the file's first MB), trimmed and unquoted: enough to name the columns of a file too
/// wide to hand to DuckDB.
fn csv_header(path: &Path) -> Option<Vec<String>> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_end(&mut head)
        .ok()?;
    let text = String::from_utf8_lossy(&head);
    let line = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let delimiter = [',', ';', '\t', '|']
        .into_iter()
        .max_by_key(|d| line.matches(*d).count())?;
    Some(
        line.split(delimiter)
            .map(|f| f.trim().trim_matches('"').to_string())
            .collect(),
    )
}

/// The line of a CSV file where data record `record` (0 = the first after the header) starts.
fn csv_line(path: &Path, record: i64) -> Option<usize> {
    let target = usize::try_from(record + 1).ok()?;
    let (mut i, mut found) = (0usize, None);
    scan_records(path, |r| {
        if i == target {
            found = Some(r.line);
        }
        i += 1;
        found.is_none()
    })?;
    found
}

/// The first record whose number of fields differs from the header's: (line, fields, header's).
fn csv_ragged(path: &Path) -> Option<(usize, usize, usize)> {
    let (mut header, mut found) = (None, None);
    scan_records(path, |r| {
        match header {
            None => header = Some(r.fields),
            Some(h) if r.fields != h => found = Some((r.line, r.fields, h)),
            Some(_) => {}
        }
        found.is_none()
    })?;
    found
}

/// The first record longer than `max` bytes: (line, bytes).
fn csv_long_line(path: &Path, max: u64) -> Option<(usize, u64)> {
    let mut found = None;
    scan_records(path, |r| {
        if r.bytes > max {
            found = Some((r.line, r.bytes));
        }
        found.is_none()
    })?;
    found
}

/// A unit of _gen_score_input (by row), as a reader would name it.
fn describe_unit(conn: &Connection, row: i64) -> Result<String> {
    let (account, date, service, chat): (Option<i64>, String, String, i64) = conn.query_row(
        "SELECT account_id, date::VARCHAR, service, chat_id FROM _gen_score_input WHERE row_id = ?",
        [row],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut parts = Vec::new();
    if chat >= 0 {
        parts.push(format!("chat {chat}"));
    }
    match account {
        Some(a) if a >= 0 => parts.push(format!("account {a}")),
        _ => {}
    }
    if !service.is_empty() {
        parts.push(format!("service {service}"));
    }
    parts.push(format!("on {date}"));
    Ok(if parts.len() == 1 {
        format!("the day {date}")
    } else {
        parts.join(" ")
    })
}

fn units_help(grain: Grain) -> &'static str {
    match grain {
        Grain::AccountDay => "an account on a day it exists (account_days)",
        Grain::AccountServiceDay => {
            "an account's dialog on a day it exists, or a paid service on a day of its subscription or with usage"
        }
        Grain::ChatDay => "a chat on a day it has a chat_days row (account_id, if given, its owner)",
        Grain::PlatformDay => "a day of the dataset's range",
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn records_are_counted_as_duckdb_reads_them() {
        let f = file("a,b\n# comment\n\n1,\"x\ny\"\n2,3,4\n5,6");
        let mut seen = Vec::new();
        scan_records(f.path(), |r| {
            seen.push((r.line, r.fields, r.bytes));
            true
        })
        .unwrap();
        assert_eq!(seen, [(1, 2, 3), (4, 2, 7), (6, 3, 5), (7, 2, 3)]);
        assert_eq!(csv_line(f.path(), 0), Some(4));
        assert_eq!(csv_line(f.path(), 2), Some(7));
        assert_eq!(csv_line(f.path(), 3), None);
        assert_eq!(csv_ragged(f.path()), Some((6, 3, 2)));
        assert_eq!(csv_long_line(f.path(), 6), Some((4, 7)));
        assert_eq!(csv_long_line(f.path(), 7), None);
    }
}
