//! Configuration, in the original generator's language: read the YAML text (a file or the
//! built-in default), apply `--seed` and `--set key.path=value` overrides to its tree,
//! deserialize into [`raw::RawConfig`], then validate once into a [`Config`] the model can trust.
//! Every problem of a config is reported together, each naming the source, line and column, the
//! key path, what was found and what is allowed. Nothing here touches the database or the
//! terminal.

mod error;
mod input;
mod locate;
mod overrides;
pub mod raw;
mod validate;
mod yaml;

use std::path::Path;
use std::sync::LazyLock;

pub use error::{ConfigError, ConfigErrors, nearest, num, shown};
pub use input::{MAX_YAML_BYTES, read_yaml};
pub(crate) use validate::Problems;
pub use validate::{
    AdoptionBias, Config, Cost, DistributeMode, Duration, MAX_CHAT_TYPES, MAX_NAME_CHARS, Pricing, SERVICES, Service,
    ServiceParams, name_problem,
};

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

    /// Reads a config file (bounded: see [`input`]); `None` means the built-in default.
    pub fn from_path(path: Option<&Path>) -> Result<Self, ConfigErrors> {
        let Some(path) = path else { return Ok(Self::builtin()) };
        Self::read(path, "a config file")
    }

    /// Reads a YAML file that `what` names in messages ("a config file").
    fn read(path: &Path, what: &str) -> Result<Self, ConfigErrors> {
        Ok(Source {
            name: path.display().to_string(),
            text: input::read_yaml(path, what)?,
        })
    }
}

/// One layer of a layered config: a source whose tree is merged over the layers before it. A
/// layer read with `--anomalies FILE` holds only the `anomalies:` block (`under`).
#[derive(Debug, Clone)]
pub struct Layer {
    pub source: Source,
    /// The key the whole document sits under, if it is not a whole config.
    pub under: Option<&'static str>,
}

impl Layer {
    pub fn whole(source: Source) -> Self {
        Layer { source, under: None }
    }
}

/// Most `extends:` links from one file: a depth limit, so that a chain that never ends (a
/// loop hidden from [`std::fs::canonicalize`], say through `/dev/stdin`) still ends.
const MAX_EXTENDS: usize = 16;

/// Reads the layers of the given config files in order (none: the built-in default), each
/// preceded by the files it `extends:`, and the `--anomalies` file last.
pub fn read_layers(paths: &[std::path::PathBuf], anomalies: Option<&Path>) -> Result<Vec<Layer>, ConfigErrors> {
    let mut layers = Vec::new();
    if paths.is_empty() {
        layers.push(Layer::whole(Source::builtin()));
    }
    for path in paths {
        let mut chain = vec![Source::from_path(Some(path))?];
        // Each file's real path, so that `s1/up/x` with `up -> ..` is seen to be `x` again.
        let mut real = vec![std::fs::canonicalize(path).ok()];
        let mut dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        while let Some((base, at)) = extends(chain.last().expect("non-empty"))? {
            let blame = chain.last().expect("non-empty");
            let err = |message: String| ConfigError {
                source: blame.name.clone(),
                location: at,
                key: "extends".into(),
                message,
            };
            let (next, next_real) = if base == "default" {
                (Source::builtin(), None)
            } else {
                let p = dir.join(&base);
                let src = Source::from_path(Some(&p)).map_err(|e| {
                    ConfigErrors(
                        e.0.into_iter()
                            .map(|e| err(format!("`{base}`: {}", e.message)))
                            .collect(),
                    )
                })?;
                dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
                (src, std::fs::canonicalize(&p).ok())
            };
            let seen = chain
                .iter()
                .zip(&real)
                .any(|(s, r)| (r.is_some() && *r == next_real) || (s.name == next.name && s.text == next.text));
            if seen {
                return Err(err(format!(
                    "`{base}` extends itself in the end (a loop); allowed: a chain without loops"
                ))
                .into());
            }
            if chain.len() > MAX_EXTENDS {
                return Err(err(format!(
                    "the chain of `extends:` is more than {MAX_EXTENDS} links deep; allowed: at most {MAX_EXTENDS} links (a depth limit), without loops"
                ))
                .into());
            }
            chain.push(next);
            real.push(next_real);
        }
        layers.extend(chain.into_iter().rev().map(Layer::whole));
    }
    if let Some(path) = anomalies {
        layers.push(Layer {
            source: Source::read(path, "an anomaly spec file")?,
            under: Some("anomalies"),
        });
    }
    Ok(layers)
}

/// A 1-based line and column, when known.
type Location = Option<(usize, usize)>;

/// The `extends:` value of a config file, if it has one: another config file (relative to this
/// one) or `default` for the built-in default, and where it is written.
fn extends(source: &Source) -> Result<Option<(String, Location)>, ConfigErrors> {
    let tree = yaml::parse_yaml(&source.name, &source.text)?;
    let Some(v) = tree.as_mapping().and_then(|m| m.get("extends")) else {
        return Ok(None);
    };
    let at = locate::locate(&source.text, "extends");
    match v.as_str() {
        Some(s) if !s.trim().is_empty() => Ok(Some((s.trim().to_string(), at))),
        _ => Err(ConfigError {
            source: source.name.clone(),
            location: at,
            key: "extends".into(),
            message: "is not a file name; allowed: a config file path relative to this one, or `default`".into(),
        }
        .into()),
    }
}

/// Merges `over` into `base`: mappings key by key, recursively; anything else replaces.
fn merge(base: &mut serde_yaml_ng::Value, over: serde_yaml_ng::Value) {
    use serde_yaml_ng::Value;
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_mapping() && v.is_mapping() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Loads, overrides and validates a config in one place, reporting every problem together.
///
/// `sets` are `key.path=value` strings as given to `--set`; `seed` overrides `dataset.seed`.
pub fn load(source: &Source, seed: Option<u64>, sets: &[String]) -> Result<Config, ConfigErrors> {
    load_layers(&[Layer::whole(source.clone())], seed, sets)
}

/// [`load`] for a layered config: each layer's tree merged over the ones before it (its
/// `extends:` key dropped), then the overrides.
pub fn load_layers(layers: &[Layer], seed: Option<u64>, sets: &[String]) -> Result<Config, ConfigErrors> {
    let mut tree = serde_yaml_ng::Value::Null;
    for layer in layers {
        let s = &layer.source;
        let mut t = yaml::parse_yaml(&s.name, &s.text)?;
        if t.is_null() && layer.under.is_none() {
            return Err(ConfigError::plain(
                &s.name,
                "is empty; allowed: a config with the sections of configs/default.yaml".into(),
            )
            .into());
        }
        // `extends:` links whole configs; in an --anomalies file it is an unknown key.
        if let Some(m) = t.as_mapping_mut().filter(|_| layer.under.is_none()) {
            m.remove("extends");
        }
        if let Some(key) = layer.under {
            let mut m = serde_yaml_ng::Mapping::new();
            m.insert(key.into(), t);
            t = serde_yaml_ng::Value::Mapping(m);
        }
        merge(&mut tree, t);
    }
    let mut overrides = overrides::parse_all(sets)?;
    if let Some(seed) = seed {
        overrides.push(overrides::Override::seed(seed));
    }
    let mut errors = overrides::apply(&mut tree, &overrides, &DEFAULT_TREE);
    let (raw, problems) = error::deserialize_all::<RawConfig>(&tree, &DEFAULT_TREE);
    let blamed = std::sync::Arc::new(validate::Blame::new(layers.to_vec(), overrides));
    let patched: Vec<String> = problems.iter().map(|p| p.key.clone()).collect();
    for p in problems {
        errors.push(blamed.error(&p.key, p.message));
    }
    if let Some(raw) = raw {
        match validate::validate(raw, &blamed) {
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
        let names: Vec<&str> = layers.iter().map(|l| l.source.name.as_str()).collect();
        errors.push(ConfigError::plain(&names.join(" + "), "is not a valid config".into()));
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

    /// SHA-256 of [`Config::effective_yaml`]: the config's identity in `dataset` and in parts.
    pub fn effective_sha256(&self) -> String {
        use sha2::Digest;
        crate::model::block::hex(&sha2::Sha256::digest(self.effective_yaml().as_bytes()))
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
