//! Configuration, in the original generator's language: read the YAML text (a file or the
//! built-in default), apply `--seed` and `--set key.path=value` overrides to its tree,
//! deserialize into [`raw::RawConfig`], then validate once into a [`Config`] the model can trust.
//! Every problem of a config is reported together, each naming the source, line and column, the
//! key path, what was found and what is allowed. Nothing here touches the database or the
//! terminal.

mod error;
mod locate;
mod overrides;
pub mod raw;
mod validate;

use std::path::Path;
use std::sync::LazyLock;

pub use error::{ConfigError, ConfigErrors};
pub use validate::{AdoptionBias, Config, Cost, DistributeMode, Duration, Pricing, SERVICES, Service, ServiceParams};

use raw::RawConfig;

/// The built-in default config: the same text as `configs/default.yaml`.
pub const DEFAULT_CONFIG: &str = include_str!("../../configs/default.yaml");

/// The default config's tree: where a missing or broken key is taken from so that the rest of a
/// broken config can still be checked, and which optional keys `--set` may add.
static DEFAULT_TREE: LazyLock<serde_yaml_ng::Value> =
    LazyLock::new(|| serde_yaml_ng::from_str(DEFAULT_CONFIG).expect("the built-in default config parses"));

/// Where config text came from, for error messages.
#[derive(Debug, Clone)]
pub struct Source {
    /// A file path as the user gave it, or `<built-in default>`.
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn builtin() -> Self {
        Source {
            name: "<built-in default>".into(),
            text: DEFAULT_CONFIG.into(),
        }
    }

    /// Reads a config file; `None` means the built-in default.
    pub fn from_path(path: Option<&Path>) -> Result<Self, ConfigErrors> {
        let Some(path) = path else { return Ok(Self::builtin()) };
        let name = path.display().to_string();
        if path.is_dir() {
            return Err(ConfigError::plain(&name, "is a directory; allowed: a YAML config file".into()).into());
        }
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Ok(Source { name, text }),
                Err(_) => {
                    Err(ConfigError::plain(&name, "is not UTF-8 text; allowed: a YAML config file".into()).into())
                }
            },
            Err(e) => Err(ConfigError::plain(&name, format!("cannot read config file: {e}")).into()),
        }
    }
}

/// Loads, overrides and validates a config in one place, reporting every problem together.
///
/// `sets` are `key.path=value` strings as given to `--set`; `seed` overrides `dataset.seed`.
pub fn load(source: &Source, seed: Option<u64>, sets: &[String]) -> Result<Config, ConfigErrors> {
    let mut tree = error::parse_yaml(&source.name, &source.text)?;
    if tree.is_null() {
        return Err(ConfigError::plain(
            &source.name,
            "is empty; allowed: a config with the sections of configs/default.yaml".into(),
        )
        .into());
    }
    let mut overrides = overrides::parse_all(sets)?;
    if let Some(seed) = seed {
        overrides.push(overrides::Override::seed(seed));
    }
    let mut errors = overrides::apply(&mut tree, &overrides, &DEFAULT_TREE);
    let (raw, problems) = error::deserialize_all::<RawConfig>(&tree, &DEFAULT_TREE);
    let mut blamed = validate::Blame::new(source, &overrides);
    let patched: Vec<String> = problems.iter().map(|p| p.key.clone()).collect();
    for p in problems {
        errors.push(blamed.error(&p.key, p.message));
    }
    if let Some(raw) = raw {
        match validate::validate(raw, &mut blamed) {
            Ok(config) if errors.is_empty() => return Ok(config),
            Ok(_) => {}
            // Range problems of keys that were not themselves broken (a broken key holds the
            // default's value now, which says nothing about the user's).
            Err(range) => errors.extend(range.into_iter().filter(|e| {
                !patched
                    .iter()
                    .any(|k| !k.is_empty() && (e.key == *k || e.key.starts_with(&format!("{k}."))))
            })),
        }
    }
    if errors.is_empty() {
        errors.push(ConfigError::plain(&source.name, "is not a valid config".into()));
    }
    Err(ConfigErrors(errors))
}

impl Config {
    /// The effective config as canonical YAML, in the original's key layout with every optional
    /// key filled in: what was loaded after overrides, without comments. Stored in the database
    /// and hashed, so two configs that differ only in comments, layout or spelled-out defaults
    /// have the same hash.
    pub fn effective_yaml(&self) -> String {
        serde_yaml_ng::to_string(&self.raw).expect("a RawConfig always serializes")
    }

    /// The effective config flattened to `(key path, value text, numeric value)` leaves, in
    /// document order: stored as `config_values` so SQL can read any knob.
    pub fn flat_values(&self) -> Vec<(String, String, Option<f64>)> {
        fn walk(prefix: &str, v: &serde_yaml_ng::Value, out: &mut Vec<(String, String, Option<f64>)>) {
            use serde_yaml_ng::Value;
            match v {
                Value::Mapping(m) => {
                    for (k, v) in m {
                        let k = match k {
                            Value::String(s) => s.clone(),
                            other => serde_yaml_ng::to_string(other).unwrap_or_default().trim().to_string(),
                        };
                        let key = if prefix.is_empty() { k } else { format!("{prefix}.{k}") };
                        walk(&key, v, out);
                    }
                }
                Value::Sequence(s) => {
                    for (i, v) in s.iter().enumerate() {
                        walk(&format!("{prefix}[{i}]"), v, out);
                    }
                }
                Value::String(s) => out.push((prefix.to_string(), s.clone(), None)),
                Value::Number(n) => out.push((prefix.to_string(), n.to_string(), n.as_f64())),
                Value::Bool(b) => out.push((prefix.to_string(), b.to_string(), None)),
                other => out.push((
                    prefix.to_string(),
                    serde_yaml_ng::to_string(other).unwrap_or_default().trim().to_string(),
                    None,
                )),
            }
        }
        let tree = serde_yaml_ng::to_value(&self.raw).expect("a RawConfig always serializes");
        let mut out = Vec::new();
        walk("", &tree, &mut out);
        out
    }
}
