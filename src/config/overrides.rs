//! `--set key.path=value` and `--seed` overrides, applied to the parsed YAML tree before it is
//! deserialized, so an override is checked exactly like the same value written in the file.

use serde_yaml_ng::{Mapping, Value};

use super::error::{ConfigError, ConfigErrors, nearest};

/// Maps whose keys are the user's to choose: `--set` may add a new key under them.
const OPEN_MAPS: [&str; 1] = ["chats.chat_type_weights"];

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
    let value = super::yaml::parse_yaml(&origin, value).map_err(|mut err| {
        err.message = err
            .message
            .replacen("YAML syntax error: ", "the value does not parse as YAML: ", 1);
        err.location = None;
        err.key = path.join(".");
        err
    })?;
    Ok(Override { origin, path, value })
}

/// Applies the overrides to `tree`. A key the file leaves out but the default config has (an
/// optional extension key, say) may be set; other unknown keys are errors.
pub fn apply(tree: &mut Value, overrides: &[Override], defaults: &Value) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    for o in overrides {
        if let Err(message) = set_path(tree, &o.path, o.value.clone(), Some(defaults)) {
            errors.push(ConfigError {
                source: o.origin.clone(),
                location: None,
                key: o.key(),
                message,
            });
        }
    }
    errors
}

fn set_path(tree: &mut Value, path: &[String], value: Value, defaults: Option<&Value>) -> Result<(), String> {
    let mut node = tree;
    let mut known = defaults;
    for (depth, segment) in path.iter().enumerate() {
        let parent = path[..depth].join(".");
        if matches!(node, Value::Null) && known.is_some_and(Value::is_mapping) {
            // An optional section the file leaves out (or sets to null).
            *node = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(map) = node else {
            return Err(format!("`{parent}` is not a section, so it has no key `{segment}`"));
        };
        let last = depth + 1 == path.len();
        let default_map = known.and_then(Value::as_mapping);
        let default_key = default_map.and_then(|m| find_key(m, segment));
        known = default_map.zip(default_key.as_ref()).and_then(|(m, k)| m.get(k));
        let key = match find_key(map, segment).or(default_key) {
            Some(k) => k,
            None if last && OPEN_MAPS.contains(&parent.as_str()) => Value::String(segment.clone()),
            None => {
                let mut names: Vec<String> = map.keys().map(key_name).collect();
                for k in default_map.into_iter().flat_map(|m| m.keys()) {
                    let k = key_name(k);
                    if !names.contains(&k) {
                        names.push(k);
                    }
                }
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
        node = map.entry(key).or_insert(Value::Null);
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
        set_path(&mut tree, &["a".into(), "b".into()], Value::Number(2.into()), None).unwrap();
        assert_eq!(serde_yaml_ng::to_string(&tree).unwrap(), "a:\n  b: 2\n");
    }

    #[test]
    fn unknown_key_suggests() {
        let mut tree: Value = serde_yaml_ng::from_str("accounts:\n  n_accounts: 1\n").unwrap();
        let err = set_path(&mut tree, &["accounts".into(), "n_acounts".into()], Value::Null, None).unwrap_err();
        assert_eq!(
            err,
            "unknown key `n_acounts` under `accounts`; did you mean `n_accounts`? (allowed: n_accounts)"
        );
    }

    #[test]
    fn sets_keys_the_defaults_know() {
        let mut tree: Value = serde_yaml_ng::from_str("a:\n  b: 1\n").unwrap();
        let defaults: Value = serde_yaml_ng::from_str("a:\n  b: 1\n  c: 2\nd:\n  e: 3\n").unwrap();
        set_path(
            &mut tree,
            &["a".into(), "c".into()],
            Value::Number(5.into()),
            Some(&defaults),
        )
        .unwrap();
        set_path(
            &mut tree,
            &["d".into(), "e".into()],
            Value::Number(6.into()),
            Some(&defaults),
        )
        .unwrap();
        assert_eq!(
            serde_yaml_ng::to_string(&tree).unwrap(),
            "a:\n  b: 1\n  c: 5\nd:\n  e: 6\n"
        );
        assert!(set_path(&mut tree, &["a".into(), "z".into()], Value::Null, Some(&defaults)).is_err());
    }

    #[test]
    fn rejects_missing_equals() {
        assert!(parse("accounts.n_accounts").is_err());
        assert_eq!(parse("a.b=3").unwrap().path, vec!["a", "b"]);
    }
}
