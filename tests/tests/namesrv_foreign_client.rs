//! A client written by someone else from the public protocol description:
//! raw TCP, hand-built JSON headers and bodies, none of our codec or body
//! types. It registers a broker with two NameServers and reads routes,
//! cluster info and topic lists back, and gets the error codes a Java client
//! expects.

use harness::Cluster;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A remoting frame: total length, (type 0 << 24 | header length), JSON
/// header, body.
fn request_frame(
    code: i32,
    version: i32,
    opaque: i32,
    ext: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let ext_json: Vec<String> = ext
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"{v}\""))
        .collect();
    let header = format!(
        "{{\"code\":{code},\"extFields\":{{{}}},\"flag\":0,\"language\":\"JAVA\",\"opaque\":{opaque},\"serializeTypeCurrentRPC\":\"JSON\",\"version\":{version}}}",
        ext_json.join(",")
    );
    let mut f = Vec::new();
    f.extend_from_slice(&((4 + header.len() + body.len()) as u32).to_be_bytes());
    f.extend_from_slice(&(header.len() as u32).to_be_bytes());
    f.extend_from_slice(header.as_bytes());
    f.extend_from_slice(body);
    f
}

struct Response {
    header: Value,
    body: String,
}

impl Response {
    fn code(&self) -> i64 {
        self.header["code"].as_i64().unwrap()
    }
}

async fn exchange(s: &mut TcpStream, frame: &[u8]) -> Response {
    s.write_all(frame).await.unwrap();
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await.unwrap();
    let mut rest = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut rest).await.unwrap();
    let word = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
    assert_eq!(word >> 24, 0, "answered in JSON, as asked");
    let hlen = (word & 0x00FF_FFFF) as usize;
    let header: Value = serde_json::from_slice(&rest[4..4 + hlen]).unwrap();
    assert_eq!(header["flag"].as_i64().unwrap() & 1, 1, "response flag set");
    if let Some(ext) = header.get("extFields").and_then(Value::as_object) {
        assert!(
            ext.values().all(Value::is_string),
            "extFields values are strings: {header}"
        );
    }
    let body = String::from_utf8(rest[4 + hlen..].to_vec()).unwrap();
    Response { header, body }
}

const REGISTER_BODY: &str = r#"{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4},"TBW102":{"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8}}}}"#;

#[tokio::test]
async fn hand_built_frames_register_and_read_routes_from_two_nameservers() {
    let cluster = Cluster::builder().namesrvs(2).start().await.unwrap();
    for (i, addr) in cluster.namesrv_addrs().iter().enumerate() {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let register = request_frame(
            103,
            401,
            1,
            &[
                ("brokerName", "broker-a"),
                ("brokerAddr", "127.0.0.1:10911"),
                ("clusterName", "DefaultCluster"),
                ("haServerAddr", "127.0.0.1:10912"),
                ("brokerId", "0"),
                ("compressed", "false"),
                ("bodyCrc32", "0"),
            ],
            REGISTER_BODY.as_bytes(),
        );
        let r = exchange(&mut s, &register).await;
        assert_eq!(r.code(), 0, "register on namesrv {i}: {}", r.header);
        assert_eq!(r.header["opaque"], 1);

        // 4.9.4+ clients get standard JSON
        let route = exchange(
            &mut s,
            &request_frame(105, 401, 2, &[("topic", "TopicTest")], b""),
        )
        .await;
        assert_eq!(route.code(), 0);
        assert_eq!(route.header["opaque"], 2);
        let v: Value = serde_json::from_str(&route.body).unwrap();
        assert_eq!(v["brokerDatas"][0]["brokerAddrs"]["0"], "127.0.0.1:10911");
        assert_eq!(v["brokerDatas"][0]["brokerName"], "broker-a");
        assert_eq!(v["queueDatas"][0]["writeQueueNums"], 4);
        assert_eq!(v["queueDatas"][0]["perm"], 6);

        // older clients (the Go client announces 317) get fastjson's bare keys
        let old = exchange(
            &mut s,
            &request_frame(105, 317, 3, &[("topic", "TopicTest")], b""),
        )
        .await;
        assert!(
            old.body.contains(r#""brokerAddrs":{0:"127.0.0.1:10911"}"#),
            "{}",
            old.body
        );

        let info = exchange(&mut s, &request_frame(106, 401, 4, &[], b"")).await;
        assert_eq!(info.code(), 0);
        assert!(
            info.body.contains(r#""brokerAddrs":{0:"127.0.0.1:10911"}"#),
            "{}",
            info.body
        );
        assert!(
            info.body
                .contains(r#""clusterAddrTable":{"DefaultCluster":["broker-a"]}"#),
            "{}",
            info.body
        );

        let topics = exchange(&mut s, &request_frame(206, 401, 5, &[], b"")).await;
        let v: Value = serde_json::from_str(&topics.body).unwrap();
        let list: Vec<&str> = v["topicList"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            list.contains(&"TopicTest") && list.contains(&"TBW102"),
            "{list:?}"
        );

        let by_cluster = exchange(
            &mut s,
            &request_frame(224, 401, 6, &[("cluster", "DefaultCluster")], b""),
        )
        .await;
        let v: Value = serde_json::from_str(&by_cluster.body).unwrap();
        assert_eq!(v["topicList"].as_array().unwrap().len(), 2);

        let missing = exchange(
            &mut s,
            &request_frame(105, 401, 7, &[("topic", "Nope")], b""),
        )
        .await;
        assert_eq!(missing.code(), 17, "TOPIC_NOT_EXIST");
        assert_eq!(missing.header["opaque"], 7);
        assert!(missing.header["remark"].as_str().unwrap().contains("Nope"));

        let unknown = exchange(&mut s, &request_frame(4242, 401, 8, &[], b"")).await;
        assert_eq!(unknown.code(), 3, "REQUEST_CODE_NOT_SUPPORTED");
        assert_eq!(unknown.header["opaque"], 8);

        let wipe = exchange(
            &mut s,
            &request_frame(205, 401, 9, &[("brokerName", "broker-a")], b""),
        )
        .await;
        assert_eq!(wipe.header["extFields"]["wipeTopicCount"], "2");
    }
}
