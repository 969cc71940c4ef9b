//! Subscription expressions turned into the tag-code sets the broker filters
//! ConsumeQueue entries by (PROTOCOL.md §12.4, §15.7, §19.5).
//!
//! A TAG expression is split on `||` and each tag is trimmed; empty tags are
//! dropped. `*`, an empty expression, or one with no tags left means "all".
//! A tag's code is Java's `String.hashCode` of it; ConsumeQueue entries store
//! the same hash sign-extended to 64 bits, and the broker compares the low 32
//! bits as Java's `codeSet.contains(tagsCode.intValue())` does. The broker
//! only filters by hash; clients re-filter by tag string.

use std::collections::HashSet;

use protocol::message::tag::java_string_hash;

/// The expression meaning "every message".
pub const SUB_ALL: &str = "*";

/// Why an expression cannot be used for filtering.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// An expression type other than TAG (SQL92 needs the property filter,
    /// which this broker does not enable).
    #[error("the expression type {0} is not supported, only TAG")]
    UnsupportedType(String),
}

/// A parsed TAG subscription: which tag codes pass.
///
/// Invariant: `all` is true or `codes` holds the Java hash of every tag in
/// `tags` (and nothing else).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubscriptionFilter {
    all: bool,
    tags: Vec<String>,
    codes: HashSet<i32>,
}

impl SubscriptionFilter {
    /// The filter that passes every message.
    pub fn all() -> Self {
        SubscriptionFilter {
            all: true,
            tags: Vec::new(),
            codes: HashSet::new(),
        }
    }

    /// Parses a TAG expression (`*`, `""`, `TagA`, `TagA || TagB`).
    pub fn parse(expression: &str) -> Self {
        let expr = expression.trim();
        if expr.is_empty() || expr == SUB_ALL {
            return Self::all();
        }
        let mut tags: Vec<String> = Vec::new();
        for t in expr.split("||").map(str::trim).filter(|t| !t.is_empty()) {
            if !tags.iter().any(|x| x == t) {
                tags.push(t.to_owned());
            }
        }
        if tags.is_empty() {
            return Self::all();
        }
        let codes = tags.iter().map(|t| java_string_hash(t)).collect();
        SubscriptionFilter {
            all: false,
            tags,
            codes,
        }
    }

    /// Parses an expression of the given type (`None`/`TAG` = tags, as Java
    /// clients that omit `expressionType`; anything else is refused).
    pub fn parse_typed(
        expression: &str,
        expression_type: Option<&str>,
    ) -> Result<Self, FilterError> {
        match expression_type.map(str::trim) {
            None | Some("") => Ok(Self::parse(expression)),
            Some(t) if t.eq_ignore_ascii_case("TAG") => Ok(Self::parse(expression)),
            Some(t) => Err(FilterError::UnsupportedType(t.to_owned())),
        }
    }

    /// True when every message passes.
    pub fn is_all(&self) -> bool {
        self.all
    }

    /// The tags, in expression order without duplicates (empty for "all").
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// The tag codes (Java `String.hashCode` of each tag).
    pub fn codes(&self) -> impl Iterator<Item = i32> + '_ {
        self.codes.iter().copied()
    }

    /// Whether a ConsumeQueue entry with `tags_code` passes.
    pub fn matches_code(&self, tags_code: i64) -> bool {
        self.all || self.codes.contains(&(tags_code as i32))
    }

    /// Whether a message with tag `tag` (None = untagged) passes, as the
    /// client-side string filter decides.
    pub fn matches_tag(&self, tag: Option<&str>) -> bool {
        self.all || tag.is_some_and(|t| self.tags.iter().any(|x| x == t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::message::tag_hash_code;

    #[test]
    fn star_and_empty_mean_all() {
        for e in ["*", "", "  ", " * ", "||", " || "] {
            let f = SubscriptionFilter::parse(e);
            assert!(f.is_all(), "{e:?}");
            assert!(f.matches_code(0));
            assert!(f.matches_code(12345));
            assert!(f.matches_tag(None));
        }
    }

    #[test]
    fn tags_are_split_and_trimmed() {
        let f = SubscriptionFilter::parse(" TagA ||TagB||  || TagA");
        assert!(!f.is_all());
        assert_eq!(f.tags(), ["TagA", "TagB"]);
        let mut codes: Vec<i32> = f.codes().collect();
        codes.sort();
        let mut want = vec![java_string_hash("TagA"), java_string_hash("TagB")];
        want.sort();
        assert_eq!(codes, want);
        assert!(f.matches_code(tag_hash_code(Some("TagA"))));
        assert!(f.matches_code(2598919));
        assert!(!f.matches_code(tag_hash_code(Some("TagC"))));
        assert!(!f.matches_code(0));
        assert!(f.matches_tag(Some("TagB")));
        assert!(!f.matches_tag(Some("TagC")));
        assert!(!f.matches_tag(None));
    }

    #[test]
    fn negative_codes_compare_as_java_int() {
        let tag = "polygenelubricants"; // hashCode == Integer.MIN_VALUE
        let f = SubscriptionFilter::parse(tag);
        assert!(f.matches_code(tag_hash_code(Some(tag))));
        assert!(f.matches_code(i32::MIN as i64));
    }

    #[test]
    fn expression_types() {
        assert!(SubscriptionFilter::parse_typed("*", None).unwrap().is_all());
        assert!(!SubscriptionFilter::parse_typed("A", Some("TAG"))
            .unwrap()
            .is_all());
        assert_eq!(
            SubscriptionFilter::parse_typed("a > 1", Some("SQL92")),
            Err(FilterError::UnsupportedType("SQL92".into()))
        );
    }
}
