//! Request and response codes (PROTOCOL.md §8 and §9).
//!
//! Names are Apache RocketMQ's `RequestCode` / `ResponseCode` names. Where a
//! number was reused between 4.9 and 5.x the 5.x name is used and the 4.9 one
//! is noted on the constant.

/// Request codes (PROTOCOL.md §9).
pub mod request {
    /// Send with the long-name header (`SendMessageRequestHeader`).
    pub const SEND_MESSAGE: i32 = 10;
    /// Pull messages from a queue.
    pub const PULL_MESSAGE: i32 = 11;
    /// Query messages by key or unique key.
    pub const QUERY_MESSAGE: i32 = 12;
    /// Defined by Java, unused.
    pub const QUERY_BROKER_OFFSET: i32 = 13;
    /// Read a group's committed offset.
    pub const QUERY_CONSUMER_OFFSET: i32 = 14;
    /// Commit a group's offset (usually oneway).
    pub const UPDATE_CONSUMER_OFFSET: i32 = 15;
    /// Create or update a topic on a broker.
    pub const UPDATE_AND_CREATE_TOPIC: i32 = 17;
    /// Create or update several topics (5.x).
    pub const UPDATE_AND_CREATE_TOPIC_LIST: i32 = 18;
    /// All topic configs of a broker.
    pub const GET_ALL_TOPIC_CONFIG: i32 = 21;
    /// Defined by Java, unused.
    pub const GET_TOPIC_CONFIG_LIST: i32 = 22;
    /// Defined by Java, unused.
    pub const GET_TOPIC_NAME_LIST: i32 = 23;
    /// Update broker config (properties text body).
    pub const UPDATE_BROKER_CONFIG: i32 = 25;
    /// Read broker config (properties text body).
    pub const GET_BROKER_CONFIG: i32 = 26;
    /// Defined by Java, unused.
    pub const TRIGGER_DELETE_FILES: i32 = 27;
    /// Broker runtime statistics (KVTable).
    pub const GET_BROKER_RUNTIME_INFO: i32 = 28;
    /// Queue offset for a store timestamp.
    pub const SEARCH_OFFSET_BY_TIMESTAMP: i32 = 29;
    /// Queue max logical offset.
    pub const GET_MAX_OFFSET: i32 = 30;
    /// Queue min logical offset.
    pub const GET_MIN_OFFSET: i32 = 31;
    /// Store time of a queue's oldest message.
    pub const GET_EARLIEST_MSG_STORETIME: i32 = 32;
    /// One stored record by commit log offset.
    pub const VIEW_MESSAGE_BY_ID: i32 = 33;
    /// Client heartbeat (`HeartbeatData` body).
    pub const HEART_BEAT: i32 = 34;
    /// Client shutdown.
    pub const UNREGISTER_CLIENT: i32 = 35;
    /// Send a consumed message back for retry.
    pub const CONSUMER_SEND_MSG_BACK: i32 = 36;
    /// Commit or roll back a half message (oneway).
    pub const END_TRANSACTION: i32 = 37;
    /// Client ids of a consumer group.
    pub const GET_CONSUMER_LIST_BY_GROUP: i32 = 38;
    /// Broker asks a producer for a transaction's state (oneway).
    pub const CHECK_TRANSACTION_STATE: i32 = 39;
    /// Broker tells consumers to rebalance (oneway).
    pub const NOTIFY_CONSUMER_IDS_CHANGED: i32 = 40;
    /// Lock queues for orderly consumption.
    pub const LOCK_BATCH_MQ: i32 = 41;
    /// Unlock queues.
    pub const UNLOCK_BATCH_MQ: i32 = 42;
    /// All consumer offsets (slave sync).
    pub const GET_ALL_CONSUMER_OFFSET: i32 = 43;
    /// All delay offsets (slave sync).
    pub const GET_ALL_DELAY_OFFSET: i32 = 45;
    /// Check a subscription's filter expression.
    pub const CHECK_CLIENT_CONFIG: i32 = 46;
    /// Client config (5.x, unused by the broker).
    pub const GET_CLIENT_CONFIG: i32 = 47;
    /// ACL v1 (4.9 only).
    pub const UPDATE_AND_CREATE_ACL_CONFIG: i32 = 50;
    /// ACL v1 (4.9 only).
    pub const DELETE_ACL_CONFIG: i32 = 51;
    /// ACL v1 (4.9 only).
    pub const GET_BROKER_CLUSTER_ACL_INFO: i32 = 52;
    /// ACL v1 (4.9 only).
    pub const UPDATE_GLOBAL_WHITE_ADDRS_CONFIG: i32 = 53;
    /// ACL v1 (4.9 only, deprecated).
    pub const GET_BROKER_CLUSTER_ACL_CONFIG: i32 = 54;
    /// Timer checkpoint (5.x).
    pub const GET_TIMER_CHECK_POINT: i32 = 60;
    /// Timer metrics (5.x).
    pub const GET_TIMER_METRICS: i32 = 61;
    /// Put a name server KV entry.
    pub const PUT_KV_CONFIG: i32 = 100;
    /// Get a name server KV entry.
    pub const GET_KV_CONFIG: i32 = 101;
    /// Delete a name server KV entry.
    pub const DELETE_KV_CONFIG: i32 = 102;
    /// Broker registration with the name server.
    pub const REGISTER_BROKER: i32 = 103;
    /// Broker deregistration.
    pub const UNREGISTER_BROKER: i32 = 104;
    /// Topic route lookup.
    pub const GET_ROUTEINFO_BY_TOPIC: i32 = 105;
    /// Cluster info.
    pub const GET_BROKER_CLUSTER_INFO: i32 = 106;
    /// Create or update a subscription group.
    pub const UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: i32 = 200;
    /// All subscription groups of a broker.
    pub const GET_ALL_SUBSCRIPTIONGROUP_CONFIG: i32 = 201;
    /// Per-queue min/max offsets of a topic.
    pub const GET_TOPIC_STATS_INFO: i32 = 202;
    /// Connections of a consumer group.
    pub const GET_CONSUMER_CONNECTION_LIST: i32 = 203;
    /// Connections of a producer group.
    pub const GET_PRODUCER_CONNECTION_LIST: i32 = 204;
    /// Clear a broker's write permission on the name server.
    pub const WIPE_WRITE_PERM_OF_BROKER: i32 = 205;
    /// All topics known to the name server.
    pub const GET_ALL_TOPIC_LIST_FROM_NAMESERVER: i32 = 206;
    /// Delete a subscription group.
    pub const DELETE_SUBSCRIPTIONGROUP: i32 = 207;
    /// Consumption progress of a group.
    pub const GET_CONSUME_STATS: i32 = 208;
    /// Defined by Java, unused.
    pub const SUSPEND_CONSUMER: i32 = 209;
    /// Defined by Java, unused.
    pub const RESUME_CONSUMER: i32 = 210;
    /// Defined by Java, unused.
    pub const RESET_CONSUMER_OFFSET_IN_CONSUMER: i32 = 211;
    /// Defined by Java, unused.
    pub const RESET_CONSUMER_OFFSET_IN_BROKER: i32 = 212;
    /// Defined by Java, unused.
    pub const ADJUST_CONSUMER_THREAD_POOL: i32 = 213;
    /// Defined by Java, unused.
    pub const WHO_CONSUME_THE_MESSAGE: i32 = 214;
    /// Delete a topic on a broker.
    pub const DELETE_TOPIC_IN_BROKER: i32 = 215;
    /// Delete a topic on the name server.
    pub const DELETE_TOPIC_IN_NAMESRV: i32 = 216;
    /// Register one topic with the name server (5.x).
    pub const REGISTER_TOPIC_IN_NAMESRV: i32 = 217;
    /// All KV entries of a namespace.
    pub const GET_KVLIST_BY_NAMESPACE: i32 = 219;
    /// Broker tells a client to reset offsets (oneway).
    pub const RESET_CONSUMER_CLIENT_OFFSET: i32 = 220;
    /// Broker asks a client for its offsets.
    pub const GET_CONSUMER_STATUS_FROM_CLIENT: i32 = 221;
    /// Admin: reset a group's offsets.
    pub const INVOKE_BROKER_TO_RESET_OFFSET: i32 = 222;
    /// Admin: consumer status via the broker.
    pub const INVOKE_BROKER_TO_GET_CONSUMER_STATUS: i32 = 223;
    /// Topics of a cluster.
    pub const GET_TOPICS_BY_CLUSTER: i32 = 224;
    /// Create or update several groups (5.x).
    pub const UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST: i32 = 225;
    /// Groups consuming a topic.
    pub const QUERY_TOPIC_CONSUME_BY_WHO: i32 = 300;
    /// Legacy filter server.
    pub const REGISTER_FILTER_SERVER: i32 = 301;
    /// Legacy filter server.
    pub const REGISTER_MESSAGE_FILTER_CLASS: i32 = 302;
    /// Consume time span per queue.
    pub const QUERY_CONSUME_TIME_SPAN: i32 = 303;
    /// System topics from the name server.
    pub const GET_SYSTEM_TOPIC_LIST_FROM_NS: i32 = 304;
    /// System topics from a broker.
    pub const GET_SYSTEM_TOPIC_LIST_FROM_BROKER: i32 = 305;
    /// Admin: clean expired consume queues.
    pub const CLEAN_EXPIRED_CONSUMEQUEUE: i32 = 306;
    /// Running info of a consumer client.
    pub const GET_CONSUMER_RUNNING_INFO: i32 = 307;
    /// Correction offsets of groups.
    pub const QUERY_CORRECTION_OFFSET: i32 = 308;
    /// Ask a consumer client to consume one message.
    pub const CONSUME_MESSAGE_DIRECTLY: i32 = 309;
    /// Send with the one-letter header (`SendMessageRequestHeaderV2`).
    pub const SEND_MESSAGE_V2: i32 = 310;
    /// Unit topics.
    pub const GET_UNIT_TOPIC_LIST: i32 = 311;
    /// Topics with unit subscriptions.
    pub const GET_HAS_UNIT_SUB_TOPIC_LIST: i32 = 312;
    /// Non-unit topics with unit subscriptions.
    pub const GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: i32 = 313;
    /// Admin: copy offsets between groups.
    pub const CLONE_GROUP_OFFSET: i32 = 314;
    /// Admin: broker statistics item.
    pub const VIEW_BROKER_STATS_DATA: i32 = 315;
    /// Admin: clean unused topics.
    pub const CLEAN_UNUSED_TOPIC: i32 = 316;
    /// Admin: consume stats of all groups.
    pub const GET_BROKER_CONSUME_STATS: i32 = 317;
    /// Update name server config.
    pub const UPDATE_NAMESRV_CONFIG: i32 = 318;
    /// Read name server config.
    pub const GET_NAMESRV_CONFIG: i32 = 319;
    /// Send a batch (V2 header, batch body).
    pub const SEND_BATCH_MESSAGE: i32 = 320;
    /// Admin: read consume queue entries.
    pub const QUERY_CONSUME_QUEUE: i32 = 321;
    /// Broker asks whether its registration is current.
    pub const QUERY_DATA_VERSION: i32 = 322;
    /// Admin: resume checks of a half message.
    pub const RESUME_CHECK_HALF_MESSAGE: i32 = 323;
    /// Request/reply: send a reply (long header).
    pub const SEND_REPLY_MESSAGE: i32 = 324;
    /// Request/reply: send a reply (V2 header).
    pub const SEND_REPLY_MESSAGE_V2: i32 = 325;
    /// Request/reply: broker pushes a reply.
    pub const PUSH_REPLY_MESSAGE_TO_CLIENT: i32 = 326;
    /// Restore a broker's write permission on the name server.
    pub const ADD_WRITE_PERM_OF_BROKER: i32 = 327;
    /// Admin: all producers.
    pub const GET_ALL_PRODUCER_INFO: i32 = 328;
    /// Admin: delete expired commit log files.
    pub const DELETE_EXPIRED_COMMITLOG: i32 = 329;
    /// Topics of a consumer group (5.x).
    pub const QUERY_TOPICS_BY_CONSUMER: i32 = 343;
    /// Subscription of a group to a topic (5.x).
    pub const QUERY_SUBSCRIPTION_BY_CONSUMER: i32 = 345;
    /// One topic config (5.x).
    pub const GET_TOPIC_CONFIG: i32 = 351;
    /// One subscription group config (5.x).
    pub const GET_SUBSCRIPTIONGROUP_CONFIG: i32 = 352;
    /// Group forbidden flags (5.x).
    pub const UPDATE_AND_GET_GROUP_FORBIDDEN: i32 = 353;
    /// RocksDB consume queue progress (5.x).
    pub const CHECK_ROCKSDB_CQ_WRITE_PROGRESS: i32 = 354;
    /// RocksDB config export (5.x).
    pub const EXPORT_ROCKSDB_CONFIG_TO_JSON: i32 = 355;
    /// Pull from a lite-pull consumer (same header as PULL_MESSAGE).
    pub const LITE_PULL_MESSAGE: i32 = 361;
    /// Recall a timer message (5.x).
    pub const RECALL_MESSAGE: i32 = 370;
    /// Pop: queue assignment (5.x).
    pub const QUERY_ASSIGNMENT: i32 = 400;
    /// Pop: set request mode (5.x).
    pub const SET_MESSAGE_REQUEST_MODE: i32 = 401;
    /// Pop: all request modes (5.x).
    pub const GET_ALL_MESSAGE_REQUEST_MODE: i32 = 402;
    /// Static topic (5.x).
    pub const UPDATE_AND_CREATE_STATIC_TOPIC: i32 = 513;
    /// Broker member group (5.x).
    pub const GET_BROKER_MEMBER_GROUP: i32 = 901;
    /// Container: add a broker (5.x).
    pub const ADD_BROKER: i32 = 902;
    /// Container: remove a broker (5.x).
    pub const REMOVE_BROKER: i32 = 903;
    /// Lightweight broker heartbeat (5.x).
    pub const BROKER_HEARTBEAT: i32 = 904;
    /// Min broker id changed (5.x).
    pub const NOTIFY_MIN_BROKER_ID_CHANGE: i32 = 905;
    /// HA info exchange (5.x).
    pub const EXCHANGE_BROKER_HA_INFO: i32 = 906;
    /// HA status (5.x).
    pub const GET_BROKER_HA_STATUS: i32 = 907;
    /// Reset the master flush offset (5.x).
    pub const RESET_MASTER_FLUSH_OFFSET: i32 = 908;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_ALTER_SYNC_STATE_SET: i32 = 1001;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_ELECT_MASTER: i32 = 1002;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_REGISTER_BROKER: i32 = 1003;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_GET_REPLICA_INFO: i32 = 1004;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_GET_METADATA_INFO: i32 = 1005;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_GET_SYNC_STATE_DATA: i32 = 1006;
    /// Controller (5.x, out of scope).
    pub const GET_BROKER_EPOCH_CACHE: i32 = 1007;
    /// Controller (5.x, out of scope).
    pub const NOTIFY_BROKER_ROLE_CHANGED: i32 = 1008;
    /// Controller (5.x, out of scope).
    pub const UPDATE_CONTROLLER_CONFIG: i32 = 1009;
    /// Controller (5.x, out of scope).
    pub const GET_CONTROLLER_CONFIG: i32 = 1010;
    /// Controller (5.x, out of scope).
    pub const CLEAN_BROKER_DATA: i32 = 1011;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_GET_NEXT_BROKER_ID: i32 = 1012;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_APPLY_BROKER_ID: i32 = 1013;
    /// Cold-data flow control (5.x).
    pub const UPDATE_COLD_DATA_FLOW_CTR_CONFIG: i32 = 2001;
    /// Cold-data flow control (5.x).
    pub const REMOVE_COLD_DATA_FLOW_CTR_CONFIG: i32 = 2002;
    /// Cold-data flow control (5.x).
    pub const GET_COLD_DATA_FLOW_CTR_INFO: i32 = 2003;
    /// Commit log read mode (5.x).
    pub const SET_COMMITLOG_READ_MODE: i32 = 2004;
    /// ACL v2 (5.x).
    pub const AUTH_CREATE_USER: i32 = 3001;
    /// ACL v2 (5.x).
    pub const AUTH_UPDATE_USER: i32 = 3002;
    /// ACL v2 (5.x).
    pub const AUTH_DELETE_USER: i32 = 3003;
    /// ACL v2 (5.x).
    pub const AUTH_GET_USER: i32 = 3004;
    /// ACL v2 (5.x).
    pub const AUTH_LIST_USER: i32 = 3005;
    /// ACL v2 (5.x).
    pub const AUTH_CREATE_ACL: i32 = 3006;
    /// ACL v2 (5.x).
    pub const AUTH_UPDATE_ACL: i32 = 3007;
    /// ACL v2 (5.x).
    pub const AUTH_DELETE_ACL: i32 = 3008;
    /// ACL v2 (5.x).
    pub const AUTH_GET_ACL: i32 = 3009;
    /// ACL v2 (5.x).
    pub const AUTH_LIST_ACL: i32 = 3010;
    /// Pop consumption (5.x, out of scope).
    pub const POP_MESSAGE: i32 = 200050;
    /// Pop consumption (5.x, out of scope).
    pub const ACK_MESSAGE: i32 = 200051;
    /// Pop consumption (5.x, out of scope).
    pub const PEEK_MESSAGE: i32 = 200052;
    /// Pop consumption (5.x, out of scope).
    pub const CHANGE_MESSAGE_INVISIBLETIME: i32 = 200053;
    /// Pop consumption (5.x, out of scope).
    pub const NOTIFICATION: i32 = 200054;
    /// Pop consumption (5.x, out of scope).
    pub const POLLING_INFO: i32 = 200055;
    /// Pop consumption (5.x, out of scope).
    pub const POP_ROLLBACK: i32 = 200056;
    /// Pop consumption (5.x, out of scope).
    pub const BATCH_ACK_MESSAGE: i32 = 200151;

    /// Every known request code with its name, sorted by code.
    pub const ALL: &[(i32, &str)] = &[
        (SEND_MESSAGE, "SEND_MESSAGE"),
        (PULL_MESSAGE, "PULL_MESSAGE"),
        (QUERY_MESSAGE, "QUERY_MESSAGE"),
        (QUERY_BROKER_OFFSET, "QUERY_BROKER_OFFSET"),
        (QUERY_CONSUMER_OFFSET, "QUERY_CONSUMER_OFFSET"),
        (UPDATE_CONSUMER_OFFSET, "UPDATE_CONSUMER_OFFSET"),
        (UPDATE_AND_CREATE_TOPIC, "UPDATE_AND_CREATE_TOPIC"),
        (UPDATE_AND_CREATE_TOPIC_LIST, "UPDATE_AND_CREATE_TOPIC_LIST"),
        (GET_ALL_TOPIC_CONFIG, "GET_ALL_TOPIC_CONFIG"),
        (GET_TOPIC_CONFIG_LIST, "GET_TOPIC_CONFIG_LIST"),
        (GET_TOPIC_NAME_LIST, "GET_TOPIC_NAME_LIST"),
        (UPDATE_BROKER_CONFIG, "UPDATE_BROKER_CONFIG"),
        (GET_BROKER_CONFIG, "GET_BROKER_CONFIG"),
        (TRIGGER_DELETE_FILES, "TRIGGER_DELETE_FILES"),
        (GET_BROKER_RUNTIME_INFO, "GET_BROKER_RUNTIME_INFO"),
        (SEARCH_OFFSET_BY_TIMESTAMP, "SEARCH_OFFSET_BY_TIMESTAMP"),
        (GET_MAX_OFFSET, "GET_MAX_OFFSET"),
        (GET_MIN_OFFSET, "GET_MIN_OFFSET"),
        (GET_EARLIEST_MSG_STORETIME, "GET_EARLIEST_MSG_STORETIME"),
        (VIEW_MESSAGE_BY_ID, "VIEW_MESSAGE_BY_ID"),
        (HEART_BEAT, "HEART_BEAT"),
        (UNREGISTER_CLIENT, "UNREGISTER_CLIENT"),
        (CONSUMER_SEND_MSG_BACK, "CONSUMER_SEND_MSG_BACK"),
        (END_TRANSACTION, "END_TRANSACTION"),
        (GET_CONSUMER_LIST_BY_GROUP, "GET_CONSUMER_LIST_BY_GROUP"),
        (CHECK_TRANSACTION_STATE, "CHECK_TRANSACTION_STATE"),
        (NOTIFY_CONSUMER_IDS_CHANGED, "NOTIFY_CONSUMER_IDS_CHANGED"),
        (LOCK_BATCH_MQ, "LOCK_BATCH_MQ"),
        (UNLOCK_BATCH_MQ, "UNLOCK_BATCH_MQ"),
        (GET_ALL_CONSUMER_OFFSET, "GET_ALL_CONSUMER_OFFSET"),
        (GET_ALL_DELAY_OFFSET, "GET_ALL_DELAY_OFFSET"),
        (CHECK_CLIENT_CONFIG, "CHECK_CLIENT_CONFIG"),
        (GET_CLIENT_CONFIG, "GET_CLIENT_CONFIG"),
        (UPDATE_AND_CREATE_ACL_CONFIG, "UPDATE_AND_CREATE_ACL_CONFIG"),
        (DELETE_ACL_CONFIG, "DELETE_ACL_CONFIG"),
        (GET_BROKER_CLUSTER_ACL_INFO, "GET_BROKER_CLUSTER_ACL_INFO"),
        (
            UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
            "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG",
        ),
        (
            GET_BROKER_CLUSTER_ACL_CONFIG,
            "GET_BROKER_CLUSTER_ACL_CONFIG",
        ),
        (GET_TIMER_CHECK_POINT, "GET_TIMER_CHECK_POINT"),
        (GET_TIMER_METRICS, "GET_TIMER_METRICS"),
        (PUT_KV_CONFIG, "PUT_KV_CONFIG"),
        (GET_KV_CONFIG, "GET_KV_CONFIG"),
        (DELETE_KV_CONFIG, "DELETE_KV_CONFIG"),
        (REGISTER_BROKER, "REGISTER_BROKER"),
        (UNREGISTER_BROKER, "UNREGISTER_BROKER"),
        (GET_ROUTEINFO_BY_TOPIC, "GET_ROUTEINFO_BY_TOPIC"),
        (GET_BROKER_CLUSTER_INFO, "GET_BROKER_CLUSTER_INFO"),
        (
            UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
            "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
        ),
        (
            GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
            "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
        ),
        (GET_TOPIC_STATS_INFO, "GET_TOPIC_STATS_INFO"),
        (GET_CONSUMER_CONNECTION_LIST, "GET_CONSUMER_CONNECTION_LIST"),
        (GET_PRODUCER_CONNECTION_LIST, "GET_PRODUCER_CONNECTION_LIST"),
        (WIPE_WRITE_PERM_OF_BROKER, "WIPE_WRITE_PERM_OF_BROKER"),
        (
            GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
            "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
        ),
        (DELETE_SUBSCRIPTIONGROUP, "DELETE_SUBSCRIPTIONGROUP"),
        (GET_CONSUME_STATS, "GET_CONSUME_STATS"),
        (SUSPEND_CONSUMER, "SUSPEND_CONSUMER"),
        (RESUME_CONSUMER, "RESUME_CONSUMER"),
        (
            RESET_CONSUMER_OFFSET_IN_CONSUMER,
            "RESET_CONSUMER_OFFSET_IN_CONSUMER",
        ),
        (
            RESET_CONSUMER_OFFSET_IN_BROKER,
            "RESET_CONSUMER_OFFSET_IN_BROKER",
        ),
        (ADJUST_CONSUMER_THREAD_POOL, "ADJUST_CONSUMER_THREAD_POOL"),
        (WHO_CONSUME_THE_MESSAGE, "WHO_CONSUME_THE_MESSAGE"),
        (DELETE_TOPIC_IN_BROKER, "DELETE_TOPIC_IN_BROKER"),
        (DELETE_TOPIC_IN_NAMESRV, "DELETE_TOPIC_IN_NAMESRV"),
        (REGISTER_TOPIC_IN_NAMESRV, "REGISTER_TOPIC_IN_NAMESRV"),
        (GET_KVLIST_BY_NAMESPACE, "GET_KVLIST_BY_NAMESPACE"),
        (RESET_CONSUMER_CLIENT_OFFSET, "RESET_CONSUMER_CLIENT_OFFSET"),
        (
            GET_CONSUMER_STATUS_FROM_CLIENT,
            "GET_CONSUMER_STATUS_FROM_CLIENT",
        ),
        (
            INVOKE_BROKER_TO_RESET_OFFSET,
            "INVOKE_BROKER_TO_RESET_OFFSET",
        ),
        (
            INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
            "INVOKE_BROKER_TO_GET_CONSUMER_STATUS",
        ),
        (GET_TOPICS_BY_CLUSTER, "GET_TOPICS_BY_CLUSTER"),
        (
            UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST,
            "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST",
        ),
        (QUERY_TOPIC_CONSUME_BY_WHO, "QUERY_TOPIC_CONSUME_BY_WHO"),
        (REGISTER_FILTER_SERVER, "REGISTER_FILTER_SERVER"),
        (
            REGISTER_MESSAGE_FILTER_CLASS,
            "REGISTER_MESSAGE_FILTER_CLASS",
        ),
        (QUERY_CONSUME_TIME_SPAN, "QUERY_CONSUME_TIME_SPAN"),
        (
            GET_SYSTEM_TOPIC_LIST_FROM_NS,
            "GET_SYSTEM_TOPIC_LIST_FROM_NS",
        ),
        (
            GET_SYSTEM_TOPIC_LIST_FROM_BROKER,
            "GET_SYSTEM_TOPIC_LIST_FROM_BROKER",
        ),
        (CLEAN_EXPIRED_CONSUMEQUEUE, "CLEAN_EXPIRED_CONSUMEQUEUE"),
        (GET_CONSUMER_RUNNING_INFO, "GET_CONSUMER_RUNNING_INFO"),
        (QUERY_CORRECTION_OFFSET, "QUERY_CORRECTION_OFFSET"),
        (CONSUME_MESSAGE_DIRECTLY, "CONSUME_MESSAGE_DIRECTLY"),
        (SEND_MESSAGE_V2, "SEND_MESSAGE_V2"),
        (GET_UNIT_TOPIC_LIST, "GET_UNIT_TOPIC_LIST"),
        (GET_HAS_UNIT_SUB_TOPIC_LIST, "GET_HAS_UNIT_SUB_TOPIC_LIST"),
        (
            GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST,
            "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST",
        ),
        (CLONE_GROUP_OFFSET, "CLONE_GROUP_OFFSET"),
        (VIEW_BROKER_STATS_DATA, "VIEW_BROKER_STATS_DATA"),
        (CLEAN_UNUSED_TOPIC, "CLEAN_UNUSED_TOPIC"),
        (GET_BROKER_CONSUME_STATS, "GET_BROKER_CONSUME_STATS"),
        (UPDATE_NAMESRV_CONFIG, "UPDATE_NAMESRV_CONFIG"),
        (GET_NAMESRV_CONFIG, "GET_NAMESRV_CONFIG"),
        (SEND_BATCH_MESSAGE, "SEND_BATCH_MESSAGE"),
        (QUERY_CONSUME_QUEUE, "QUERY_CONSUME_QUEUE"),
        (QUERY_DATA_VERSION, "QUERY_DATA_VERSION"),
        (RESUME_CHECK_HALF_MESSAGE, "RESUME_CHECK_HALF_MESSAGE"),
        (SEND_REPLY_MESSAGE, "SEND_REPLY_MESSAGE"),
        (SEND_REPLY_MESSAGE_V2, "SEND_REPLY_MESSAGE_V2"),
        (PUSH_REPLY_MESSAGE_TO_CLIENT, "PUSH_REPLY_MESSAGE_TO_CLIENT"),
        (ADD_WRITE_PERM_OF_BROKER, "ADD_WRITE_PERM_OF_BROKER"),
        (GET_ALL_PRODUCER_INFO, "GET_ALL_PRODUCER_INFO"),
        (DELETE_EXPIRED_COMMITLOG, "DELETE_EXPIRED_COMMITLOG"),
        (QUERY_TOPICS_BY_CONSUMER, "QUERY_TOPICS_BY_CONSUMER"),
        (
            QUERY_SUBSCRIPTION_BY_CONSUMER,
            "QUERY_SUBSCRIPTION_BY_CONSUMER",
        ),
        (GET_TOPIC_CONFIG, "GET_TOPIC_CONFIG"),
        (GET_SUBSCRIPTIONGROUP_CONFIG, "GET_SUBSCRIPTIONGROUP_CONFIG"),
        (
            UPDATE_AND_GET_GROUP_FORBIDDEN,
            "UPDATE_AND_GET_GROUP_FORBIDDEN",
        ),
        (
            CHECK_ROCKSDB_CQ_WRITE_PROGRESS,
            "CHECK_ROCKSDB_CQ_WRITE_PROGRESS",
        ),
        (
            EXPORT_ROCKSDB_CONFIG_TO_JSON,
            "EXPORT_ROCKSDB_CONFIG_TO_JSON",
        ),
        (LITE_PULL_MESSAGE, "LITE_PULL_MESSAGE"),
        (RECALL_MESSAGE, "RECALL_MESSAGE"),
        (QUERY_ASSIGNMENT, "QUERY_ASSIGNMENT"),
        (SET_MESSAGE_REQUEST_MODE, "SET_MESSAGE_REQUEST_MODE"),
        (GET_ALL_MESSAGE_REQUEST_MODE, "GET_ALL_MESSAGE_REQUEST_MODE"),
        (
            UPDATE_AND_CREATE_STATIC_TOPIC,
            "UPDATE_AND_CREATE_STATIC_TOPIC",
        ),
        (GET_BROKER_MEMBER_GROUP, "GET_BROKER_MEMBER_GROUP"),
        (ADD_BROKER, "ADD_BROKER"),
        (REMOVE_BROKER, "REMOVE_BROKER"),
        (BROKER_HEARTBEAT, "BROKER_HEARTBEAT"),
        (NOTIFY_MIN_BROKER_ID_CHANGE, "NOTIFY_MIN_BROKER_ID_CHANGE"),
        (EXCHANGE_BROKER_HA_INFO, "EXCHANGE_BROKER_HA_INFO"),
        (GET_BROKER_HA_STATUS, "GET_BROKER_HA_STATUS"),
        (RESET_MASTER_FLUSH_OFFSET, "RESET_MASTER_FLUSH_OFFSET"),
        (
            CONTROLLER_ALTER_SYNC_STATE_SET,
            "CONTROLLER_ALTER_SYNC_STATE_SET",
        ),
        (CONTROLLER_ELECT_MASTER, "CONTROLLER_ELECT_MASTER"),
        (CONTROLLER_REGISTER_BROKER, "CONTROLLER_REGISTER_BROKER"),
        (CONTROLLER_GET_REPLICA_INFO, "CONTROLLER_GET_REPLICA_INFO"),
        (CONTROLLER_GET_METADATA_INFO, "CONTROLLER_GET_METADATA_INFO"),
        (
            CONTROLLER_GET_SYNC_STATE_DATA,
            "CONTROLLER_GET_SYNC_STATE_DATA",
        ),
        (GET_BROKER_EPOCH_CACHE, "GET_BROKER_EPOCH_CACHE"),
        (NOTIFY_BROKER_ROLE_CHANGED, "NOTIFY_BROKER_ROLE_CHANGED"),
        (UPDATE_CONTROLLER_CONFIG, "UPDATE_CONTROLLER_CONFIG"),
        (GET_CONTROLLER_CONFIG, "GET_CONTROLLER_CONFIG"),
        (CLEAN_BROKER_DATA, "CLEAN_BROKER_DATA"),
        (
            CONTROLLER_GET_NEXT_BROKER_ID,
            "CONTROLLER_GET_NEXT_BROKER_ID",
        ),
        (CONTROLLER_APPLY_BROKER_ID, "CONTROLLER_APPLY_BROKER_ID"),
        (
            UPDATE_COLD_DATA_FLOW_CTR_CONFIG,
            "UPDATE_COLD_DATA_FLOW_CTR_CONFIG",
        ),
        (
            REMOVE_COLD_DATA_FLOW_CTR_CONFIG,
            "REMOVE_COLD_DATA_FLOW_CTR_CONFIG",
        ),
        (GET_COLD_DATA_FLOW_CTR_INFO, "GET_COLD_DATA_FLOW_CTR_INFO"),
        (SET_COMMITLOG_READ_MODE, "SET_COMMITLOG_READ_MODE"),
        (AUTH_CREATE_USER, "AUTH_CREATE_USER"),
        (AUTH_UPDATE_USER, "AUTH_UPDATE_USER"),
        (AUTH_DELETE_USER, "AUTH_DELETE_USER"),
        (AUTH_GET_USER, "AUTH_GET_USER"),
        (AUTH_LIST_USER, "AUTH_LIST_USER"),
        (AUTH_CREATE_ACL, "AUTH_CREATE_ACL"),
        (AUTH_UPDATE_ACL, "AUTH_UPDATE_ACL"),
        (AUTH_DELETE_ACL, "AUTH_DELETE_ACL"),
        (AUTH_GET_ACL, "AUTH_GET_ACL"),
        (AUTH_LIST_ACL, "AUTH_LIST_ACL"),
        (POP_MESSAGE, "POP_MESSAGE"),
        (ACK_MESSAGE, "ACK_MESSAGE"),
        (PEEK_MESSAGE, "PEEK_MESSAGE"),
        (CHANGE_MESSAGE_INVISIBLETIME, "CHANGE_MESSAGE_INVISIBLETIME"),
        (NOTIFICATION, "NOTIFICATION"),
        (POLLING_INFO, "POLLING_INFO"),
        (POP_ROLLBACK, "POP_ROLLBACK"),
        (BATCH_ACK_MESSAGE, "BATCH_ACK_MESSAGE"),
    ];

    /// The Java name of a request code, for logging; `None` for unknown codes.
    pub fn name(code: i32) -> Option<&'static str> {
        ALL.binary_search_by_key(&code, |&(c, _)| c)
            .ok()
            .map(|i| ALL[i].1)
    }
}

/// Response codes (PROTOCOL.md §8).
pub mod response {
    /// OK.
    pub const SUCCESS: i32 = 0;
    /// Generic failure; also "not found" in several admin calls.
    pub const SYSTEM_ERROR: i32 = 1;
    /// Flow control; OS page cache busy on send.
    pub const SYSTEM_BUSY: i32 = 2;
    /// Unknown request code.
    pub const REQUEST_CODE_NOT_SUPPORTED: i32 = 3;
    /// Unused by the broker core.
    pub const TRANSACTION_FAILED: i32 = 4;
    /// Sync flush timed out; the message is stored.
    pub const FLUSH_DISK_TIMEOUT: i32 = 10;
    /// No slave in sync; the message is stored on the master.
    pub const SLAVE_NOT_AVAILABLE: i32 = 11;
    /// Slave ack timed out; the message is stored.
    pub const FLUSH_SLAVE_TIMEOUT: i32 = 12;
    /// Message too large, bad properties, bad batch.
    pub const MESSAGE_ILLEGAL: i32 = 13;
    /// Store not writeable, disk full, shut down or slave.
    pub const SERVICE_NOT_AVAILABLE: i32 = 14;
    /// Client version not supported.
    pub const VERSION_NOT_SUPPORTED: i32 = 15;
    /// Broker, topic or group permission denied.
    pub const NO_PERMISSION: i32 = 16;
    /// Unknown topic.
    pub const TOPIC_NOT_EXIST: i32 = 17;
    /// Topic already exists.
    pub const TOPIC_EXIST_ALREADY: i32 = 18;
    /// No new message.
    pub const PULL_NOT_FOUND: i32 = 19;
    /// Nothing matched the filter; pull again.
    pub const PULL_RETRY_IMMEDIATELY: i32 = 20;
    /// Requested offset out of range.
    pub const PULL_OFFSET_MOVED: i32 = 21;
    /// Nothing stored (offset, KV key, message).
    pub const QUERY_NOT_FOUND: i32 = 22;
    /// Subscription expression does not parse.
    pub const SUBSCRIPTION_PARSE_FAILED: i32 = 23;
    /// No subscription registered for the group/topic.
    pub const SUBSCRIPTION_NOT_EXIST: i32 = 24;
    /// Registered subscription older than the request's.
    pub const SUBSCRIPTION_NOT_LATEST: i32 = 25;
    /// Unknown group and auto-create disabled.
    pub const SUBSCRIPTION_GROUP_NOT_EXIST: i32 = 26;
    /// SQL92 filter data missing.
    pub const FILTER_DATA_NOT_EXIST: i32 = 27;
    /// SQL92 filter data outdated.
    pub const FILTER_DATA_NOT_LATEST: i32 = 28;
    /// Bad topic name or queue id (5.x).
    pub const INVALID_PARAMETER: i32 = 29;
    /// Transaction state: commit.
    pub const TRANSACTION_SHOULD_COMMIT: i32 = 200;
    /// Transaction state: roll back.
    pub const TRANSACTION_SHOULD_ROLLBACK: i32 = 201;
    /// Transaction state: unknown (sic).
    pub const TRANSACTION_STATE_UNKNOW: i32 = 202;
    /// Wrong producer group for a transaction.
    pub const TRANSACTION_STATE_GROUP_WRONG: i32 = 203;
    /// No buyer id.
    pub const NO_BUYER_ID: i32 = 204;
    /// Not in the current unit.
    pub const NOT_IN_CURRENT_UNIT: i32 = 205;
    /// Consumer group has no live connection.
    pub const CONSUMER_NOT_ONLINE: i32 = 206;
    /// CONSUME_MESSAGE_DIRECTLY timed out.
    pub const CONSUME_MSG_TIMEOUT: i32 = 207;
    /// No message.
    pub const NO_MESSAGE: i32 = 208;
    /// 5.x pop polling full; 4.9 used 209 for UPDATE_AND_CREATE_ACL_CONFIG_FAILED.
    pub const POLLING_FULL: i32 = 209;
    /// 5.x pop polling timeout; 4.9 used 210 for DELETE_ACL_CONFIG_FAILED.
    pub const POLLING_TIMEOUT: i32 = 210;
    /// 5.x; 4.9 used 211 for UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED.
    pub const BROKER_NOT_EXIST: i32 = 211;
    /// Dispatch behind (5.x).
    pub const BROKER_DISPATCH_NOT_COMPLETE: i32 = 212;
    /// Broadcast consumption (5.x).
    pub const BROADCAST_CONSUMPTION: i32 = 213;
    /// Flow control.
    pub const FLOW_CONTROL: i32 = 215;
    /// Static topics (5.x).
    pub const NOT_LEADER_FOR_QUEUE: i32 = 501;
    /// END_TRANSACTION after the check-immunity window (5.x).
    pub const ILLEGAL_OPERATION: i32 = 604;
    /// Client-side only (5.x).
    pub const RPC_UNKNOWN: i32 = -1000;
    /// Client-side only (5.x).
    pub const RPC_ADDR_IS_NULL: i32 = -1002;
    /// Client-side only (5.x).
    pub const RPC_SEND_TO_CHANNEL_FAILED: i32 = -1004;
    /// Client-side only (5.x).
    pub const RPC_TIME_OUT: i32 = -1006;
    /// Server shutting down (5.x).
    pub const GO_AWAY: i32 = 1500;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_FENCED_MASTER_EPOCH: i32 = 2000;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH: i32 = 2001;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_INVALID_MASTER: i32 = 2002;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_INVALID_REPLICAS: i32 = 2003;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_MASTER_NOT_AVAILABLE: i32 = 2004;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_INVALID_REQUEST: i32 = 2005;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_BROKER_NOT_ALIVE: i32 = 2006;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_NOT_LEADER: i32 = 2007;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_BROKER_METADATA_NOT_EXIST: i32 = 2008;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_INVALID_CLEAN_BROKER_METADATA: i32 = 2009;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_BROKER_NEED_TO_BE_REGISTERED: i32 = 2010;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_MASTER_STILL_EXIST: i32 = 2011;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_ELECT_MASTER_FAILED: i32 = 2012;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_ALTER_SYNC_STATE_SET_FAILED: i32 = 2013;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_BROKER_ID_INVALID: i32 = 2014;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_JRAFT_INTERNAL_ERROR: i32 = 2015;
    /// Controller (5.x, out of scope).
    pub const CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS: i32 = 2016;
    /// Auth user unknown (5.x).
    pub const USER_NOT_EXIST: i32 = 3001;
    /// Auth policy unknown (5.x).
    pub const POLICY_NOT_EXIST: i32 = 3002;

    /// Every known response code with its name, sorted by code.
    pub const ALL: &[(i32, &str)] = &[
        (RPC_TIME_OUT, "RPC_TIME_OUT"),
        (RPC_SEND_TO_CHANNEL_FAILED, "RPC_SEND_TO_CHANNEL_FAILED"),
        (RPC_ADDR_IS_NULL, "RPC_ADDR_IS_NULL"),
        (RPC_UNKNOWN, "RPC_UNKNOWN"),
        (SUCCESS, "SUCCESS"),
        (SYSTEM_ERROR, "SYSTEM_ERROR"),
        (SYSTEM_BUSY, "SYSTEM_BUSY"),
        (REQUEST_CODE_NOT_SUPPORTED, "REQUEST_CODE_NOT_SUPPORTED"),
        (TRANSACTION_FAILED, "TRANSACTION_FAILED"),
        (FLUSH_DISK_TIMEOUT, "FLUSH_DISK_TIMEOUT"),
        (SLAVE_NOT_AVAILABLE, "SLAVE_NOT_AVAILABLE"),
        (FLUSH_SLAVE_TIMEOUT, "FLUSH_SLAVE_TIMEOUT"),
        (MESSAGE_ILLEGAL, "MESSAGE_ILLEGAL"),
        (SERVICE_NOT_AVAILABLE, "SERVICE_NOT_AVAILABLE"),
        (VERSION_NOT_SUPPORTED, "VERSION_NOT_SUPPORTED"),
        (NO_PERMISSION, "NO_PERMISSION"),
        (TOPIC_NOT_EXIST, "TOPIC_NOT_EXIST"),
        (TOPIC_EXIST_ALREADY, "TOPIC_EXIST_ALREADY"),
        (PULL_NOT_FOUND, "PULL_NOT_FOUND"),
        (PULL_RETRY_IMMEDIATELY, "PULL_RETRY_IMMEDIATELY"),
        (PULL_OFFSET_MOVED, "PULL_OFFSET_MOVED"),
        (QUERY_NOT_FOUND, "QUERY_NOT_FOUND"),
        (SUBSCRIPTION_PARSE_FAILED, "SUBSCRIPTION_PARSE_FAILED"),
        (SUBSCRIPTION_NOT_EXIST, "SUBSCRIPTION_NOT_EXIST"),
        (SUBSCRIPTION_NOT_LATEST, "SUBSCRIPTION_NOT_LATEST"),
        (SUBSCRIPTION_GROUP_NOT_EXIST, "SUBSCRIPTION_GROUP_NOT_EXIST"),
        (FILTER_DATA_NOT_EXIST, "FILTER_DATA_NOT_EXIST"),
        (FILTER_DATA_NOT_LATEST, "FILTER_DATA_NOT_LATEST"),
        (INVALID_PARAMETER, "INVALID_PARAMETER"),
        (TRANSACTION_SHOULD_COMMIT, "TRANSACTION_SHOULD_COMMIT"),
        (TRANSACTION_SHOULD_ROLLBACK, "TRANSACTION_SHOULD_ROLLBACK"),
        (TRANSACTION_STATE_UNKNOW, "TRANSACTION_STATE_UNKNOW"),
        (
            TRANSACTION_STATE_GROUP_WRONG,
            "TRANSACTION_STATE_GROUP_WRONG",
        ),
        (NO_BUYER_ID, "NO_BUYER_ID"),
        (NOT_IN_CURRENT_UNIT, "NOT_IN_CURRENT_UNIT"),
        (CONSUMER_NOT_ONLINE, "CONSUMER_NOT_ONLINE"),
        (CONSUME_MSG_TIMEOUT, "CONSUME_MSG_TIMEOUT"),
        (NO_MESSAGE, "NO_MESSAGE"),
        (POLLING_FULL, "POLLING_FULL"),
        (POLLING_TIMEOUT, "POLLING_TIMEOUT"),
        (BROKER_NOT_EXIST, "BROKER_NOT_EXIST"),
        (BROKER_DISPATCH_NOT_COMPLETE, "BROKER_DISPATCH_NOT_COMPLETE"),
        (BROADCAST_CONSUMPTION, "BROADCAST_CONSUMPTION"),
        (FLOW_CONTROL, "FLOW_CONTROL"),
        (NOT_LEADER_FOR_QUEUE, "NOT_LEADER_FOR_QUEUE"),
        (ILLEGAL_OPERATION, "ILLEGAL_OPERATION"),
        (GO_AWAY, "GO_AWAY"),
        (
            CONTROLLER_FENCED_MASTER_EPOCH,
            "CONTROLLER_FENCED_MASTER_EPOCH",
        ),
        (
            CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH,
            "CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH",
        ),
        (CONTROLLER_INVALID_MASTER, "CONTROLLER_INVALID_MASTER"),
        (CONTROLLER_INVALID_REPLICAS, "CONTROLLER_INVALID_REPLICAS"),
        (
            CONTROLLER_MASTER_NOT_AVAILABLE,
            "CONTROLLER_MASTER_NOT_AVAILABLE",
        ),
        (CONTROLLER_INVALID_REQUEST, "CONTROLLER_INVALID_REQUEST"),
        (CONTROLLER_BROKER_NOT_ALIVE, "CONTROLLER_BROKER_NOT_ALIVE"),
        (CONTROLLER_NOT_LEADER, "CONTROLLER_NOT_LEADER"),
        (
            CONTROLLER_BROKER_METADATA_NOT_EXIST,
            "CONTROLLER_BROKER_METADATA_NOT_EXIST",
        ),
        (
            CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
            "CONTROLLER_INVALID_CLEAN_BROKER_METADATA",
        ),
        (
            CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
            "CONTROLLER_BROKER_NEED_TO_BE_REGISTERED",
        ),
        (
            CONTROLLER_MASTER_STILL_EXIST,
            "CONTROLLER_MASTER_STILL_EXIST",
        ),
        (
            CONTROLLER_ELECT_MASTER_FAILED,
            "CONTROLLER_ELECT_MASTER_FAILED",
        ),
        (
            CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
            "CONTROLLER_ALTER_SYNC_STATE_SET_FAILED",
        ),
        (CONTROLLER_BROKER_ID_INVALID, "CONTROLLER_BROKER_ID_INVALID"),
        (
            CONTROLLER_JRAFT_INTERNAL_ERROR,
            "CONTROLLER_JRAFT_INTERNAL_ERROR",
        ),
        (
            CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS,
            "CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS",
        ),
        (USER_NOT_EXIST, "USER_NOT_EXIST"),
        (POLICY_NOT_EXIST, "POLICY_NOT_EXIST"),
    ];

    /// The Java (5.x) name of a response code, for logging; `None` for unknown codes.
    pub fn name(code: i32) -> Option<&'static str> {
        ALL.binary_search_by_key(&code, |&(c, _)| c)
            .ok()
            .map(|i| ALL[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        for table in [request::ALL, response::ALL] {
            assert!(table.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn names_resolve() {
        assert_eq!(
            request::name(request::SEND_MESSAGE_V2),
            Some("SEND_MESSAGE_V2")
        );
        assert_eq!(request::name(request::POP_MESSAGE), Some("POP_MESSAGE"));
        assert_eq!(request::name(16), None);
        assert_eq!(response::name(response::RPC_TIME_OUT), Some("RPC_TIME_OUT"));
        assert_eq!(response::name(response::POLLING_FULL), Some("POLLING_FULL"));
        assert_eq!(response::name(214), None);
    }
}
