//! Property test: no mutation of a config text makes the parser or validator panic; every outcome
//! is a config or a list of errors that each name their source.

use proptest::prelude::*;
use usage_gen::config::{DEFAULT_CONFIG, Source, load};

/// One edit of the default config: delete, duplicate or replace a line, or splice in a token.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Replace(usize, String),
    Splice(usize, usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let token = prop_oneof![
        Just("-1".to_string()),
        Just("1e309".to_string()),
        Just("nan".to_string()),
        Just(":".to_string()),
        Just("[".to_string()),
        Just("  ".to_string()),
        Just("\t".to_string()),
        Just("~".to_string()),
        Just("18446744073709551616".to_string()),
        Just("2025-02-30".to_string()),
        "[a-z_:.\\[\\] 0-9-]{0,12}",
    ];
    prop_oneof![
        (0usize..200).prop_map(Edit::Delete),
        (0usize..200).prop_map(Edit::Duplicate),
        (0usize..200, token.clone()).prop_map(|(i, t)| Edit::Replace(i, t)),
        (0usize..200, 0usize..60, token).prop_map(|(i, c, t)| Edit::Splice(i, c, t)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        let n = lines.len().max(1);
        match e {
            Edit::Delete(i) => {
                if !lines.is_empty() {
                    lines.remove(i % n);
                }
            }
            Edit::Duplicate(i) => {
                if let Some(l) = lines.get(i % n).cloned() {
                    lines.insert(i % n, l);
                }
            }
            Edit::Replace(i, t) => {
                if let Some(l) = lines.get_mut(i % n) {
                    let key = l.split(':').next().unwrap_or("").to_string();
                    *l = format!("{key}: {t}");
                }
            }
            Edit::Splice(i, c, t) => {
                if let Some(l) = lines.get_mut(i % n) {
                    let mut at = (*c).min(l.len());
                    while !l.is_char_boundary(at) {
                        at -= 1;
                    }
                    l.insert_str(at, t);
                }
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mutated_configs_never_panic(edits in proptest::collection::vec(edit(), 1..4)) {
        let text = apply(DEFAULT_CONFIG, &edits);
        let src = Source { name: "fuzz.yaml".into(), text };
        if let Err(errs) = load(&src, None, &[]) {
            prop_assert!(!errs.0.is_empty());
            for e in &errs.0 {
                prop_assert!(e.source == "fuzz.yaml", "{e}");
                prop_assert!(!e.message.is_empty());
            }
        }
    }

    #[test]
    fn arbitrary_set_values_never_panic(key in "[a-z_.0-9]{1,40}", value in ".{0,20}") {
        let _ = load(&Source::builtin(), None, &[format!("{key}={value}")]);
    }
}
