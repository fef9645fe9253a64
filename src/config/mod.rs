//! Configuration: read the YAML text (a file or the built-in default), apply `--seed` and
//! `--set key.path=value` overrides, deserialize into [`raw::RawConfig`], then validate once into a
//! [`Config`] the model can trust. Every error names the source, line and column, the key path,
//! what was found and what is allowed. Nothing here touches the database or the terminal.

mod error;
mod locate;
mod overrides;
pub mod raw;
mod validate;

use std::path::Path;

pub use error::{ConfigError, ConfigErrors};
pub use validate::{Config, Cost, DistributeMode, Service, ServiceParams};

use raw::RawConfig;

/// The built-in default config: the same text as `configs/default.yaml`.
pub const DEFAULT_CONFIG: &str = include_str!("../../configs/default.yaml");

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
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Source { name, text }),
            Err(e) => Err(ConfigError::plain(&name, format!("cannot read config file: {e}")).into()),
        }
    }
}

/// Loads, overrides and validates a config in one place.
///
/// `sets` are `key.path=value` strings as given to `--set`; `seed` overrides `dataset.seed`.
pub fn load(source: &Source, seed: Option<u64>, sets: &[String]) -> Result<Config, ConfigErrors> {
    // Deserialize the text on its own first, so that mistakes in the file are reported with the
    // file's own line and column even when overrides follow.
    let raw: RawConfig = error::from_yaml_str(&source.name, &source.text)?;
    let mut overrides = overrides::parse_all(sets)?;
    if let Some(seed) = seed {
        overrides.push(overrides::Override::seed(seed));
    }
    let raw = if overrides.is_empty() {
        raw
    } else {
        overrides::apply(&source.text, &overrides)?
    };
    validate::validate(raw, source, &overrides)
}

impl Config {
    /// The effective config as canonical YAML: what was loaded after overrides, without comments.
    /// Stored in the database and hashed, so two configs that differ only in comments or layout
    /// have the same hash.
    pub fn effective_yaml(&self) -> String {
        serde_yaml_ng::to_string(&self.raw).expect("a RawConfig always serializes")
    }
}

impl Config {
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
