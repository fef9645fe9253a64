//! Config errors that say where (source, line, column), which key path, what was found and what
//! is allowed, plus the "did you mean" suggestion for unknown keys.

use std::fmt;

use serde::de::DeserializeOwned;

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

/// Deserializes YAML text, turning serde's message into a [`ConfigError`] with location, key path
/// and a suggestion for unknown keys.
pub fn from_yaml_str<T: DeserializeOwned>(source: &str, text: &str) -> Result<T, ConfigError> {
    let de = serde_yaml_ng::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let raw_path = e.path().to_string();
        let key = key_path(e.path());
        let inner = e.into_inner();
        let location = inner.location().map(|l| (l.line(), l.column()));
        let mut message = explain(&key, &inner.to_string());
        // An unknown path segment means the parser, not a field, failed: a syntax error.
        if raw_path.split('.').any(|s| s == "?") {
            message = format!("YAML syntax error: {message} (check the indentation and the `key: value` layout)");
        }
        ConfigError {
            source: source.into(),
            location,
            key,
            message,
        }
    })
}

/// Deserializes an already-parsed YAML value (after `--set` overrides).
pub fn from_yaml_value<T: DeserializeOwned>(source: &str, value: serde_yaml_ng::Value) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let key = key_path(e.path());
        let inner = e.into_inner();
        let message = explain(&key, &inner.to_string());
        ConfigError {
            source: source.into(),
            location: None,
            key,
            message,
        }
    })
}

fn key_path(path: &serde_path_to_error::Path) -> String {
    let s = path.to_string();
    let known: Vec<&str> = s.split('.').filter(|seg| *seg != "?" && !seg.is_empty()).collect();
    known.join(".")
}

/// Rewrites serde's wording into ours: strips the trailing location (we print it in front), names
/// missing sections, and suggests the nearest valid key for an unknown one.
fn explain(key: &str, raw: &str) -> String {
    // serde_yaml_ng appends " at line L column C" and may prefix the path; we print both in front.
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
        let mut out = format!("unknown key `{found}`");
        if let Some(best) = nearest(found, &allowed) {
            out.push_str(&format!("; did you mean `{best}`?"));
        }
        if !allowed.is_empty() {
            out.push_str(&format!(" (allowed: {})", allowed.join(", ")));
        }
        return out;
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.trim_end_matches('`');
        return format!("missing key `{name}` (every key of configs/default.yaml is required)");
    }
    if msg.starts_with("invalid type") || msg.starts_with("invalid value") {
        return msg
            .replacen("invalid type: ", "wrong type: found ", 1)
            .replacen("invalid value: ", "wrong value: found ", 1)
            .replacen(", expected", "; expected", 1);
    }
    msg.to_string()
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
}
