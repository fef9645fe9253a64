//! Finds the line and column of a dotted key path in YAML text, so that validation errors found
//! after deserialization can still point at the line to fix: block mappings, list items
//! (`chat_types[3]`) and keys of a flow mapping on one line (`tasks: {min: 2, sigma: 0.7}`).

/// 1-based (line, column) of the last key of `path` (e.g. `services_model.trial_days.tasks`), or of
/// the deepest part of it that could be found; `None` if even the first key is absent.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    locate_full(text, path).map(|(at, _)| at)
}

/// Like [`locate`], and whether every key of `path` was found (rather than only a prefix of it).
pub fn locate_full(text: &str, path: &str) -> Option<((usize, usize), bool)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = None;
    // The block we search: lines (start..) whose indentation is greater than `parent_indent`.
    let (mut start, mut parent_indent) = (0usize, -1i64);
    let mut segments = path.split('.').peekable();
    let mut first_on_dash = false;
    while let Some(segment) = segments.next() {
        let (key, index) = match segment.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        let on_dash = std::mem::take(&mut first_on_dash);
        let hit = if key.is_empty() {
            None
        } else {
            child(&lines, start, parent_indent, key, on_dash).or_else(|| {
                // A key of a flow mapping on the parent's own line.
                let (line, _) = found?;
                let body: &str = lines[line - 1];
                let col = flow_key(body, key)?;
                Some((line - 1, (col as i64) - 1, true))
            })
        };
        let Some((i, indent, flow)) = hit else {
            return found.map(|f| (f, false));
        };
        found = Some((i + 1, indent as usize + 1));
        if flow {
            let last = segments.peek().is_none() && index.is_none();
            return found.map(|f| (f, last));
        }
        start = i + 1;
        parent_indent = indent;
        if let Some(n) = index {
            match item(&lines, start, parent_indent, n) {
                Some((j, col)) => {
                    found = Some((j + 1, col + 1));
                    start = j;
                    parent_indent = col as i64 - 1;
                    // The item's first key sits on the `- ` line itself.
                    first_on_dash = true;
                }
                None => return found.map(|f| (f, false)),
            }
        }
    }
    found.map(|f| (f, true))
}

/// The direct child `key` of the block after `start` deeper than `parent_indent`:
/// (line index, indentation, false).
/// After a list item (`on_dash`), the block starts on the item's own line, after its `- `.
fn child(lines: &[&str], start: usize, parent_indent: i64, key: &str, on_dash: bool) -> Option<(usize, i64, bool)> {
    let mut child_indent = None;
    for (i, line) in lines.iter().enumerate().skip(start) {
        let (line, body) = match line.trim_start().strip_prefix('-') {
            Some(rest) if on_dash && i == start => {
                let rest = rest.trim_start();
                (*line, rest)
            }
            _ => (*line, line.trim_start()),
        };
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
            return Some((i, indent, false));
        }
    }
    None
}

/// The `n`-th `- ` item of the block after `start`: (line index, column of the item's text).
fn item(lines: &[&str], start: usize, parent_indent: i64, n: usize) -> Option<(usize, usize)> {
    let mut seen = 0;
    // The items' own indentation: the first `- ` line fixes it (deeper ones belong to nested lists).
    let mut item_indent = None;
    for (i, line) in lines.iter().enumerate().skip(start) {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = (line.len() - body.len()) as i64;
        if (indent <= parent_indent && !body.starts_with('-')) || item_indent.is_some_and(|ii| indent < ii) {
            break;
        }
        if body.starts_with('-') && *item_indent.get_or_insert(indent) == indent {
            if seen == n {
                let after = body[1..].len() - body[1..].trim_start().len();
                return Some((i, indent as usize + 1 + after));
            }
            seen += 1;
        }
    }
    None
}

/// The 1-based column of `key:` inside a flow mapping `{…}` on `line`.
fn flow_key(line: &str, key: &str) -> Option<usize> {
    let open = line.find('{')?;
    let mut pos = open + 1;
    for part in line[open + 1..].split([',', '}']) {
        let name = part.split(':').next().unwrap_or("").trim().trim_matches(['"', '\'']);
        if name == key && part.contains(':') {
            let lead = part.len() - part.trim_start().len();
            return Some(pos + lead + 1);
        }
        pos += part.len() + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::locate;

    const TEXT: &str = "a:\n  x: 1\n  b:\n    # note\n    x: 2\n    y: [1, 2]\nb:\n  x: 3\n  l:\n    - p\n    - q\n  f: {min: 1, sigma: 2}\n";

    #[test]
    fn finds_nested_keys() {
        assert_eq!(locate(TEXT, "a"), Some((1, 1)));
        assert_eq!(locate(TEXT, "a.x"), Some((2, 3)));
        assert_eq!(locate(TEXT, "a.b.x"), Some((5, 5)));
        assert_eq!(locate(TEXT, "a.b.y[1]"), Some((6, 5)));
        assert_eq!(locate(TEXT, "b.x"), Some((8, 3)));
    }

    #[test]
    fn finds_list_items_and_flow_keys() {
        assert_eq!(locate(TEXT, "b.l[1]"), Some((11, 7)));
        assert_eq!(locate(TEXT, "b.f.sigma"), Some((12, 15)));
        assert_eq!(locate(TEXT, "b.f.min"), Some((12, 7)));
    }

    #[test]
    fn finds_keys_of_list_items() {
        let text = "a:\n  l:\n    - name: x\n      ids:\n        - 1\n        - 2\n    - name: y\n      kind: k\n      f: {m: 1}\n";
        assert_eq!(locate(text, "a.l[0].name"), Some((3, 7)));
        assert_eq!(locate(text, "a.l[0].ids[1]"), Some((6, 11)));
        assert_eq!(locate(text, "a.l[1]"), Some((7, 7)));
        assert_eq!(locate(text, "a.l[1].name"), Some((7, 7)));
        assert_eq!(locate(text, "a.l[1].kind"), Some((8, 7)));
        assert_eq!(super::locate_full(text, "a.l[1].f.m"), Some(((9, 11), true)));
        assert_eq!(super::locate_full(text, "a.l[1].zz"), Some(((7, 7), false)));
        assert_eq!(super::locate_full(text, "a.l[2]"), Some(((2, 3), false)));
    }

    #[test]
    fn missing_keys_give_the_deepest_found() {
        assert_eq!(locate(TEXT, "c"), None);
        assert_eq!(locate(TEXT, "a.b.z"), Some((3, 3)));
    }
}
