//! YAML text to a tree of plain values, within budgets. serde_yaml_ng's own `Value` would keep a
//! tag (`!foo 300` reads as 300), take a list or a mapping as a key, and expand aliases (`*name`)
//! up to 100 uses per event of the document — trillions of values from a 16 MiB file. So the tree
//! is built here, by a visitor that refuses tags and complex keys and counts values; and since
//! serde_yaml_ng holds every event of a document in memory (about 140 bytes each) before any
//! visitor runs, the values written in the text are first counted with libyaml's streaming
//! parser, in constant memory. Each refusal carries the line and column where it happens.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, Visitor};
use serde_yaml_ng::{Mapping, Value};

use super::error::{ConfigError, yaml_problem};

/// Most values (scalars, lists, mappings, aliases) one YAML document may hold, as written and
/// once its aliases are expanded: far more than any config (the default has about 300), few
/// enough that reading them stays cheap (at the limit, about 70 MB and half a second).
pub const MAX_YAML_VALUES: usize = 1 << 18;

/// Parses YAML text into a tree; a syntax error carries its line and column. The tree holds
/// plain values only: a tag (`!foo 300`), a mapping key that is a list or a mapping, more than
/// [`MAX_YAML_VALUES`] values written, and aliases that expand past it are refused.
pub fn parse_yaml(source: &str, text: &str) -> Result<Value, ConfigError> {
    if let Some(at) = written_past(text, MAX_YAML_VALUES) {
        return Err(ConfigError {
            source: source.into(),
            location: Some(at),
            key: String::new(),
            message: format!(
                "the document holds more than {MAX_YAML_VALUES} values; allowed: at most {MAX_YAML_VALUES} values (each scalar, list, mapping and alias counts)"
            ),
        });
    }
    let state = RefCell::new(State::default());
    let parsed = Plain {
        state: &state,
        key: false,
    }
    .deserialize(serde_yaml_ng::Deserializer::from_str(text));
    parsed.map_err(|e| {
        let location = e.location().map(|l| (l.line(), l.column()));
        let (key, message) = match state.into_inner().refused {
            Some(refusal) => (String::new(), refusal.to_string()),
            None => yaml_problem(&e.to_string()),
        };
        ConfigError {
            source: source.into(),
            location,
            key,
            message,
        }
    })
}

/// The 1-based line and column of the first value written in `text` past the `limit`-th,
/// counted with libyaml's streaming parser (constant memory); `None` within the limit or when
/// the text does not parse (serde_yaml_ng then reports the syntax error, having read no more
/// values than were counted here).
fn written_past(text: &str, limit: usize) -> Option<(usize, usize)> {
    use std::mem::MaybeUninit;
    use unsafe_libyaml as yaml_unsafe;

    /// The parser on the heap (it points at itself), deleted and freed on every return.
    struct Parser(*mut yaml_unsafe::yaml_parser_t);
    impl Drop for Parser {
        fn drop(&mut self) {
            // SAFETY: self.0 came from Box::into_raw and was initialized by
            // yaml_parser_initialize; it is freed exactly once, here.
            unsafe {
                yaml_unsafe::yaml_parser_delete(self.0);
                drop(Box::from_raw(self.0.cast::<MaybeUninit<yaml_unsafe::yaml_parser_t>>()));
            }
        }
    }

    let raw = Box::into_raw(Box::new(MaybeUninit::<yaml_unsafe::yaml_parser_t>::uninit()))
        .cast::<yaml_unsafe::yaml_parser_t>();
    // SAFETY: the parser is initialized before use and lives (unmoved, on the heap) until the
    // guard drops it; `text` outlives the parser; each event is deleted after its fields are read.
    unsafe {
        if yaml_unsafe::yaml_parser_initialize(raw).fail {
            drop(Box::from_raw(raw.cast::<MaybeUninit<yaml_unsafe::yaml_parser_t>>()));
            return None;
        }
        let parser = Parser(raw);
        yaml_unsafe::yaml_parser_set_encoding(parser.0, yaml_unsafe::YAML_UTF8_ENCODING);
        yaml_unsafe::yaml_parser_set_input_string(parser.0, text.as_ptr(), text.len() as u64);
        let mut values = 0usize;
        loop {
            let mut event = MaybeUninit::<yaml_unsafe::yaml_event_t>::uninit();
            if yaml_unsafe::yaml_parser_parse(parser.0, event.as_mut_ptr()).fail {
                return None;
            }
            let event = event.as_mut_ptr();
            let (kind, mark) = ((*event).type_, (*event).start_mark);
            yaml_unsafe::yaml_event_delete(event);
            match kind {
                yaml_unsafe::YAML_STREAM_END_EVENT => return None,
                yaml_unsafe::YAML_SCALAR_EVENT
                | yaml_unsafe::YAML_ALIAS_EVENT
                | yaml_unsafe::YAML_SEQUENCE_START_EVENT
                | yaml_unsafe::YAML_MAPPING_START_EVENT => {
                    values += 1;
                    if values > limit {
                        return Some((mark.line as usize + 1, mark.column as usize + 1));
                    }
                }
                _ => {}
            }
        }
    }
}

// The tree is built as serde_yaml_ng's own `Value` would be, but refusing what a config never
// needs and what makes reading it costly or misleading; what was refused is kept in `State` so
// the message can say it in words (serde's error carries only the position).

enum Refusal {
    Tag(String),
    ComplexKey(&'static str),
    TooManyValues,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Tag(tag) => write!(
                f,
                "YAML tags are not allowed (found `!{tag}`); allowed: a plain value such as 300, 0.5 or whatsapp"
            ),
            Refusal::ComplexKey(what) => write!(
                f,
                "a key that is {what} is not allowed; allowed: a key name such as n_accounts"
            ),
            Refusal::TooManyValues => write!(
                f,
                "the document holds more than {MAX_YAML_VALUES} values once its YAML aliases (`*name`) are expanded: aliases expand past the budget; allowed: at most {MAX_YAML_VALUES} values"
            ),
        }
    }
}

#[derive(Default)]
struct State {
    values: usize,
    refused: Option<Refusal>,
}

/// A seed for one node; `key`: it is a mapping's key.
#[derive(Clone, Copy)]
struct Plain<'a> {
    state: &'a RefCell<State>,
    key: bool,
}

impl<'a> Plain<'a> {
    fn refuse<E: de::Error>(&self, r: Refusal) -> E {
        let msg = r.to_string();
        self.state.borrow_mut().refused = Some(r);
        E::custom(msg)
    }

    /// Counts one value against the budget.
    fn count<E: de::Error>(&self) -> Result<(), E> {
        let mut s = self.state.borrow_mut();
        s.values += 1;
        if s.values > MAX_YAML_VALUES {
            drop(s);
            return Err(self.refuse(Refusal::TooManyValues));
        }
        Ok(())
    }

    fn value(self) -> Plain<'a> {
        Plain { key: false, ..self }
    }
}

impl<'de> DeserializeSeed<'de> for Plain<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Plain<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        self.count::<E>()?;
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        self.count::<E>()?;
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        self.count::<E>()?;
        Ok(Value::Number(u.into()))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        self.count::<E>()?;
        Ok(Value::Number(f.into()))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        self.count::<E>()?;
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        self.count::<E>()?;
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.count::<E>()?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.count::<E>()?;
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if self.key {
            return Err(self.refuse(Refusal::ComplexKey("a list")));
        }
        self.count::<A::Error>()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Sequence(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.key {
            return Err(self.refuse(Refusal::ComplexKey("a mapping")));
        }
        self.count::<A::Error>()?;
        let mut out = Mapping::new();
        while let Some(k) = map.next_key_seed(Plain { key: true, ..self })? {
            if out.contains_key(&k) {
                // serde_yaml_ng's own wording, so the message is the same as before.
                return Err(de::Error::custom(match &k {
                    Value::Null => "duplicate entry with null key".to_string(),
                    Value::Bool(b) => format!("duplicate entry with key `{b}`"),
                    Value::Number(n) => format!("duplicate entry with key {n}"),
                    Value::String(s) => format!("duplicate entry with key {s:?}"),
                    _ => "duplicate entry in YAML map".to_string(),
                }));
            }
            let v = map.next_value_seed(self.value())?;
            out.insert(k, v);
        }
        Ok(Value::Mapping(out))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        // serde_yaml_ng hands a tagged node (`!foo 300`) to a visitor as an enum whose
        // variant is the tag.
        let tag = data.variant::<String>().map(|(tag, _)| tag).unwrap_or_default();
        Err(self.refuse(Refusal::Tag(tag)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_complex_keys_and_expansion_are_refused() {
        let e = parse_yaml("t", "a:\n  b: !foo 3\n").unwrap_err();
        assert_eq!(e.location, Some((2, 6)));
        assert!(e.message.starts_with("YAML tags are not allowed (found `!foo`)"), "{e}");
        let e = parse_yaml("t", "a: 1\n? {x: 1}\n: 2\n").unwrap_err();
        assert_eq!(e.location, Some((2, 3)));
        assert!(e.message.starts_with("a key that is a mapping is not allowed"), "{e}");
        let e = parse_yaml("t", "a: 1\na: 2\n").unwrap_err();
        assert!(e.message.contains("duplicate entry with key \"a\""), "{e}");
        // Core tags are not tags to a reader: `!!str` is a string.
        assert_eq!(
            parse_yaml("t", "a: !!str 300\n").unwrap()["a"],
            Value::String("300".into())
        );
        // The same tree as serde_yaml_ng's own.
        let tree = parse_yaml("t", crate::config::DEFAULT_CONFIG).unwrap();
        assert_eq!(
            tree,
            serde_yaml_ng::from_str::<Value>(crate::config::DEFAULT_CONFIG).unwrap()
        );
        let wide = format!(
            "a: &a [{}]\nb: [{}]\n",
            vec!["0"; 1100].join(","),
            vec!["*a"; 1000].join(",")
        );
        let e = parse_yaml("t", &wide).unwrap_err();
        assert!(e.message.contains("aliases expand past the budget"), "{e}");
    }

    #[test]
    fn values_written_are_counted_in_constant_memory() {
        assert_eq!(written_past("a: [1, 2]\n", 5), None);
        assert_eq!(written_past("a: [1, 2]\n", 4), Some((1, 8)));
        assert_eq!(
            written_past("a: [1, 2\n", 10),
            None,
            "a syntax error is serde_yaml_ng's to report"
        );
        let flat = format!("a: [{}]\n", vec!["0"; 3000].join(","));
        assert_eq!(written_past(&flat, 2000), Some((1, 2 * 1998 + 3)));
        let e = parse_yaml("t", &flat).unwrap();
        assert_eq!(e["a"].as_sequence().map(Vec::len), Some(3000));
    }
}
