//! Tag hash codes (PROTOCOL.md §19.5).

/// Java `String.hashCode()` of `s`: `h = 31*h + c` over UTF-16 code units,
/// wrapping in 32 bits.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The ConsumeQueue tag code of a tag: its Java hash sign-extended to i64;
/// 0 for no tag or an empty tag.
pub fn tag_hash_code(tag: Option<&str>) -> i64 {
    match tag {
        Some(t) if !t.is_empty() => java_string_hash(t) as i64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_java() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("TagA"), 2598919);
        assert_eq!(java_string_hash("hello"), 99162322);
        // Wraps: "polygenelubricants".hashCode() == Integer.MIN_VALUE.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        // Non-BMP: "😀" is two UTF-16 units 0xD83D 0xDE00.
        assert_eq!(java_string_hash("😀"), 0xD83D * 31 + 0xDE00);
        assert_eq!(java_string_hash("é"), 0xE9);
        assert_eq!(tag_hash_code(Some("polygenelubricants")), i32::MIN as i64);
        assert_eq!(tag_hash_code(None), 0);
    }
}
