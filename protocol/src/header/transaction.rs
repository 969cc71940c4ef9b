//! END_TRANSACTION (37) and CHECK_TRANSACTION_STATE (39) (PROTOCOL.md §11.3, §14).

use super::command_header;

/// `commitOrRollback`: state unknown (the broker ignores it).
pub const TRANSACTION_NOT_TYPE: i32 = 0;
/// `commitOrRollback`: commit the half message.
pub const TRANSACTION_COMMIT_TYPE: i32 = 0x8;
/// `commitOrRollback`: roll the half message back.
pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0xC;

command_header! {
    /// `EndTransactionRequestHeader`: a producer's verdict on a half message
    /// (sent oneway by Java clients).
    pub struct EndTransactionRequestHeader {
        /// Real topic (5.x only).
        topic: Option<String> = "topic",
        /// Must equal the half message's `PGROUP`.
        producer_group: String = "producerGroup",
        /// The half message's queue offset.
        tran_state_table_offset: i64 = "tranStateTableOffset",
        /// The half message's commit log offset.
        commit_log_offset: i64 = "commitLogOffset",
        /// [`TRANSACTION_NOT_TYPE`], [`TRANSACTION_COMMIT_TYPE`] or [`TRANSACTION_ROLLBACK_TYPE`].
        commit_or_rollback: i32 = "commitOrRollback",
        /// True when answering CHECK_TRANSACTION_STATE.
        from_transaction_check: Option<bool> = "fromTransactionCheck",
        /// Client message id (`UNIQ_KEY`).
        msg_id: String = "msgId",
        /// Transaction id.
        transaction_id: Option<String> = "transactionId",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

impl EndTransactionRequestHeader {
    /// True when this answers a broker's check.
    pub fn is_from_check(&self) -> bool {
        self.from_transaction_check.unwrap_or(false)
    }
}

command_header! {
    /// `CheckTransactionStateRequestHeader`: the broker asks a producer
    /// (oneway) for the state of a half message; the body is the stored record.
    pub struct CheckTransactionStateRequestHeader {
        /// Real topic (5.x).
        topic: Option<String> = "topic",
        /// The half message's queue offset.
        tran_state_table_offset: i64 = "tranStateTableOffset",
        /// The half message's commit log offset.
        commit_log_offset: i64 = "commitLogOffset",
        /// Client message id (`UNIQ_KEY`).
        msg_id: Option<String> = "msgId",
        /// Transaction id (= msgId).
        transaction_id: Option<String> = "transactionId",
        /// Offset message id of the half record.
        offset_msg_id: Option<String> = "offsetMsgId",
        /// Broker name (5.x `bname`).
        bname: Option<String> = "bname",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::{CommandHeader, ExtFields};

    #[test]
    fn cpp_client_end_transaction() {
        // rocketmq-client-cpp sends booleans as "0"/"1" and an empty transactionId.
        let mut e = ExtFields::new();
        for (k, v) in [
            ("commitLogOffset", "953257"),
            ("commitOrRollback", "8"),
            ("fromTransactionCheck", "0"),
            ("msgId", "7F00000130BB1C1674B07227BB1F0233"),
            ("producerGroup", "pg"),
            ("tranStateTableOffset", "20"),
            ("transactionId", ""),
        ] {
            e.put(k, v);
        }
        let h = EndTransactionRequestHeader::read(&e).unwrap();
        assert_eq!(h.commit_or_rollback, TRANSACTION_COMMIT_TYPE);
        assert!(!h.is_from_check());
        assert_eq!(h.transaction_id.as_deref(), Some(""));
        assert_eq!(h.commit_log_offset, 953257);
    }
}
