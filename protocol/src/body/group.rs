//! Lists of consumers and groups: GET_CONSUMER_LIST_BY_GROUP's body and
//! `GroupList` (QUERY_TOPIC_CONSUME_BY_WHO) (PROTOCOL.md §12.3, §15.4).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::fastjson::JsonBody;

/// GET_CONSUMER_LIST_BY_GROUP response body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetConsumerListByGroupResponseBody {
    /// Client ids of the group's live consumers.
    pub consumer_id_list: Vec<String>,
}

/// A set of group names (`GroupList`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupList {
    /// Group names.
    pub group_list: BTreeSet<String>,
}

impl JsonBody for GetConsumerListByGroupResponseBody {}
impl JsonBody for GroupList {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let text = r#"{"consumerIdList":["10.0.0.5@12345#1713123","10.0.0.6@777#99"]}"#;
        let b = GetConsumerListByGroupResponseBody::from_json(text.as_bytes()).unwrap();
        assert_eq!(b.consumer_id_list.len(), 2);
        assert_eq!(String::from_utf8(b.to_json()).unwrap(), text);
        let g = GroupList::from_json(br#"{"groupList":["G2","G1"]}"#).unwrap();
        assert_eq!(
            String::from_utf8(g.to_json()).unwrap(),
            r#"{"groupList":["G1","G2"]}"#
        );
    }
}
