//! A bounds-checked big-endian reader over a byte slice.

use super::MessageError;

/// Reads big-endian fields from a slice, failing (never panicking) when a
/// field runs past the end.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], MessageError> {
        let have = self.remaining();
        if n > have {
            return Err(MessageError::Truncated {
                what,
                offset: self.pos,
                need: n,
                have,
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], MessageError> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, MessageError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn i16(&mut self, what: &'static str) -> Result<i16, MessageError> {
        Ok(i16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn i32(&mut self, what: &'static str) -> Result<i32, MessageError> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn i64(&mut self, what: &'static str) -> Result<i64, MessageError> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    /// Reads a non-negative length prefix stored as i32.
    pub(crate) fn len_i32(&mut self, what: &'static str) -> Result<usize, MessageError> {
        let v = self.i32(what)?;
        usize::try_from(v).map_err(|_| MessageError::BadLength(format!("{what} = {v}")))
    }

    /// Reads a non-negative length prefix stored as i16.
    pub(crate) fn len_i16(&mut self, what: &'static str) -> Result<usize, MessageError> {
        let v = self.i16(what)?;
        usize::try_from(v).map_err(|_| MessageError::BadLength(format!("{what} = {v}")))
    }
}
