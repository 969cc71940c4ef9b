//! Tag subscription expressions (`*`, `TagA`, `TagA || TagB`): parsing into
//! the tag and hash-code sets a subscription carries, and the client-side
//! re-filter by tag string (the broker filters only by hash code).

use protocol::message::tag::java_string_hash;

/// The expression that subscribes to every message.
pub const SUB_ALL: &str = "*";

/// A parsed tag expression.
///
/// Invariant: `tags` is empty exactly when the expression subscribes to all
/// messages; `codes[i]` is Java's `String.hashCode` of `tags[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagExpression {
    /// The expression as the user gave it (`*` for an empty one).
    pub expression: String,
    /// The tags, trimmed, in expression order, without duplicates.
    pub tags: Vec<String>,
    /// Hash codes of `tags`, as the broker compares them.
    pub codes: Vec<i32>,
}

/// Why a subscription expression was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid subscription expression '{0}': no tag between '||'")]
pub struct BadExpression(pub String);

impl TagExpression {
    /// Parses `expr`: blank or `*` subscribes to all; otherwise the tags
    /// separated by `||`, each trimmed, blanks skipped (as Java does).
    pub fn parse(expr: &str) -> Result<Self, BadExpression> {
        let trimmed = expr.trim();
        if trimmed.is_empty() || trimmed == SUB_ALL {
            return Ok(TagExpression {
                expression: SUB_ALL.to_owned(),
                tags: Vec::new(),
                codes: Vec::new(),
            });
        }
        let mut tags: Vec<String> = Vec::new();
        for t in trimmed.split("||").map(str::trim).filter(|t| !t.is_empty()) {
            if !tags.iter().any(|have| have == t) {
                tags.push(t.to_owned());
            }
        }
        if tags.is_empty() {
            return Err(BadExpression(expr.to_owned()));
        }
        let codes = tags.iter().map(|t| java_string_hash(t)).collect();
        Ok(TagExpression {
            expression: expr.to_owned(),
            tags,
            codes,
        })
    }

    /// Whether the expression takes every message.
    pub fn is_all(&self) -> bool {
        self.tags.is_empty()
    }

    /// Whether a message with tag `tag` passes (a message without a tag
    /// passes only `*`).
    pub fn matches(&self, tag: Option<&str>) -> bool {
        if self.is_all() {
            return true;
        }
        match tag {
            Some(t) => self.tags.iter().any(|have| have == t),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_java() {
        for all in ["*", "", "  ", " * "] {
            let e = TagExpression::parse(all).unwrap();
            assert!(e.is_all());
            assert_eq!(e.expression, "*");
            assert!(e.matches(None) && e.matches(Some("x")));
        }
        let e = TagExpression::parse("TagA || TagB ||TagA").unwrap();
        assert_eq!(e.tags, ["TagA", "TagB"]);
        // Java "TagA".hashCode() (PROTOCOL.md §15.7 example).
        assert_eq!(e.codes[0], 2598919);
        assert!(e.matches(Some("TagB")) && !e.matches(Some("TagC")) && !e.matches(None));
        assert!(TagExpression::parse("||").is_err());
        assert!(TagExpression::parse(" || || ").is_err());
        assert_eq!(TagExpression::parse("A||||B").unwrap().tags, ["A", "B"]);
    }
}
