//! QUERY_MESSAGE (12) and VIEW_MESSAGE_BY_ID (33) (PROTOCOL.md §13.4, §13.5).

use super::command_header;

command_header! {
    /// `QueryMessageRequestHeader`: messages by key (index lookup).
    pub struct QueryMessageRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Message key, or UNIQ_KEY when `unique_key_query` is set.
        key: String = "key",
        /// Most messages to return.
        max_num: i32 = "maxNum",
        /// Range start, ms.
        begin_timestamp: i64 = "beginTimestamp",
        /// Range end, ms.
        end_timestamp: i64 = "endTimestamp",
        /// `_UNIQUE_KEY_QUERY` extField (not a Java header field): the key is a UNIQ_KEY.
        unique_key_query: Option<bool> = "_UNIQUE_KEY_QUERY",
    }
}

impl QueryMessageRequestHeader {
    /// True when the key is a unique message id.
    pub fn is_unique_key_query(&self) -> bool {
        self.unique_key_query.unwrap_or(false)
    }
}

command_header! {
    /// `QueryMessageResponseHeader`.
    pub struct QueryMessageResponseHeader {
        /// Index last update time, ms.
        index_last_update_timestamp: i64 = "indexLastUpdateTimestamp",
        /// Index last update commit log offset.
        index_last_update_phyoffset: i64 = "indexLastUpdatePhyoffset",
    }
}

command_header! {
    /// `ViewMessageByIdRequestHeader`: one stored record by commit log offset.
    pub struct ViewMessageByIdRequestHeader {
        /// Commit log offset.
        offset: i64 = "offset",
        /// Topic (5.x).
        topic: Option<String> = "topic",
    }
}
