//! Bounds checked on a request before the GraphQL parser sees it.
//!
//! The parser and the value conversions recurse once per level of nesting, so a few kilobytes of
//! `[[[[…]]]]` would overflow a worker's stack and abort the whole process. Nesting is therefore
//! measured here first, without recursion, and anything deeper than [`MAX_NESTING`] is refused.

use async_graphql::Value;

/// The deepest nesting of braces, brackets and parentheses accepted in a query's text, and of
/// lists and objects in its variables. Real operations stay far below it (the selection depth
/// limit alone is 15).
pub const MAX_NESTING: usize = 64;

/// Whether the query text nests `{`, `[` and `(` at most `limit` deep. Strings, block strings
/// and comments are skipped, so brackets inside them do not count.
pub fn query_within(text: &str, limit: usize) -> bool {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'#' => {
                while index < bytes.len() && bytes[index] != b'\n' && bytes[index] != b'\r' {
                    index += 1;
                }
            }
            b'"' if bytes[index..].starts_with(b"\"\"\"") => {
                index += 3;
                while index < bytes.len() && !bytes[index..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped triple quote inside a block string.
                    index += if bytes[index..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                index += 2;
            }
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    index += if bytes[index] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limit {
                    return false;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        index += 1;
    }
    true
}

/// Whether every value nests lists and objects at most `limit` deep.
pub fn values_within<'a>(values: impl IntoIterator<Item = &'a Value>, limit: usize) -> bool {
    let mut pending: Vec<(&Value, usize)> = values.into_iter().map(|value| (value, 1)).collect();
    while let Some((value, depth)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::List(items) => Box::new(items.iter()),
            Value::Object(fields) => Box::new(fields.values()),
            _ => continue,
        };
        if depth > limit {
            return false;
        }
        pending.extend(children.map(|child| (child, depth + 1)));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_counted_outside_strings_and_comments() {
        assert!(query_within("{ a(x: [[1]]) { b } }", 4));
        assert!(!query_within("{ a(x: [[1]]) { b } }", 3));
        assert!(query_within("{ a(x: \"[[[[[[\") }", 2));
        assert!(query_within("{ a(x: \"\\\"[[[[\") }", 2));
        assert!(query_within("{ a(x: \"\"\"[[[[ \\\"\"\" [[[\"\"\") }", 2));
        assert!(query_within("# {{{{{{\n{ a }", 1));
        assert!(!query_within(&"[".repeat(100_000), MAX_NESTING));
    }

    #[test]
    fn values_are_measured_without_recursion() {
        let mut deep = Value::from("x");
        for _ in 0..100_000 {
            deep = Value::List(vec![deep]);
        }
        assert!(!values_within([&deep], MAX_NESTING));
        let shallow = Value::List(vec![Value::List(vec![Value::from(1)])]);
        assert!(values_within([&shallow], 2));
        assert!(!values_within([&shallow], 1));
        // Dropping a deep value recurses too; take it apart level by level.
        while let Value::List(mut items) = deep {
            deep = items.pop().unwrap_or(Value::Null);
        }
    }
}
