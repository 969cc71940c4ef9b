//! The process-wide `UNIQ_KEY` generator (Java's `MessageClientIDSetter`):
//! this host's IP, the pid, a random per-process hash, milliseconds since the
//! start of the month in local time, and a counter.

use std::sync::OnceLock;

use protocol::message::UniqIdGenerator;

/// The generator of this process.
pub fn generator() -> &'static UniqIdGenerator {
    static GEN: OnceLock<UniqIdGenerator> = OnceLock::new();
    GEN.get_or_init(|| {
        UniqIdGenerator::new(
            crate::config::local_ip(),
            std::process::id(),
            rand::random::<i32>(),
        )
        .with_utc_offset(local_utc_offset_secs())
    })
}

/// A new `UNIQ_KEY`.
pub fn next_uniq_id() -> String {
    generator().next_id()
}

/// A new `UNIQ_KEY` for the wall-clock time `now_ms` the caller has read.
pub(crate) fn uniq_id_at(now_ms: i64) -> String {
    generator().id_at(now_ms)
}

/// Seconds east of UTC of the local time zone now (0 if unknown).
fn local_utc_offset_secs() -> i32 {
    // SAFETY: `time` with a null pointer only returns the time; `localtime_r`
    // writes into the `tm` we own and reads the process's time zone data.
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return 0;
        }
        tm.tm_gmtoff as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_java_shaped() {
        let a = next_uniq_id();
        let b = next_uniq_id();
        assert_ne!(a, b);
        assert!(a.len() == 32 || a.len() == 56, "{a}");
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
        assert_eq!(a[..a.len() - 12], b[..b.len() - 12], "same process prefix");
    }
}
