//! The SEND_BATCH_MESSAGE body (PROTOCOL.md §17.3) and the single-send body.
//!
//! Each entry: `TOTALSIZE i32 | MAGICCODE i32 (0) | BODYCRC i32 (0) | FLAG i32
//! | BODYLENGTH i32 + body | PROPERTIESLENGTH i16 + properties`.
//! A single-message send body is just the (maybe compressed) body bytes.

use super::reader::Reader;
use super::MessageError;
use bytes::Bytes;

/// One message of a batch body. The body is a zero-copy slice of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchMessage {
    /// User flag.
    pub flag: i32,
    /// Body bytes.
    pub body: Bytes,
    /// Encoded properties string (see [`super::properties`]).
    pub properties: String,
}

/// Bytes of one batch entry for the given body and properties lengths.
pub fn batch_entry_len(body_len: usize, props_len: usize) -> usize {
    4 + 4 + 4 + 4 + 4 + body_len + 2 + props_len
}

/// Encodes messages as a batch body (as Java's `MessageDecoder.encodeMessages`).
/// Fails if a properties string exceeds 32767 bytes.
pub fn encode_batch(msgs: &[BatchMessage]) -> Result<Vec<u8>, MessageError> {
    let cap = msgs
        .iter()
        .map(|m| batch_entry_len(m.body.len(), m.properties.len()))
        .sum();
    let mut out = Vec::with_capacity(cap);
    for m in msgs {
        if m.properties.len() > i16::MAX as usize {
            return Err(MessageError::OutOfRange(format!(
                "properties length {}",
                m.properties.len()
            )));
        }
        let len = batch_entry_len(m.body.len(), m.properties.len());
        out.extend_from_slice(&(len as i32).to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&m.flag.to_be_bytes());
        out.extend_from_slice(&(m.body.len() as i32).to_be_bytes());
        out.extend_from_slice(&m.body);
        out.extend_from_slice(&(m.properties.len() as i16).to_be_bytes());
        out.extend_from_slice(m.properties.as_bytes());
    }
    Ok(out)
}

/// Decodes a batch body. Like Java, fields are read in sequence (TOTALSIZE,
/// MAGICCODE and BODYCRC are skipped, not trusted); invalid UTF-8 in
/// properties is replaced as Java's decoder does.
pub fn decode_batch(body: &Bytes) -> Result<Vec<BatchMessage>, MessageError> {
    let mut out = Vec::new();
    let mut r = Reader::new(body);
    while r.remaining() > 0 {
        r.take(12, "TOTALSIZE/MAGICCODE/BODYCRC")?;
        let flag = r.i32("FLAG")?;
        let body_len = r.len_i32("BODYLENGTH")?;
        let start = r.pos();
        r.take(body_len, "BODY")?;
        let props_len = r.len_i16("PROPERTIESLENGTH")?;
        let props = r.take(props_len, "PROPERTIES")?;
        out.push(BatchMessage {
            flag,
            body: body.slice(start..start + body_len),
            properties: String::from_utf8_lossy(props).into_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_exact_entry() {
        let m = BatchMessage {
            flag: 7,
            body: Bytes::from_static(b"hi"),
            properties: "A\u{1}b\u{2}".into(),
        };
        let enc = encode_batch(std::slice::from_ref(&m)).unwrap();
        let expect: Vec<u8> = [
            &[0, 0, 0, 28][..],
            &[0, 0, 0, 0],
            &[0, 0, 0, 0],
            &[0, 0, 0, 7],
            &[0, 0, 0, 2],
            b"hi",
            &[0, 4],
            b"A\x01b\x02",
        ]
        .concat();
        assert_eq!(enc, expect);
        let dec = decode_batch(&Bytes::from(enc)).unwrap();
        assert_eq!(dec, vec![m]);
    }

    #[test]
    fn round_trip_many_and_truncation() {
        let msgs: Vec<BatchMessage> = (0..5)
            .map(|i| BatchMessage {
                flag: i,
                body: Bytes::from(vec![i as u8; i as usize * 10]),
                properties: format!("K\u{1}{i}\u{2}"),
            })
            .collect();
        let enc = Bytes::from(encode_batch(&msgs).unwrap());
        assert_eq!(decode_batch(&enc).unwrap(), msgs);
        for cut in 1..enc.len() {
            let part = enc.slice(..cut);
            // Either a clean prefix of whole entries or an error; never a panic.
            if let Ok(d) = decode_batch(&part) {
                assert!(d.len() < msgs.len());
            }
        }
        assert!(decode_batch(&Bytes::new()).unwrap().is_empty());
    }
}
