//! Java `.properties` text: RocketMQ's config files (`broker.conf`,
//! `namesrv.conf`) and the bodies of UPDATE_BROKER_CONFIG, GET_BROKER_CONFIG,
//! UPDATE_NAMESRV_CONFIG and GET_NAMESRV_CONFIG.
//!
//! Reading follows `java.util.Properties.load`: `key=value`, `key:value` or
//! `key value`; `#` and `!` start comment lines; a line ending in an odd
//! number of backslashes continues on the next (whose leading blanks are
//! dropped); `\t \n \r \f \uXXXX` escapes, and a backslash before any other
//! character stands for that character. Parsing never fails: a malformed
//! `\u` escape is kept as literal text.
//!
//! Writing produces one `key=value` line per entry, as RocketMQ's
//! `MixAll.properties2String` does, escaping only what would otherwise read
//! back differently (backslashes, line breaks, a leading blank in a value,
//! separators and comment characters in a key).

/// Parses properties text into `(key, value)` pairs in file order. A key
/// that appears twice appears twice; the later one wins when collected into
/// a map, as in Java.
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut logical = String::new();
    let mut continuing = false;
    for line in natural_lines(text) {
        let trimmed = line.trim_start_matches(is_blank);
        if !continuing {
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
                continue;
            }
            logical.clear();
        }
        let trailing = trimmed.len() - trimmed.trim_end_matches('\\').len();
        if trailing % 2 == 1 {
            logical.push_str(&trimmed[..trimmed.len() - 1]);
            continuing = true;
            continue;
        }
        logical.push_str(trimmed);
        continuing = false;
        out.push(split_entry(&logical));
    }
    if continuing && !logical.is_empty() {
        out.push(split_entry(&logical));
    }
    out
}

/// Formats pairs as `key=value` lines (each ending in `\n`).
pub fn format<'a, I, K, V>(entries: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str> + 'a,
    V: AsRef<str> + 'a,
{
    let mut s = String::new();
    for (k, v) in entries {
        escape_into(&mut s, k.as_ref(), true);
        s.push('=');
        escape_into(&mut s, v.as_ref(), false);
        s.push('\n');
    }
    s
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

/// Lines split on `\n`, `\r\n` or `\r`.
fn natural_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
}

/// Splits a logical line into its unescaped key and value.
fn split_entry(line: &str) -> (String, String) {
    let bytes = line.as_bytes();
    let mut key_end = bytes.len();
    let mut value_start = bytes.len();
    let mut has_sep = false;
    let mut escaped = false;
    for (i, &c) in bytes.iter().enumerate() {
        if !escaped && (c == b'=' || c == b':') {
            key_end = i;
            value_start = i + 1;
            has_sep = true;
            break;
        }
        if !escaped && (c == b' ' || c == b'\t' || c == 0x0c) {
            key_end = i;
            value_start = i + 1;
            break;
        }
        escaped = c == b'\\' && !escaped;
    }
    let mut v = value_start;
    while v < bytes.len() {
        let c = bytes[v];
        if c == b' ' || c == b'\t' || c == 0x0c {
            v += 1;
        } else if !has_sep && (c == b'=' || c == b':') {
            has_sep = true;
            v += 1;
        } else {
            break;
        }
    }
    // All indices above sit on ASCII bytes or the end, so they are char
    // boundaries.
    (
        unescape(&line[..key_end]),
        unescape(&line[v.min(line.len())..]),
    )
}

fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.clone().take(4).collect();
                match u32::from_str_radix(&hex, 16) {
                    Ok(unit) if hex.len() == 4 => {
                        for _ in 0..4 {
                            chars.next();
                        }
                        push_utf16_unit(&mut out, unit, &mut chars);
                    }
                    _ => out.push_str("\\u"),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Appends one `\uXXXX` unit; a high surrogate is joined with a following
/// `\uXXXX` low surrogate, a lone surrogate becomes U+FFFD.
fn push_utf16_unit(out: &mut String, unit: u32, rest: &mut std::str::Chars<'_>) {
    if (0xD800..0xDC00).contains(&unit) {
        let peek = rest.as_str();
        if let Some(low) = peek
            .strip_prefix("\\u")
            .and_then(|h| h.get(..4))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .filter(|l| (0xDC00..0xE000).contains(l))
        {
            let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
            for _ in 0..6 {
                rest.next();
            }
            return;
        }
    }
    out.push(char::from_u32(unit).unwrap_or('\u{FFFD}'));
}

fn escape_into(out: &mut String, s: &str, is_key: bool) {
    for (i, c) in s.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '=' | ':' | '#' | '!' if is_key => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rocketmq_conf_file() {
        let text = "# comment\n! also\n\nbrokerClusterName = DefaultCluster\r\nbrokerName=broker-a\nbrokerId:0\n  deleteWhen 04\nflushDiskType=ASYNC_FLUSH   \n";
        assert_eq!(
            parse(text),
            pairs(&[
                ("brokerClusterName", "DefaultCluster"),
                ("brokerName", "broker-a"),
                ("brokerId", "0"),
                ("deleteWhen", "04"),
                ("flushDiskType", "ASYNC_FLUSH   "),
            ])
        );
    }

    #[test]
    fn escapes_and_continuations() {
        let text = "path=C:\\\\data\\\\store\nlist=a,\\\n    b,\\\n    c\nkey\\ with\\=sep=v\nuni=\\u4e2d\\u6587\\ud83d\\ude00\nempty=\nbare\n# not continued \\\nx=1\ntab=a\\tb\n";
        assert_eq!(
            parse(text),
            pairs(&[
                ("path", "C:\\data\\store"),
                ("list", "a,b,c"),
                ("key with=sep", "v"),
                ("uni", "中文😀"),
                ("empty", ""),
                ("bare", ""),
                ("x", "1"),
                ("tab", "a\tb"),
            ])
        );
    }

    #[test]
    fn malformed_escapes_do_not_panic() {
        for t in [
            "a=\\u12",
            "a=\\uZZZZ",
            "a=\\",
            "\\",
            "a=\\ud800",
            "é=\\uD83D\\u0041",
            "=v",
            ":",
        ] {
            let _ = parse(t);
        }
        assert_eq!(parse("a=\\uZZ"), pairs(&[("a", "\\uZZ")]));
        assert_eq!(parse("=v"), pairs(&[("", "v")]));
    }

    #[test]
    fn format_round_trips() {
        let entries = pairs(&[
            ("listenPort", "9876"),
            ("rocketmqHome", "C:\\rocketmq"),
            ("odd key=:", " leading\nnewline"),
            ("中文", "值"),
        ]);
        let text = format(entries.iter().map(|(k, v)| (k, v)));
        assert!(
            text.starts_with("listenPort=9876\nrocketmqHome=C:\\\\rocketmq\n"),
            "{text}"
        );
        assert_eq!(parse(&text), entries);
    }
}
