//! `--set key.path=value` and `--seed` overrides, applied to the parsed YAML tree before it is
//! deserialized, so an override is checked exactly like the same value written in the file.

use serde_yaml_ng::{Mapping, Value};

use super::error::{self, ConfigError, ConfigErrors, nearest};
use super::raw::RawConfig;

/// Maps whose keys are the user's to choose: `--set` may add a new key under them.
const OPEN_MAPS: [&str; 2] = ["chats.chat_types", "services_model.retention_targets"];

#[derive(Debug, Clone)]
pub struct Override {
    /// As the user wrote it, e.g. `--set accounts.n_accounts=200000`; used as the error source.
    pub origin: String,
    pub path: Vec<String>,
    pub value: Value,
}

impl Override {
    pub fn seed(seed: u64) -> Self {
        Override {
            origin: format!("--seed {seed}"),
            path: vec!["dataset".into(), "seed".into()],
            value: Value::Number(seed.into()),
        }
    }

    pub fn key(&self) -> String {
        self.path.join(".")
    }
}

pub fn parse_all(sets: &[String]) -> Result<Vec<Override>, ConfigErrors> {
    let (ok, errs): (Vec<_>, Vec<_>) = sets.iter().map(|s| parse(s)).partition(Result::is_ok);
    if errs.is_empty() {
        Ok(ok.into_iter().map(Result::unwrap).collect())
    } else {
        Err(ConfigErrors(errs.into_iter().map(Result::unwrap_err).collect()))
    }
}

fn parse(set: &str) -> Result<Override, ConfigError> {
    let origin = format!("--set {set}");
    let Some((path, value)) = set.split_once('=') else {
        return Err(ConfigError::plain(
            &origin,
            "expected key.path=value, e.g. accounts.n_accounts=500".into(),
        ));
    };
    let path: Vec<String> = path.trim().split('.').map(str::to_string).collect();
    if path.iter().any(String::is_empty) {
        return Err(ConfigError::plain(
            &origin,
            "empty segment in key path; expected key.path=value".into(),
        ));
    }
    let value = serde_yaml_ng::from_str::<Value>(value).map_err(|e| {
        let mut err = ConfigError::plain(&origin, format!("value does not parse as YAML: {e}"));
        err.key = path.join(".");
        err
    })?;
    Ok(Override { origin, path, value })
}

/// Applies the overrides to the YAML tree of `text` and deserializes the result.
pub fn apply(text: &str, overrides: &[Override]) -> Result<RawConfig, ConfigErrors> {
    let mut tree: Value =
        serde_yaml_ng::from_str(text).map_err(|e| ConfigError::plain("config", format!("YAML does not parse: {e}")))?;
    let mut errors = Vec::new();
    for o in overrides {
        if let Err(message) = set_path(&mut tree, &o.path, o.value.clone()) {
            errors.push(ConfigError {
                source: o.origin.clone(),
                location: None,
                key: o.key(),
                message,
            });
        }
    }
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    // A wrong type is blamed on the override that put the value there.
    error::from_yaml_value::<RawConfig>("--set", tree).map_err(|mut e| {
        if let Some(o) = overrides
            .iter()
            .rev()
            .find(|o| e.key == o.key() || e.key.starts_with(&format!("{}.", o.key())))
        {
            e.source = o.origin.clone();
        }
        e.into()
    })
}

fn set_path(tree: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let mut node = tree;
    for (depth, segment) in path.iter().enumerate() {
        let parent = path[..depth].join(".");
        let Value::Mapping(map) = node else {
            return Err(format!("`{parent}` is not a section, so it has no key `{segment}`"));
        };
        let last = depth + 1 == path.len();
        let existing = find_key(map, segment);
        let key = match existing {
            Some(k) => k,
            None if last && OPEN_MAPS.contains(&parent.as_str()) => {
                // New entry in an open map: numeric-looking keys stay numbers (retention days).
                serde_yaml_ng::from_str::<Value>(segment).unwrap_or(Value::String(segment.clone()))
            }
            None => {
                let names: Vec<String> = map.keys().map(key_name).collect();
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let mut msg = if parent.is_empty() {
                    format!("unknown key `{segment}`")
                } else {
                    format!("unknown key `{segment}` under `{parent}`")
                };
                if let Some(best) = nearest(segment, &refs) {
                    msg.push_str(&format!("; did you mean `{best}`?"));
                }
                msg.push_str(&format!(" (allowed: {})", refs.join(", ")));
                return Err(msg);
            }
        };
        if last {
            map.insert(key, value);
            return Ok(());
        }
        node = map.get_mut(&key).expect("key was just found");
    }
    Ok(())
}

fn find_key(map: &Mapping, segment: &str) -> Option<Value> {
    map.keys().find(|k| key_name(k) == segment).cloned()
}

fn key_name(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nested_value() {
        let mut tree: Value = serde_yaml_ng::from_str("a:\n  b: 1\n").unwrap();
        set_path(&mut tree, &["a".into(), "b".into()], Value::Number(2.into())).unwrap();
        assert_eq!(serde_yaml_ng::to_string(&tree).unwrap(), "a:\n  b: 2\n");
    }

    #[test]
    fn unknown_key_suggests() {
        let mut tree: Value = serde_yaml_ng::from_str("accounts:\n  n_accounts: 1\n").unwrap();
        let err = set_path(&mut tree, &["accounts".into(), "n_acounts".into()], Value::Null).unwrap_err();
        assert_eq!(
            err,
            "unknown key `n_acounts` under `accounts`; did you mean `n_accounts`? (allowed: n_accounts)"
        );
    }

    #[test]
    fn rejects_missing_equals() {
        assert!(parse("accounts.n_accounts").is_err());
        assert_eq!(parse("a.b=3").unwrap().path, vec!["a", "b"]);
    }
}
