//! Finds the line and column of a dotted key path in block-style YAML text, so that validation
//! errors found after deserialization can still point at the line to fix.

/// 1-based (line, column) of the last key of `path` (e.g. `services_model.trial_days.tasks`), or of
/// the deepest key that could be found. Sequence indices (`dow_multiplier[3]`) resolve to the key
/// that holds the sequence. `None` if even the first key is absent.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = None;
    // The block we search: lines (start..end) whose indentation is greater than `parent_indent`.
    let (mut start, mut parent_indent) = (0usize, -1i64);
    for segment in path.split('.') {
        let key = segment.split('[').next().unwrap_or(segment);
        let mut hit = None;
        let mut child_indent = None;
        for (i, line) in lines.iter().enumerate().skip(start) {
            let body = line.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let indent = (line.len() - body.len()) as i64;
            if indent <= parent_indent {
                break;
            }
            // Only direct children: the first key line fixes the block's indentation.
            let ci = *child_indent.get_or_insert(indent);
            if indent != ci {
                continue;
            }
            let name = body.split(':').next().unwrap_or("").trim().trim_matches(['"', '\'']);
            if name == key && body.contains(':') {
                hit = Some((i, indent));
                break;
            }
        }
        let (i, indent) = hit?;
        found = Some((i + 1, indent as usize + 1));
        start = i + 1;
        parent_indent = indent;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::locate;

    const TEXT: &str = "a:\n  x: 1\n  b:\n    # note\n    x: 2\n    y: [1, 2]\nb:\n  x: 3\n";

    #[test]
    fn finds_nested_keys() {
        assert_eq!(locate(TEXT, "a"), Some((1, 1)));
        assert_eq!(locate(TEXT, "a.x"), Some((2, 3)));
        assert_eq!(locate(TEXT, "a.b.x"), Some((5, 5)));
        assert_eq!(locate(TEXT, "a.b.y[1]"), Some((6, 5)));
        assert_eq!(locate(TEXT, "b.x"), Some((8, 3)));
    }

    #[test]
    fn missing_keys_are_none() {
        assert_eq!(locate(TEXT, "c"), None);
        assert_eq!(locate(TEXT, "a.b.z"), None);
    }
}
