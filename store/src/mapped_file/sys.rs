//! The few libc calls the store needs: block preallocation, the store lock,
//! disk usage and local time.

use std::fs::File;
use std::io;
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// Reserves `len` bytes of blocks for `file` (and sets its length), falling
/// back to a sparse `set_len` where the file system cannot preallocate.
pub(crate) fn preallocate(file: &File, len: u64) -> io::Result<()> {
    let len_off = libc::off_t::try_from(len)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file too large"))?;
    // SAFETY: plain syscall on a valid, owned descriptor.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len_off) };
    match rc {
        0 => Ok(()),
        libc::EOPNOTSUPP | libc::EINVAL => file.set_len(len),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

/// Takes an exclusive, non-blocking advisory lock on `file`. Returns false
/// when another process holds it.
pub(crate) fn try_lock(file: &File) -> io::Result<bool> {
    // SAFETY: plain syscall on a valid, owned descriptor.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

/// Used fraction (0.0..=1.0) of the file system holding `path`.
pub(crate) fn disk_used_ratio(path: &Path) -> io::Result<f64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "nul in path"))?;
    // SAFETY: statvfs writes into the zeroed struct we own; `c` is a valid
    // C string for the duration of the call.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let total = st.f_blocks as f64;
    if total <= 0.0 {
        return Ok(0.0);
    }
    let free = st.f_bfree as f64;
    Ok(((total - free) / total).clamp(0.0, 1.0))
}

/// Local broken-down time of `ms` since the epoch: (year, month 1-12, day,
/// hour, minute, second, millisecond).
pub(crate) fn local_time(ms: i64) -> (i32, u32, u32, u32, u32, u32, u32) {
    let secs = ms.div_euclid(1000) as libc::time_t;
    // SAFETY: localtime_r fills the zeroed struct we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&secs, &mut tm).is_null() };
    if !ok {
        return (1970, 1, 1, 0, 0, 0, 0);
    }
    (
        tm.tm_year + 1900,
        (tm.tm_mon + 1) as u32,
        tm.tm_mday as u32,
        tm.tm_hour as u32,
        tm.tm_min as u32,
        tm.tm_sec as u32,
        ms.rem_euclid(1000) as u32,
    )
}

/// Total physical memory in bytes (0 when unknown).
pub(crate) fn physical_memory() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if pages <= 0 || size <= 0 {
        0
    } else {
        pages as u64 * size as u64
    }
}

/// The next range at or after `from` (and before `end`) that may hold
/// non-zero bytes: `lseek(SEEK_DATA)` / `SEEK_HOLE`, which skip preallocated
/// blocks never written (and not in the page cache). None when the rest is
/// a hole. Where the file system cannot tell, the whole rest is one range.
pub(crate) fn next_data(file: &File, from: u64, end: u64) -> Option<(u64, u64)> {
    if from >= end {
        return None;
    }
    let fd = file.as_raw_fd();
    let Ok(at) = libc::off_t::try_from(from) else {
        return Some((from, end));
    };
    // SAFETY: plain syscall on a valid, owned descriptor; it only moves the
    // file offset, which nothing else of the store uses (all I/O is mapped
    // or positional).
    let data = unsafe { libc::lseek(fd, at, libc::SEEK_DATA) };
    if data < 0 {
        return match io::Error::last_os_error().raw_os_error() {
            Some(libc::ENXIO) => None,
            _ => Some((from, end)),
        };
    }
    // SAFETY: as above.
    let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
    let data = data as u64;
    if data >= end {
        return None;
    }
    let hole = if hole < 0 {
        end
    } else {
        (hole as u64).min(end)
    };
    Some((data, hole.max(data)))
}
