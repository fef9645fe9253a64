//! Config errors that say where (source, line, column), which key path, what was found and what
//! is allowed, in words rather than Rust type names, plus the "did you mean" suggestion for
//! unknown keys. [`deserialize_all`] reports every structural problem of a document at once:
//! serde stops at the first, so each problem is recorded, patched out of a copy of the tree, and
//! the deserialization repeated.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;
use serde_yaml_ng::Value;

/// One problem in a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// File path, `<built-in default>` or `--set …`.
    pub source: String,
    /// 1-based line and column, when known.
    pub location: Option<(usize, usize)>,
    /// Dotted key path, e.g. `services_model.p_convert_after_trial.tasks`; empty for the document.
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn plain(source: &str, message: String) -> Self {
        ConfigError {
            source: source.into(),
            location: None,
            key: String::new(),
            message,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some((line, col)) = self.location {
            write!(f, ":{line}:{col}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// All problems found in one config, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "invalid config: {one}"),
            many => {
                write!(f, "invalid config ({} problems):", many.len())?;
                for e in many {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigErrors {}

/// A YAML parser's message in our words: a number too large for any config value, aliases past
/// the budget, nesting too deep, or a syntax error. Returns the key path the message names (if
/// any) and the message.
pub(super) fn yaml_problem(raw: &str) -> (String, String) {
    let msg = raw.find(" at line ").map_or(raw, |i| &raw[..i]);
    if let Some(number) =
        between(msg, "integer `", "`").filter(|_| msg.contains(" as u128") || msg.contains(" as i128"))
    {
        let key = msg.split_once(": ").map_or("", |(k, _)| k).to_string();
        let key = if key.contains(' ') { String::new() } else { key };
        return (
            key,
            format!("{number} is out of range; allowed: a whole number of at most 18446744073709551615"),
        );
    }
    if msg.ends_with("repetition limit exceeded") {
        return (
            String::new(),
            "YAML aliases (`*name`) expand past the budget of 100 alias uses per node written in the file; allowed: a config that uses aliases sparingly (or not at all)".into(),
        );
    }
    if msg.ends_with("recursion limit exceeded") {
        return (
            String::new(),
            "YAML nesting is deeper than 128 levels; allowed: at most 128 levels of lists and sections".into(),
        );
    }
    (
        String::new(),
        format!(
            "YAML syntax error: {} (check the indentation and the `key: value` layout)",
            in_words(msg)
        ),
    )
}

/// A number in a message, compact: the shortest text that reads back as the same number (so a
/// value just outside a range never prints as the bound), in decimal between 1e-4 and 1e15 and in
/// scientific notation beyond (`1e308`, not 309 digits); `inf`, `-inf` and `NaN` as such.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let a = x.abs();
    if a == 0.0 || (1e-4..1e15).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Rewrites every fractional number of more than 15 characters in backticks (serde's
/// `floating point `1000…0.0``) with [`num`]; whole numbers stay exact.
fn compact_numbers(msg: &str) -> String {
    let mut out = String::new();
    let mut parts = msg.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('`');
        match part.parse::<f64>() {
            Ok(x) if i % 2 == 0 && part.len() > 15 && part.contains(['.', 'e', 'E']) => out.push_str(&num(x)),
            _ => out.push_str(part),
        }
    }
    out
}

/// The most characters of a user's text a message shows.
const SHOWN_CHARS: usize = 40;

/// A user's text for a message, in backticks: control characters escaped (`\u{1b}`) so that
/// nothing drives the terminal, and cut after 40 characters (with the full length) so that a
/// megabyte of text is not printed back.
pub fn shown(s: &str) -> String {
    let n = s.chars().count();
    let mut out = String::from("`");
    for c in s.chars().take(SHOWN_CHARS) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    if n > SHOWN_CHARS {
        out = format!("{}…` ({n} characters)", &out[..out.len() - 1]);
    }
    out
}

/// One segment of a key path.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// A structural problem: where, and what serde said (already in our words).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

/// Deserializes `tree` into `T`, reporting every structural problem (unknown keys, missing keys,
/// wrong types) rather than the first: after each, the offending node is removed or replaced by
/// the value `fallback` (the default config's tree) has at that path, and deserialization runs
/// again. Returns the value of the patched tree (when it could be patched into shape) and the
/// problems; the value is only a stand-in for further checks when there are problems.
pub fn deserialize_all<T: DeserializeOwned>(tree: &Value, fallback: &Value) -> (Option<T>, Vec<Problem>) {
    let mut tree = tree.clone();
    let mut problems: Vec<Problem> = Vec::new();
    for _ in 0..200 {
        match serde_path_to_error::deserialize::<_, T>(tree.clone()) {
            Ok(v) => {
                drop_misspelled(&mut problems);
                return (Some(v), problems);
            }
            Err(e) => {
                let segs: Vec<Seg> = e
                    .path()
                    .iter()
                    .filter_map(|s| match s {
                        Segment::Map { key } => Some(Seg::Key(key.clone())),
                        Segment::Seq { index } => Some(Seg::Index(*index)),
                        _ => None,
                    })
                    .collect();
                let key = key_text(&segs);
                let raw = e.into_inner().to_string();
                let problem = Problem {
                    message: explain(&key, &raw),
                    key,
                };
                if problems.contains(&problem) {
                    drop_misspelled(&mut problems);
                    return (None, problems);
                }
                problems.push(problem);
                if !patch(&mut tree, &segs, &raw, fallback) {
                    drop_misspelled(&mut problems);
                    return (None, problems);
                }
            }
        }
    }
    drop_misspelled(&mut problems);
    (None, problems)
}

/// Drops "missing key `x`" when the same section has an unknown key that suggests `x`: one
/// misspelling is one problem.
fn drop_misspelled(problems: &mut Vec<Problem>) {
    let suggested: Vec<(String, String)> = problems
        .iter()
        .filter_map(|p| {
            let name = between(&p.message, "did you mean `", "`")?;
            let parent = p.key.rsplit_once('.').map_or("", |(parent, _)| parent);
            Some((parent.to_string(), name.to_string()))
        })
        .collect();
    problems.retain(|p| match between(&p.message, "missing key `", "`") {
        Some(name) => !suggested.iter().any(|(parent, s)| *parent == p.key && s == name),
        None => true,
    });
}

fn key_text(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Removes or replaces the node a problem is about; false when nothing can be done.
fn patch(tree: &mut Value, segs: &[Seg], raw: &str, fallback: &Value) -> bool {
    if let Some(name) = between(raw, "missing field `", "`") {
        let mut full = segs.to_vec();
        full.push(Seg::Key(name.to_string()));
        return match get(fallback, &full) {
            Some(v) => set(tree, &full, v.clone()),
            None => false,
        };
    }
    if raw.starts_with("unknown field `") {
        return remove(tree, segs);
    }
    match get(fallback, segs) {
        Some(v) if !segs.is_empty() => set(tree, segs, v.clone()),
        _ => !segs.is_empty() && remove(tree, segs),
    }
}

/// The text between the first `start` in `s` and the next `end`.
fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    rest.find(end).map(|i| &rest[..i])
}

fn key_matches(k: &Value, name: &str) -> bool {
    match k {
        Value::String(s) => s == name,
        Value::Number(n) => n.to_string() == name,
        Value::Bool(b) => b.to_string() == name,
        _ => false,
    }
}

fn child<'a>(node: &'a Value, seg: &Seg) -> Option<&'a Value> {
    match (node, seg) {
        (Value::Mapping(m), Seg::Key(k)) => m.iter().find(|(key, _)| key_matches(key, k)).map(|(_, v)| v),
        (Value::Sequence(s), Seg::Index(i)) => s.get(*i),
        _ => None,
    }
}

fn get<'a>(mut node: &'a Value, segs: &[Seg]) -> Option<&'a Value> {
    for s in segs {
        node = child(node, s)?;
    }
    Some(node)
}

fn parent_mut<'a>(mut node: &'a mut Value, segs: &[Seg]) -> Option<&'a mut Value> {
    for s in &segs[..segs.len().saturating_sub(1)] {
        node = match (node, s) {
            (Value::Mapping(m), Seg::Key(k)) => m.iter_mut().find(|(key, _)| key_matches(key, k)).map(|(_, v)| v)?,
            (Value::Sequence(v), Seg::Index(i)) => v.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

fn set(tree: &mut Value, segs: &[Seg], value: Value) -> bool {
    let Some(last) = segs.last() else { return false };
    match (parent_mut(tree, segs), last) {
        (Some(Value::Mapping(m)), Seg::Key(k)) => {
            let key = m
                .keys()
                .find(|key| key_matches(key, k))
                .cloned()
                .unwrap_or_else(|| Value::String(k.clone()));
            m.insert(key, value);
            true
        }
        (Some(Value::Sequence(v)), Seg::Index(i)) if *i < v.len() => {
            v[*i] = value;
            true
        }
        _ => false,
    }
}

fn remove(tree: &mut Value, segs: &[Seg]) -> bool {
    let Some(last) = segs.last() else { return false };
    match (parent_mut(tree, segs), last) {
        (Some(Value::Mapping(m)), Seg::Key(k)) => {
            let key = m.keys().find(|key| key_matches(key, k)).cloned();
            key.is_some_and(|key| m.remove(&key).is_some())
        }
        (Some(Value::Sequence(v)), Seg::Index(i)) if *i < v.len() => {
            v.remove(*i);
            true
        }
        _ => false,
    }
}

/// Rewrites serde's wording into ours: strips the trailing location (we print it in front), names
/// missing keys, suggests the nearest valid key for an unknown one, and says what was expected in
/// words instead of Rust type names.
fn explain(key: &str, raw: &str) -> String {
    let msg = match raw.find(" at line ") {
        Some(i) => &raw[..i],
        None => raw,
    };
    let parent = key.rsplit_once('.').map_or("", |(p, _)| p);
    let msg = [key, parent]
        .iter()
        .filter(|p| !p.is_empty())
        .find_map(|p| msg.strip_prefix(&format!("{p}: ")))
        .unwrap_or(msg);
    if let Some((found, expected)) = msg
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
    {
        let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let mut out = format!("unknown key {}", shown(found));
        if let Some(best) = nearest(found, &allowed) {
            out.push_str(&format!("; did you mean `{best}`?"));
        }
        if !allowed.is_empty() {
            out.push_str(&format!(" (allowed: {})", allowed.join(", ")));
        }
        return out;
    }
    if let Some(name) = msg
        .strip_prefix("missing field `")
        .and_then(|r| r.split_once('`'))
        .map(|r| r.0)
    {
        return format!("missing key `{name}` (see configs/default.yaml for every key and its meaning)");
    }
    if msg.starts_with("invalid type") || msg.starts_with("invalid value") || msg.starts_with("invalid length") {
        let msg = msg
            .replacen("invalid type: ", "wrong type: found ", 1)
            .replacen("invalid value: ", "wrong value: found ", 1)
            .replacen("invalid length ", "wrong length: found ", 1)
            .replacen(", expected", "; expected", 1);
        return in_words(&msg);
    }
    in_words(msg)
}

/// Replaces Rust type names in serde's messages with what they mean to a config author, and long
/// numbers with compact ones.
fn in_words(msg: &str) -> String {
    let mut out = compact_numbers(&msg.replace(" as u128", "").replace(" as i128", ""));
    // `expected struct RawDataset` and the like: a section.
    while let Some(i) = out.find("struct Raw") {
        let end = out[i + 7..]
            .find(|c: char| !c.is_alphanumeric() && c != '_')
            .map_or(out.len(), |j| i + 7 + j);
        out.replace_range(i..end, "a section of `key: value` lines");
    }
    for (rust, words) in [
        ("expected u64", "expected a whole number >= 0"),
        ("expected u32", "expected a whole number >= 0 (at most 4294967295)"),
        ("expected u16", "expected a whole number >= 0 (at most 65535)"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected unit", "expected nothing"),
        ("expected a borrowed string", "expected a string"),
        ("floating point", "number"),
        ("unit value", "null"),
        ("expected field identifier", "expected a key name"),
    ] {
        out = out.replace(rust, words);
    }
    out
}

/// The allowed name closest to `found`, if it is plausibly a typo of it.
pub fn nearest<'a>(found: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (strsim::damerau_levenshtein(found, a), *a))
        .filter(|(d, a)| *d <= 3.max(a.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_nearest_key() {
        assert_eq!(
            nearest("post90_daily_chrn", &["post90_daily_churn", "retention_targets"]),
            Some("post90_daily_churn")
        );
        assert_eq!(nearest("zzzzzzzzzzzzzzzzzzzzzz", &["seed"]), None);
    }

    #[test]
    fn explains_unknown_field() {
        let m = explain(
            "dataset.sed",
            "dataset: unknown field `sed`, expected one of `seed`, `start_date` at line 3 column 3",
        );
        assert_eq!(m, "unknown key `sed`; did you mean `seed`? (allowed: seed, start_date)");
    }

    #[test]
    fn no_rust_type_names() {
        assert_eq!(
            explain("a", "invalid type: string \"x\", expected struct RawDataset"),
            "wrong type: found string \"x\"; expected a section of `key: value` lines"
        );
        assert_eq!(
            explain(
                "a",
                "invalid value: integer `18446744073709551616` as u128, expected u64"
            ),
            "wrong value: found integer `18446744073709551616`; expected a whole number >= 0"
        );
        assert_eq!(
            explain("a", "invalid type: floating point `1.5`, expected u32"),
            "wrong type: found number `1.5`; expected a whole number >= 0 (at most 4294967295)"
        );
    }

    #[test]
    fn numbers_are_compact_and_exact() {
        for (x, text) in [
            (1e308, "1e308"),
            (1e-300, "1e-300"),
            (-1e-300, "-1e-300"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "NaN"),
            (0.0, "0"),
            (1000000.0, "1000000"),
            (0.85, "0.85"),
            (1.0000001, "1.0000001"),
            (123456789012345.0, "123456789012345"),
            (1e15, "1e15"),
            (0.0001, "0.0001"),
            (0.00001, "1e-5"),
            (1.5e-7, "1.5e-7"),
        ] {
            assert_eq!(num(x), text, "{x:?}");
            if x.is_finite() {
                assert_eq!(text.parse::<f64>().unwrap(), x, "reads back");
            }
        }
        let long = format!(
            "floating point `{}.0`, expected u64",
            "1".to_string() + &"0".repeat(308)
        );
        assert_eq!(in_words(&long), "number `1e308`, expected a whole number >= 0");
        assert_eq!(compact_numbers("`1.5` and `x` and `1e5`"), "`1.5` and `x` and `1e5`");
        let exact = "integer `18446744073709551616`";
        assert_eq!(compact_numbers(exact), exact);
    }

    #[test]
    fn user_text_is_escaped_and_cut() {
        assert_eq!(shown("whatsapp"), "`whatsapp`");
        assert_eq!(shown("a\u{1b}[2Jb\0"), "`a\\u{1b}[2Jb\\u{0}`");
        assert_eq!(shown(&"é".repeat(41)), format!("`{}…` (41 characters)", "é".repeat(40)));
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        a: u32,
        b: f64,
        c: String,
    }

    #[test]
    fn reports_every_structural_problem() {
        let tree: Value = serde_yaml_ng::from_str("a: x\nbb: 1\nb: [1]\n").unwrap();
        let fallback: Value = serde_yaml_ng::from_str("a: 1\nb: 2.0\nc: s\n").unwrap();
        let (v, problems) = deserialize_all::<T>(&tree, &fallback);
        assert_eq!(v.map(|t| t.a), Some(1), "patched from the fallback");
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["a", "bb", "b", ""], "{problems:?}");
        assert!(problems[3].message.contains("missing key `c`"), "{problems:?}");
    }
}
