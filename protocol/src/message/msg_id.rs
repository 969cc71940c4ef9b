//! Message ids (PROTOCOL.md §19.3): the offset msgId (store host + CommitLog
//! offset) and the client unique id `UNIQ_KEY` (`MessageClientIDSetter`).

use super::MessageError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xF) as usize] as char);
    }
}

fn parse_hex(s: &str) -> Result<Vec<u8>, MessageError> {
    let b = s.as_bytes();
    if b.len() & 1 == 1 {
        return Err(MessageError::BadMsgId(format!("odd length {}", b.len())));
    }
    let nib = |c: u8| -> Result<u8, MessageError> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(MessageError::BadMsgId(format!(
                "bad hex char {:?}",
                c as char
            ))),
        }
    };
    b.chunks_exact(2)
        .map(|p| Ok((nib(p[0])? << 4) | nib(p[1])?))
        .collect()
}

fn ip_bytes(ip: IpAddr, out: &mut Vec<u8>) {
    match ip {
        IpAddr::V4(v4) => out.extend_from_slice(&v4.octets()),
        IpAddr::V6(v6) => out.extend_from_slice(&v6.octets()),
    }
}

/// The offset msgId: upper-case hex of store IP (4 or 16 bytes), port (i32)
/// and CommitLog offset (i64); 32 chars for IPv4, 56 for IPv6.
pub fn create_offset_msg_id(store_host: SocketAddr, commit_log_offset: i64) -> String {
    let mut raw = Vec::with_capacity(28);
    ip_bytes(store_host.ip(), &mut raw);
    raw.extend_from_slice(&(store_host.port() as i32).to_be_bytes());
    raw.extend_from_slice(&commit_log_offset.to_be_bytes());
    let mut s = String::with_capacity(raw.len() * 2);
    push_hex(&mut s, &raw);
    s
}

/// Decodes an offset msgId into (store host, CommitLog offset); 32 chars
/// means IPv4, 56 IPv6.
pub fn decode_offset_msg_id(msg_id: &str) -> Result<(SocketAddr, i64), MessageError> {
    let raw = parse_hex(msg_id)?;
    let ip_len = match raw.len() {
        16 => 4,
        28 => 16,
        n => return Err(MessageError::BadMsgId(format!("{n} bytes"))),
    };
    let ip = ip_from(&raw[..ip_len]);
    let mut port = [0u8; 4];
    port.copy_from_slice(&raw[ip_len..ip_len + 4]);
    let mut off = [0u8; 8];
    off.copy_from_slice(&raw[ip_len + 4..ip_len + 12]);
    Ok((
        SocketAddr::new(ip, i32::from_be_bytes(port) as u16),
        i64::from_be_bytes(off),
    ))
}

fn ip_from(b: &[u8]) -> IpAddr {
    if b.len() == 4 {
        IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    } else {
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[..16]);
        IpAddr::V6(Ipv6Addr::from(a))
    }
}

/// Start (ms since epoch) of the month containing `now_ms`, in the time zone
/// `utc_offset_secs` east of UTC, and the start of the next month.
fn month_bounds(now_ms: i64, utc_offset_secs: i32) -> (i64, i64) {
    let off = utc_offset_secs as i64 * 1000;
    let local_days = (now_ms + off).div_euclid(86_400_000);
    let (y, m, _) = civil_from_days(local_days);
    let start = days_from_civil(y, m, 1) * 86_400_000 - off;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let next = days_from_civil(ny, nm, 1) * 86_400_000 - off;
    (start, next)
}

// Howard Hinnant's civil-date algorithms.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Generates `UNIQ_KEY` ids exactly as Java's `MessageClientIDSetter`:
/// hex of `ip ++ pid:i16 ++ classLoaderHash:i32 ++ msSinceMonthStart:i32 ++
/// counter:i16`. Java uses the local time zone for the month start; pass the
/// zone with [`UniqIdGenerator::with_utc_offset`] (default UTC).
#[derive(Debug)]
pub struct UniqIdGenerator {
    prefix: String,
    utc_offset_secs: i32,
    month: parking_lot::Mutex<(i64, i64)>,
    counter: AtomicU16,
}

impl UniqIdGenerator {
    /// A generator for this host's `ip`, process id and class-loader hash
    /// (any stable per-process random value).
    pub fn new(ip: IpAddr, pid: u32, class_loader_hash: i32) -> Self {
        let mut raw = Vec::with_capacity(22);
        ip_bytes(ip, &mut raw);
        raw.extend_from_slice(&(pid as i16).to_be_bytes());
        raw.extend_from_slice(&class_loader_hash.to_be_bytes());
        let mut prefix = String::with_capacity(raw.len() * 2 + 12);
        push_hex(&mut prefix, &raw);
        let bounds = month_bounds(now_ms(), 0);
        UniqIdGenerator {
            prefix,
            utc_offset_secs: 0,
            month: parking_lot::Mutex::new(bounds),
            counter: AtomicU16::new(0),
        }
    }

    /// Uses a time zone `secs` east of UTC for the start of the month.
    pub fn with_utc_offset(mut self, secs: i32) -> Self {
        self.utc_offset_secs = secs;
        let bounds = month_bounds(now_ms(), secs);
        *self.month.get_mut() = bounds;
        self
    }

    /// A new id for the current time.
    pub fn next_id(&self) -> String {
        self.id_at(now_ms())
    }

    /// A new id for time `now_ms` (for tests and replay).
    pub fn id_at(&self, now_ms: i64) -> String {
        let start = {
            let mut m = self.month.lock();
            if now_ms >= m.1 || now_ms < m.0 {
                *m = month_bounds(now_ms, self.utc_offset_secs);
            }
            m.0
        };
        let diff = (now_ms - start) as i32;
        let counter = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut s = String::with_capacity(self.prefix.len() + 12);
        s.push_str(&self.prefix);
        push_hex(&mut s, &diff.to_be_bytes());
        push_hex(&mut s, &counter.to_be_bytes());
        s
    }
}

/// Decoded parts of a `UNIQ_KEY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqIdParts {
    /// Producer IP.
    pub ip: IpAddr,
    /// Low 16 bits of the producer's pid.
    pub pid: i16,
    /// Class-loader hash of the producer.
    pub class_loader_hash: i32,
    /// Milliseconds since the start of the producer's month.
    pub ms_since_month_start: i32,
    /// Per-process counter.
    pub counter: i16,
}

/// Splits a `UNIQ_KEY` (32 hex chars for IPv4, 56 for IPv6).
pub fn decode_uniq_id(id: &str) -> Result<UniqIdParts, MessageError> {
    let raw = parse_hex(id)?;
    let ip_len = match raw.len() {
        16 => 4,
        28 => 16,
        n => return Err(MessageError::BadMsgId(format!("{n} bytes"))),
    };
    let b = &raw[ip_len..];
    Ok(UniqIdParts {
        ip: ip_from(&raw[..ip_len]),
        pid: i16::from_be_bytes([b[0], b[1]]),
        class_loader_hash: i32::from_be_bytes([b[2], b[3], b[4], b[5]]),
        ms_since_month_start: i32::from_be_bytes([b[6], b[7], b[8], b[9]]),
        counter: i16::from_be_bytes([b[10], b[11]]),
    })
}

/// The approximate creation time of a `UNIQ_KEY` (Java
/// `getNearlyTimeFromID`): month start of `now_ms` plus the stored span, or
/// of the previous month when that would be in the future.
pub fn uniq_id_time(id: &str, now_ms: i64, utc_offset_secs: i32) -> Result<i64, MessageError> {
    let parts = decode_uniq_id(id)?;
    let span = parts.ms_since_month_start as u32 as i64;
    let (start, _) = month_bounds(now_ms, utc_offset_secs);
    if start + span >= now_ms {
        let (prev, _) = month_bounds(start - 1, utc_offset_secs);
        Ok(prev + span)
    } else {
        Ok(start + span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_msg_id_reference_vector() {
        let addr: SocketAddr = "10.0.0.1:10911".parse().unwrap();
        let id = create_offset_msg_id(addr, 3358);
        assert_eq!(id, "0A00000100002A9F0000000000000D1E");
        assert_eq!(decode_offset_msg_id(&id).unwrap(), (addr, 3358));
        assert_eq!(
            decode_offset_msg_id("0a00000100002a9f0000000000000d1e").unwrap(),
            (addr, 3358)
        );
    }

    #[test]
    fn offset_msg_id_v6_and_errors() {
        let addr: SocketAddr = "[fe80::1]:10911".parse().unwrap();
        let id = create_offset_msg_id(addr, i64::MAX);
        assert_eq!(id.len(), 56);
        assert_eq!(decode_offset_msg_id(&id).unwrap(), (addr, i64::MAX));
        assert!(decode_offset_msg_id("ABC").is_err());
        assert!(decode_offset_msg_id("0A00000100002A9F0000000000000DZZ").is_err());
        assert!(decode_offset_msg_id("").is_err());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2024, 3, 1), 19783);
        assert_eq!(civil_from_days(19783), (2024, 3, 1));
        // 2024-01-15T10:30:10Z -> month start 2024-01-01T00:00Z.
        let (s, n) = month_bounds(1_705_314_610_000, 0);
        assert_eq!(s, 1_704_067_200_000);
        assert_eq!(n, 1_706_745_600_000);
        // UTC+8: 2024-01-31T20:00Z is 2024-02-01T04:00 local.
        let (s, _) = month_bounds(1_706_731_200_000, 8 * 3600);
        assert_eq!(s, 1_706_745_600_000 - 8 * 3_600_000);
    }

    #[test]
    fn uniq_id_layout_and_time() {
        let g = UniqIdGenerator::new("192.168.0.7".parse().unwrap(), 0x1_2345, 0x0102_0304);
        let now = 1_705_314_610_000; // 2024-01-15T10:30:10Z
        let id = g.id_at(now);
        assert_eq!(id.len(), 32);
        assert!(id.starts_with("C0A80007" /* ip */));
        assert_eq!(&id[8..12], "2345"); // pid low 16 bits
        assert_eq!(&id[12..20], "01020304");
        let parts = decode_uniq_id(&id).unwrap();
        assert_eq!(parts.ms_since_month_start as i64, now - 1_704_067_200_000);
        assert_eq!(parts.counter, 0);
        assert_eq!(decode_uniq_id(&g.id_at(now)).unwrap().counter, 1);
        assert_eq!(uniq_id_time(&id, now + 5_000, 0).unwrap(), now);
        let v6 = UniqIdGenerator::new("::1".parse().unwrap(), 1, 2);
        assert_eq!(v6.next_id().len(), 56);
    }
}
