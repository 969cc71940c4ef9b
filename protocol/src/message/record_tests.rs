use super::*;
use crate::message::sysflag;
use proptest::prelude::*;

fn sample<'a>(topic: &'a str, body: &'a [u8], props: &'a str) -> StoredRecord<'a> {
    StoredRecord {
        topic,
        queue_id: 3,
        flag: 1,
        body,
        properties: props,
        sys_flag: 0,
        born_timestamp: 0x0102_0304_0506_0708,
        born_host: "10.0.0.2:5555".parse().unwrap(),
        store_timestamp: 1000,
        store_host: "10.0.0.1:10911".parse().unwrap(),
        reconsume_times: 2,
        prepared_transaction_offset: 0,
        queue_offset: 9,
        commit_log_offset: 3358,
    }
}

#[test]
fn byte_exact_ipv4_record() {
    let mut out = Vec::new();
    let n = encode_stored_record(&sample("T", b"hi", "A\u{1}b\u{2}"), &mut out).unwrap();
    assert_eq!(n, 91 + 2 + 1 + 4);
    let crc = (crc32fast::hash(b"hi") & 0x7FFF_FFFF).to_be_bytes();
    let expect: Vec<u8> = [
        &98i32.to_be_bytes()[..],
        &[0xDA, 0xA3, 0x20, 0xA7],
        &crc,
        &[0, 0, 0, 3],
        &[0, 0, 0, 1],
        &9i64.to_be_bytes(),
        &3358i64.to_be_bytes(),
        &[0, 0, 0, 0],
        &[1, 2, 3, 4, 5, 6, 7, 8],
        &[10, 0, 0, 2, 0, 0, 0x15, 0xB3],
        &1000i64.to_be_bytes(),
        &[10, 0, 0, 1, 0, 0, 0x2A, 0x9F],
        &[0, 0, 0, 2],
        &0i64.to_be_bytes(),
        &[0, 0, 0, 2],
        b"hi",
        &[1],
        b"T",
        &[0, 4],
        b"A\x01b\x02",
    ]
    .concat();
    assert_eq!(out, expect);
    // Fixed positions match the reference table (IPv4/IPv4).
    assert_eq!(store_timestamp_pos(0), 56);
    assert_eq!(
        &out[QUEUE_OFFSET_POS..QUEUE_OFFSET_POS + 8],
        &9i64.to_be_bytes()
    );
    assert_eq!(
        &out[PHYSICAL_OFFSET_POS..PHYSICAL_OFFSET_POS + 8],
        &3358i64.to_be_bytes()
    );

    let m = decode_message(&Bytes::from(out)).unwrap();
    assert_eq!(m.topic, "T");
    assert_eq!(&m.body[..], b"hi");
    assert_eq!(m.property("A"), Some("b"));
    assert_eq!(m.msg_id, "0A00000100002A9F0000000000000D1E");
    assert_eq!(m.store_host.port(), 10911);
    assert_eq!(m.born_host, "10.0.0.2:5555".parse().unwrap());
    assert_eq!(m.reconsume_times, 2);
}

#[test]
fn ipv6_hosts_set_flags_and_shift_positions() {
    let mut r = sample("T", b"x", "");
    r.born_host = "[::1]:1".parse().unwrap();
    r.store_host = "[fe80::2]:10911".parse().unwrap();
    let mut out = Vec::new();
    let n = encode_stored_record(&r, &mut out).unwrap();
    assert_eq!(n, 91 + 24 + 1 + 1);
    let m = decode_message(&Bytes::from(out.clone())).unwrap();
    assert_eq!(
        m.sys_flag,
        sysflag::BORNHOST_V6_FLAG | sysflag::STOREHOSTADDRESS_V6_FLAG
    );
    assert_eq!(m.born_host, r.born_host);
    assert_eq!(m.store_host, r.store_host);
    assert_eq!(m.msg_id.len(), 56);
    patch_stored_record(&mut out, 77, 88, 99).unwrap();
    let m = decode_message(&Bytes::from(out)).unwrap();
    assert_eq!(
        (m.queue_offset, m.commit_log_offset, m.store_timestamp),
        (77, 88, 99)
    );
}

#[test]
fn long_topic_uses_v2_magic() {
    let topic = "t".repeat(200);
    let mut out = Vec::new();
    encode_stored_record(&sample(&topic, b"", ""), &mut out).unwrap();
    assert_eq!(&out[4..8], &MAGIC_V2.to_be_bytes());
    assert_eq!(decode_message(&Bytes::from(out)).unwrap().topic, topic);
}

#[test]
fn check_record_detects_corruption() {
    let mut out = Vec::new();
    encode_stored_record(&sample("T", b"hello", ""), &mut out).unwrap();
    assert!(matches!(
        check_record(&out, true),
        Ok(RecordCheck::Message(_))
    ));
    let mut bad = out.clone();
    let body_pos = out.len() - 2 - 1 - 1 - 5;
    bad[body_pos] ^= 1;
    assert!(matches!(
        check_record(&bad, true),
        Err(MessageError::BadCrc { .. })
    ));
    assert!(check_record(&bad, false).is_ok());
    let mut bad = out.clone();
    bad[4] = 0;
    assert!(matches!(
        check_record(&bad, true),
        Err(MessageError::BadMagic(_))
    ));
    assert!(check_record(&out[..out.len() - 1], true).is_err());
    assert!(check_record(&[0u8; 3], true).is_err());
    let mut blank = Vec::new();
    blank.extend_from_slice(&100i32.to_be_bytes());
    blank.extend_from_slice(&BLANK_MAGIC.to_be_bytes());
    assert_eq!(
        check_record(&blank, true).unwrap(),
        RecordCheck::Blank { size: 100 }
    );
}

#[test]
fn decode_concatenation() {
    let mut out = Vec::new();
    for i in 0..5u8 {
        let body = vec![i; i as usize];
        let mut r = sample("Topic", &body, "");
        r.queue_offset = i as i64;
        encode_stored_record(&r, &mut out).unwrap();
    }
    let all = decode_messages(&Bytes::from(out)).unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[4].queue_offset, 4);
    assert_eq!(&all[3].body[..], &[3, 3, 3]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip(
        topic in "[A-Za-z0-9_%-]{1,140}",
        body in proptest::collection::vec(any::<u8>(), 0..300),
        props in proptest::collection::vec(("[a-zA-Z]{1,8}", "[ -~]{1,12}"), 0..5),
        queue_id in any::<i32>(),
        v6 in any::<bool>(),
        qoff in any::<i64>(),
    ) {
        let props = crate::message::encode_properties(props.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut r = sample(&topic, &body, &props);
        r.queue_id = queue_id;
        r.queue_offset = qoff;
        if v6 { r.store_host = "[2001:db8::5]:9876".parse().unwrap(); }
        let mut out = Vec::new();
        let n = encode_stored_record(&r, &mut out).unwrap();
        prop_assert_eq!(n, out.len());
        let m = decode_message(&Bytes::from(out.clone())).unwrap();
        prop_assert_eq!(&m.topic, &topic);
        prop_assert_eq!(&m.body[..], &body[..]);
        prop_assert_eq!(m.queue_id, queue_id);
        prop_assert_eq!(m.queue_offset, qoff);
        prop_assert_eq!(m.properties, crate::message::decode_properties(&props));
        prop_assert!(matches!(check_record(&out, true), Ok(RecordCheck::Message(_))));
    }

    #[test]
    fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = check_record(&data, true);
        let _ = decode_messages(&Bytes::from(data.clone()));
        let _ = crate::message::decode_batch(&Bytes::from(data));
    }
}
