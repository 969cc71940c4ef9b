//! Admin calls to brokers and NameServers (PROTOCOL.md §10.8, §13), one
//! RPC each; [`crate::admin::DefaultMQAdminExt`] combines them.

use std::collections::BTreeMap;

use protocol::body::fastjson::JsonBody;
use protocol::body::properties as java_properties;
use protocol::body::route::{KVTable, TopicConfig, TopicConfigSerializeWrapper};
use protocol::body::{
    ConsumeStats, ConsumerConnection, ConsumerRunningInfo, GroupList, ProducerConnection,
    ResetOffsetBody, SubscriptionGroupConfig, SubscriptionGroupWrapper, TopicStatsTable,
};
use protocol::code::{request, response};
use protocol::header::namesrv::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    DeleteKVConfigRequestHeader, GetKVConfigRequestHeader, GetKVConfigResponseHeader,
    PutKVConfigRequestHeader, WipeWritePermOfBrokerRequestHeader,
    WipeWritePermOfBrokerResponseHeader,
};
use protocol::header::{
    CreateTopicRequestHeader, DeleteSubscriptionGroupRequestHeader, DeleteTopicRequestHeader,
    GetConsumeStatsRequestHeader, GetConsumerConnectionListRequestHeader,
    GetConsumerRunningInfoRequestHeader, GetProducerConnectionListRequestHeader,
    GetTopicStatsInfoRequestHeader, QueryMessageRequestHeader, QueryTopicConsumeByWhoRequestHeader,
    ResetOffsetRequestHeader, ViewMessageByIdRequestHeader,
};
use protocol::message::{decode_message, decode_messages, MessageExt};

use super::MQClientAPI;
use crate::error::ClientError;
use crate::instance::DEFAULT_TOPIC;

impl MQClientAPI {
    fn admin_timeout(&self) -> std::time::Duration {
        self.config().mq_client_api_timeout
    }

    /// UPDATE_AND_CREATE_TOPIC: creates or updates a topic on one broker.
    pub async fn create_topic(&self, addr: &str, tc: &TopicConfig) -> Result<(), ClientError> {
        let attributes = (!tc.attributes.is_empty()).then(|| {
            tc.attributes
                .iter()
                .map(|(k, v)| format!("+{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        });
        let header = CreateTopicRequestHeader {
            topic: tc.topic_name.clone(),
            default_topic: DEFAULT_TOPIC.to_owned(),
            read_queue_nums: tc.read_queue_nums,
            write_queue_nums: tc.write_queue_nums,
            perm: tc.perm,
            topic_filter_type: tc.topic_filter_type,
            topic_sys_flag: Some(tc.topic_sys_flag),
            order: tc.order,
            attributes,
            force: None,
        };
        let cmd = self.request(request::UPDATE_AND_CREATE_TOPIC, &header);
        self.invoke_ok(addr, cmd, self.admin_timeout())
            .await
            .map(|_| ())
    }

    /// DELETE_TOPIC_IN_BROKER: removes a topic's config, offsets and queues
    /// from one broker.
    pub async fn delete_topic_in_broker(&self, addr: &str, topic: &str) -> Result<(), ClientError> {
        let header = DeleteTopicRequestHeader {
            topic: topic.to_owned(),
        };
        let cmd = self.request(request::DELETE_TOPIC_IN_BROKER, &header);
        self.invoke_ok(addr, cmd, self.admin_timeout())
            .await
            .map(|_| ())
    }

    /// GET_ALL_TOPIC_CONFIG: a broker's topics.json.
    pub async fn get_all_topic_config(
        &self,
        addr: &str,
    ) -> Result<TopicConfigSerializeWrapper, ClientError> {
        let cmd = self.new_request(request::GET_ALL_TOPIC_CONFIG);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        Ok(TopicConfigSerializeWrapper::from_json(&resp.body)?)
    }

    /// GET_TOPIC_STATS_INFO: min/max offset of each of a topic's queues on
    /// one broker.
    pub async fn get_topic_stats_info(
        &self,
        addr: &str,
        topic: &str,
    ) -> Result<TopicStatsTable, ClientError> {
        let header = GetTopicStatsInfoRequestHeader {
            topic: topic.to_owned(),
        };
        let cmd = self.request(request::GET_TOPIC_STATS_INFO, &header);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        Ok(TopicStatsTable::from_json(&resp.body)?)
    }

    /// QUERY_TOPIC_CONSUME_BY_WHO: groups consuming a topic on one broker.
    pub async fn query_topic_consume_by_who(
        &self,
        addr: &str,
        topic: &str,
    ) -> Result<GroupList, ClientError> {
        let header = QueryTopicConsumeByWhoRequestHeader {
            topic: topic.to_owned(),
        };
        let cmd = self.request(request::QUERY_TOPIC_CONSUME_BY_WHO, &header);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        Ok(GroupList::from_json(&resp.body)?)
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on one broker.
    pub async fn create_subscription_group(
        &self,
        addr: &str,
        config: &SubscriptionGroupConfig,
    ) -> Result<(), ClientError> {
        let cmd = self
            .new_request(request::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
            .with_body(config.to_json());
        self.invoke_ok(addr, cmd, self.admin_timeout())
            .await
            .map(|_| ())
    }

    /// DELETE_SUBSCRIPTIONGROUP on one broker (`clean_offset`: also drop the
    /// group's offsets, 5.x).
    pub async fn delete_subscription_group(
        &self,
        addr: &str,
        group: &str,
        clean_offset: bool,
    ) -> Result<(), ClientError> {
        let header = DeleteSubscriptionGroupRequestHeader {
            group_name: group.to_owned(),
            clean_offset: Some(clean_offset),
        };
        let cmd = self.request(request::DELETE_SUBSCRIPTIONGROUP, &header);
        self.invoke_ok(addr, cmd, self.admin_timeout())
            .await
            .map(|_| ())
    }

    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG: a broker's subscriptionGroup.json.
    pub async fn get_all_subscription_group(
        &self,
        addr: &str,
    ) -> Result<SubscriptionGroupWrapper, ClientError> {
        let cmd = self.new_request(request::GET_ALL_SUBSCRIPTIONGROUP_CONFIG);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        Ok(SubscriptionGroupWrapper::from_json(&resp.body)?)
    }

    /// GET_CONSUME_STATS: a group's progress per queue on one broker (all
    /// its topics when `topic` is `None`).
    pub async fn get_consume_stats(
        &self,
        addr: &str,
        group: &str,
        topic: Option<&str>,
    ) -> Result<ConsumeStats, ClientError> {
        let header = GetConsumeStatsRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.map(str::to_owned),
            topic_list: None,
        };
        let cmd = self.request(request::GET_CONSUME_STATS, &header);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        Ok(ConsumeStats::from_json(&resp.body)?)
    }

    /// GET_CONSUMER_CONNECTION_LIST: a group's online consumers on a broker
    /// (CONSUMER_NOT_ONLINE when none).
    pub async fn get_consumer_connection_list(
        &self,
        addr: &str,
        group: &str,
    ) -> Result<ConsumerConnection, ClientError> {
        let header = GetConsumerConnectionListRequestHeader {
            consumer_group: group.to_owned(),
        };
        let cmd = self.request(request::GET_CONSUMER_CONNECTION_LIST, &header);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        Ok(ConsumerConnection::from_json(&resp.body)?)
    }

    /// GET_PRODUCER_CONNECTION_LIST: a producer group's connections on a broker.
    pub async fn get_producer_connection_list(
        &self,
        addr: &str,
        group: &str,
    ) -> Result<ProducerConnection, ClientError> {
        let header = GetProducerConnectionListRequestHeader {
            producer_group: group.to_owned(),
        };
        let cmd = self.request(request::GET_PRODUCER_CONNECTION_LIST, &header);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        Ok(ProducerConnection::from_json(&resp.body)?)
    }

    /// GET_CONSUMER_RUNNING_INFO, relayed by the broker to one client.
    pub async fn get_consumer_running_info(
        &self,
        addr: &str,
        group: &str,
        client_id: &str,
    ) -> Result<ConsumerRunningInfo, ClientError> {
        let header = GetConsumerRunningInfoRequestHeader {
            consumer_group: group.to_owned(),
            client_id: client_id.to_owned(),
            jstack_enable: Some(false),
        };
        let cmd = self.request(request::GET_CONSUMER_RUNNING_INFO, &header);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        Ok(ConsumerRunningInfo::from_json(&resp.body)?)
    }

    /// GET_BROKER_RUNTIME_INFO: a broker's runtime statistics.
    pub async fn get_broker_runtime_info(&self, addr: &str) -> Result<KVTable, ClientError> {
        let cmd = self.new_request(request::GET_BROKER_RUNTIME_INFO);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        Ok(KVTable::from_json(&resp.body)?)
    }

    /// GET_BROKER_CONFIG: a broker's whole configuration, key to value.
    pub async fn get_broker_config(
        &self,
        addr: &str,
    ) -> Result<BTreeMap<String, String>, ClientError> {
        let cmd = self.new_request(request::GET_BROKER_CONFIG);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        let text = String::from_utf8_lossy(&resp.body);
        Ok(java_properties::parse(&text).into_iter().collect())
    }

    /// UPDATE_BROKER_CONFIG: changes configuration keys at runtime.
    pub async fn update_broker_config(
        &self,
        addr: &str,
        entries: &[(String, String)],
    ) -> Result<(), ClientError> {
        let body = java_properties::format(entries.iter().map(|(k, v)| (k, v)));
        let cmd = self
            .new_request(request::UPDATE_BROKER_CONFIG)
            .with_body(body.into_bytes());
        self.invoke_ok(addr, cmd, self.admin_timeout())
            .await
            .map(|_| ())
    }

    /// VIEW_MESSAGE_BY_ID: the record at a CommitLog offset.
    pub async fn view_message(
        &self,
        addr: &str,
        commit_log_offset: i64,
        topic: Option<&str>,
    ) -> Result<MessageExt, ClientError> {
        let header = ViewMessageByIdRequestHeader {
            offset: commit_log_offset,
            topic: topic.map(str::to_owned),
        };
        let cmd = self.request(request::VIEW_MESSAGE_BY_ID, &header);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        Ok(decode_message(&resp.body)?)
    }

    /// QUERY_MESSAGE: candidates for a key (or, with `_UNIQUE_KEY_QUERY`, a
    /// `UNIQ_KEY`) from one broker's index; empty when nothing matched. The
    /// caller re-checks keys (the index is hash based).
    pub async fn query_message(
        &self,
        addr: &str,
        header: &QueryMessageRequestHeader,
    ) -> Result<Vec<MessageExt>, ClientError> {
        let cmd = self.request(request::QUERY_MESSAGE, header);
        let resp = self.invoke(addr, cmd, self.admin_timeout()).await?;
        if resp.code == response::QUERY_NOT_FOUND {
            return Ok(Vec::new());
        }
        let resp = super::expect_success(addr, resp)?;
        Ok(decode_messages(&resp.body)?)
    }

    /// INVOKE_BROKER_TO_RESET_OFFSET: moves a group's offsets on one broker
    /// to a timestamp (−1 = the end) or, 5.x, to `offset` of one queue.
    #[allow(clippy::too_many_arguments)]
    pub async fn reset_offset(
        &self,
        addr: &str,
        group: &str,
        topic: &str,
        timestamp: i64,
        force: bool,
        queue_id: Option<i32>,
        offset: Option<i64>,
    ) -> Result<ResetOffsetBody, ClientError> {
        let header = ResetOffsetRequestHeader {
            group: group.to_owned(),
            topic: topic.to_owned(),
            timestamp,
            is_force: force,
            queue_id,
            offset,
        };
        let cmd = self.request(request::INVOKE_BROKER_TO_RESET_OFFSET, &header);
        let resp = self.invoke_ok(addr, cmd, self.admin_timeout()).await?;
        if resp.body.is_empty() {
            return Ok(ResetOffsetBody::default());
        }
        Ok(ResetOffsetBody::from_json(&resp.body)?)
    }

    /// PUT_KV_CONFIG on one NameServer.
    pub async fn put_kv_config(
        &self,
        namesrv: &str,
        namespace: &str,
        key: &str,
        value: &str,
    ) -> Result<(), ClientError> {
        let header = PutKVConfigRequestHeader {
            namespace: namespace.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
        };
        let cmd = self.request(request::PUT_KV_CONFIG, &header);
        self.invoke_ok(namesrv, cmd, self.admin_timeout())
            .await
            .map(|_| ())
    }

    /// GET_KV_CONFIG from the NameServers; `None` when not set.
    pub async fn get_kv_config(
        &self,
        namespace: &str,
        key: &str,
    ) -> Result<Option<String>, ClientError> {
        let header = GetKVConfigRequestHeader {
            namespace: namespace.to_owned(),
            key: key.to_owned(),
        };
        let cmd = self.request(request::GET_KV_CONFIG, &header);
        let (addr, resp) = self.invoke_namesrv(cmd, self.admin_timeout()).await?;
        if resp.code == response::QUERY_NOT_FOUND {
            return Ok(None);
        }
        let resp = super::expect_success(&addr, resp)?;
        Ok(resp.header::<GetKVConfigResponseHeader>()?.value)
    }

    /// DELETE_KV_CONFIG on one NameServer.
    pub async fn delete_kv_config(
        &self,
        namesrv: &str,
        namespace: &str,
        key: &str,
    ) -> Result<(), ClientError> {
        let header = DeleteKVConfigRequestHeader {
            namespace: namespace.to_owned(),
            key: key.to_owned(),
        };
        let cmd = self.request(request::DELETE_KV_CONFIG, &header);
        self.invoke_ok(namesrv, cmd, self.admin_timeout())
            .await
            .map(|_| ())
    }

    /// WIPE_WRITE_PERM_OF_BROKER on one NameServer; the count of queue
    /// datas changed.
    pub async fn wipe_write_perm_of_broker(
        &self,
        namesrv: &str,
        broker_name: &str,
    ) -> Result<i32, ClientError> {
        let header = WipeWritePermOfBrokerRequestHeader {
            broker_name: broker_name.to_owned(),
        };
        let cmd = self.request(request::WIPE_WRITE_PERM_OF_BROKER, &header);
        let resp = self.invoke_ok(namesrv, cmd, self.admin_timeout()).await?;
        Ok(resp
            .header::<WipeWritePermOfBrokerResponseHeader>()?
            .wipe_topic_count)
    }

    /// ADD_WRITE_PERM_OF_BROKER on one NameServer; the count of queue datas
    /// changed.
    pub async fn add_write_perm_of_broker(
        &self,
        namesrv: &str,
        broker_name: &str,
    ) -> Result<i32, ClientError> {
        let header = AddWritePermOfBrokerRequestHeader {
            broker_name: broker_name.to_owned(),
        };
        let cmd = self.request(request::ADD_WRITE_PERM_OF_BROKER, &header);
        let resp = self.invoke_ok(namesrv, cmd, self.admin_timeout()).await?;
        Ok(resp
            .header::<AddWritePermOfBrokerResponseHeader>()?
            .add_topic_count)
    }
}
