//! The admin API (Java's `DefaultMQAdminExt`): topics, subscription
//! groups, offsets, consume progress, connections, brokers and NameServer
//! settings — what `mqadmin` is built on.
//!
//! Calls that take a cluster name resolve it with GET_BROKER_CLUSTER_INFO
//! and act on every master of the cluster; calls about a topic or group act
//! on every master of its route.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use protocol::body::route::{ClusterInfo, KVTable, TopicConfig, TopicList, TopicRouteData};
use protocol::body::{
    ConsumeStats, ConsumerConnection, GroupList, ProducerConnection, SubscriptionGroupConfig,
    SubscriptionGroupWrapper, TopicStatsTable,
};
use protocol::header::{BoundaryType, QueryMessageRequestHeader};
use protocol::message::decode_offset_msg_id;

use crate::api::MQClientAPI;
use crate::config::ClientConfig;
use crate::error::ClientError;
use crate::instance::MQClientInstance;
use crate::message::{MessageExt, MessageQueue};

/// The `%RETRY%` topic of a consumer group.
pub fn retry_topic(group: &str) -> String {
    format!("%RETRY%{group}")
}

/// The `%DLQ%` topic of a consumer group.
pub fn dlq_topic(group: &str) -> String {
    format!("%DLQ%{group}")
}

/// The NameServer KV namespace holding order-topic configs.
pub const ORDER_TOPIC_CONFIG_NAMESPACE: &str = "ORDER_TOPIC_CONFIG";

/// Admin client. Start it, call, shut it down.
pub struct DefaultMQAdminExt {
    config: ClientConfig,
    instance: OnceLock<Arc<MQClientInstance>>,
}

impl std::fmt::Debug for DefaultMQAdminExt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultMQAdminExt")
            .field("namesrv", &self.config.namesrv_addr)
            .field("started", &self.instance.get().is_some())
            .finish()
    }
}

impl Default for DefaultMQAdminExt {
    fn default() -> Self {
        Self::new()
    }
}

impl DefaultMQAdminExt {
    /// An admin client with default settings (`NAMESRV_ADDR`).
    pub fn new() -> Self {
        Self::with_config(ClientConfig::default())
    }

    /// An admin client with the given settings.
    pub fn with_config(config: ClientConfig) -> Self {
        DefaultMQAdminExt {
            config,
            instance: OnceLock::new(),
        }
    }

    /// Sets the NameServer list (before start).
    pub fn set_namesrv_addr(&mut self, addr: impl Into<String>) {
        self.config.namesrv_addr = Some(addr.into());
    }

    /// Connects (lazily: connections are dialled on first use).
    pub async fn start(&self) -> Result<(), ClientError> {
        if self.instance.get().is_some() {
            return Err(ClientError::IllegalState("admin already started".into()));
        }
        let mut cfg = self.config.clone();
        if cfg.instance_name == crate::config::DEFAULT_INSTANCE_NAME {
            cfg.instance_name = format!("admin-{}", std::process::id());
        }
        cfg.resolve_instance_name();
        cfg.instance_name = format!("{}#{}", cfg.instance_name, rand::random::<u32>());
        let inst = MQClientInstance::get_or_create(&cfg).await?;
        self.instance
            .set(inst)
            .map_err(|_| ClientError::IllegalState("admin already started".into()))
    }

    /// Closes the connections.
    pub async fn shutdown(&self) {
        if let Some(inst) = self.instance.get() {
            inst.shutdown();
        }
    }

    fn inst(&self) -> Result<&Arc<MQClientInstance>, ClientError> {
        self.instance
            .get()
            .ok_or_else(|| ClientError::IllegalState("admin not started".into()))
    }

    /// The raw RPCs.
    pub fn api(&self) -> Result<&MQClientAPI, ClientError> {
        Ok(self.inst()?.api())
    }

    // ---- cluster and brokers ----

    /// GET_BROKER_CLUSTER_INFO.
    pub async fn examine_broker_cluster_info(&self) -> Result<ClusterInfo, ClientError> {
        self.api()?.get_broker_cluster_info().await
    }

    /// Master addresses of `cluster` (error if it has none).
    pub async fn cluster_master_addrs(&self, cluster: &str) -> Result<Vec<String>, ClientError> {
        let info = self.examine_broker_cluster_info().await?;
        let addrs = info.master_addrs(cluster);
        if addrs.is_empty() {
            return Err(ClientError::IllegalArgument(format!(
                "cluster {cluster} has no master broker"
            )));
        }
        Ok(addrs)
    }

    /// A broker's runtime statistics.
    pub async fn fetch_broker_runtime_stats(&self, addr: &str) -> Result<KVTable, ClientError> {
        self.api()?.get_broker_runtime_info(addr).await
    }

    /// A broker's configuration.
    pub async fn get_broker_config(
        &self,
        addr: &str,
    ) -> Result<BTreeMap<String, String>, ClientError> {
        self.api()?.get_broker_config(addr).await
    }

    /// Changes one broker configuration key at runtime.
    pub async fn update_broker_config(
        &self,
        addr: &str,
        key: &str,
        value: &str,
    ) -> Result<(), ClientError> {
        let entries = [(key.to_owned(), value.to_owned())];
        self.api()?.update_broker_config(addr, &entries).await
    }

    // ---- topics ----

    /// Creates or updates a topic on one broker.
    pub async fn create_and_update_topic_config(
        &self,
        addr: &str,
        tc: &TopicConfig,
    ) -> Result<(), ClientError> {
        self.api()?.create_topic(addr, tc).await
    }

    /// Creates or updates a topic on every master of `cluster`; returns the
    /// brokers done.
    pub async fn create_topic_in_cluster(
        &self,
        cluster: &str,
        tc: &TopicConfig,
    ) -> Result<Vec<String>, ClientError> {
        let addrs = self.cluster_master_addrs(cluster).await?;
        for addr in &addrs {
            self.api()?.create_topic(addr, tc).await?;
        }
        Ok(addrs)
    }

    /// Deletes a topic from every master of `cluster` and from every
    /// NameServer.
    pub async fn delete_topic(&self, topic: &str, cluster: &str) -> Result<(), ClientError> {
        let api = self.api()?;
        for addr in self.cluster_master_addrs(cluster).await? {
            api.delete_topic_in_broker(&addr, topic).await?;
        }
        self.delete_topic_in_namesrv(topic, Some(cluster)).await
    }

    /// Deletes a topic from every NameServer.
    pub async fn delete_topic_in_namesrv(
        &self,
        topic: &str,
        cluster: Option<&str>,
    ) -> Result<(), ClientError> {
        let api = self.api()?;
        for ns in api.namesrv_addrs() {
            api.delete_topic_in_namesrv(&ns, topic, cluster).await?;
        }
        Ok(())
    }

    /// A topic's route, fresh from the NameServers.
    pub async fn examine_topic_route_info(
        &self,
        topic: &str,
    ) -> Result<TopicRouteData, ClientError> {
        self.api()?.get_topic_route(topic).await
    }

    /// Every topic the NameServers know.
    pub async fn fetch_all_topic_list(&self) -> Result<TopicList, ClientError> {
        self.api()?.get_all_topic_list().await
    }

    /// Topics of one cluster.
    pub async fn fetch_topics_by_cluster(&self, cluster: &str) -> Result<TopicList, ClientError> {
        self.api()?.get_topics_by_cluster(cluster).await
    }

    /// Min/max offsets of every queue of a topic, over all its masters.
    pub async fn examine_topic_stats(&self, topic: &str) -> Result<TopicStatsTable, ClientError> {
        let api = self.api()?;
        let route = api.get_topic_route(topic).await?;
        let mut all = TopicStatsTable::default();
        for bd in &route.broker_datas {
            let Some(addr) = bd.master_addr() else {
                continue;
            };
            let t = api.get_topic_stats_info(addr, topic).await?;
            all.offset_table.extend(t.offset_table);
            all.topic_put_tps += t.topic_put_tps;
        }
        Ok(all)
    }

    /// The clusters a topic lives in.
    pub async fn topic_cluster_list(&self, topic: &str) -> Result<Vec<String>, ClientError> {
        let route = self.examine_topic_route_info(topic).await?;
        let info = self.examine_broker_cluster_info().await?;
        let mut out: Vec<String> = info
            .cluster_addr_table
            .iter()
            .filter(|(_, names)| {
                route
                    .broker_datas
                    .iter()
                    .any(|b| names.contains(&b.broker_name))
            })
            .map(|(c, _)| c.clone())
            .collect();
        out.sort();
        Ok(out)
    }

    /// The groups consuming a topic, over all its masters.
    pub async fn query_topic_consume_by_who(&self, topic: &str) -> Result<GroupList, ClientError> {
        let api = self.api()?;
        let route = api.get_topic_route(topic).await?;
        let mut all = GroupList::default();
        for bd in &route.broker_datas {
            if let Some(addr) = bd.master_addr() {
                all.group_list.extend(
                    api.query_topic_consume_by_who(addr, topic)
                        .await?
                        .group_list,
                );
            }
        }
        Ok(all)
    }

    // ---- offsets ----

    async fn master_of(&self, mq: &MessageQueue) -> Result<String, ClientError> {
        let inst = self.inst()?;
        if inst.routes().master_addr(&mq.broker_name).is_none() {
            inst.update_route(&mq.topic).await?;
        }
        inst.routes()
            .master_addr(&mq.broker_name)
            .map(|a| a.to_string())
            .ok_or_else(|| ClientError::BrokerNotFound(mq.broker_name.clone()))
    }

    /// The offset the next message of `mq` will get.
    pub async fn max_offset(&self, mq: &MessageQueue) -> Result<i64, ClientError> {
        let addr = self.master_of(mq).await?;
        self.api()?.get_max_offset(&addr, mq).await
    }

    /// The smallest offset still stored in `mq`.
    pub async fn min_offset(&self, mq: &MessageQueue) -> Result<i64, ClientError> {
        let addr = self.master_of(mq).await?;
        self.api()?.get_min_offset(&addr, mq).await
    }

    /// The offset of `mq` for a store time (first at or after it).
    pub async fn search_offset(
        &self,
        mq: &MessageQueue,
        timestamp_ms: i64,
    ) -> Result<i64, ClientError> {
        let addr = self.master_of(mq).await?;
        self.api()?
            .search_offset(&addr, mq, timestamp_ms, Some(BoundaryType::Lower))
            .await
    }

    /// Store time of the oldest message of `mq`.
    pub async fn earliest_msg_store_time(&self, mq: &MessageQueue) -> Result<i64, ClientError> {
        let addr = self.master_of(mq).await?;
        self.api()?.get_earliest_msg_storetime(&addr, mq).await
    }

    /// A group's committed offset of `mq` (`None`: none stored).
    pub async fn consumer_offset(
        &self,
        group: &str,
        mq: &MessageQueue,
    ) -> Result<Option<i64>, ClientError> {
        let addr = self.master_of(mq).await?;
        self.api()?.query_consumer_offset(&addr, group, mq).await
    }

    /// Sets a group's committed offset of `mq`.
    pub async fn update_consumer_offset(
        &self,
        group: &str,
        mq: &MessageQueue,
        offset: i64,
    ) -> Result<(), ClientError> {
        let addr = self.master_of(mq).await?;
        self.api()?
            .update_consumer_offset(&addr, group, mq, offset)
            .await
    }

    /// A group's progress (broker offset, consumer offset, lag) per queue,
    /// over all brokers of its retry topic's route (Java's
    /// `examineConsumeStats`); only `topic` when given.
    pub async fn examine_consume_stats(
        &self,
        group: &str,
        topic: Option<&str>,
    ) -> Result<ConsumeStats, ClientError> {
        let api = self.api()?;
        let route = match topic {
            Some(t) => api.get_topic_route(t).await?,
            None => api.get_topic_route(&retry_topic(group)).await?,
        };
        let mut all = ConsumeStats::default();
        for bd in &route.broker_datas {
            let Some(addr) = bd.master_addr() else {
                continue;
            };
            let s = api.get_consume_stats(addr, group, topic).await?;
            all.offset_table.extend(s.offset_table);
            all.consume_tps += s.consume_tps;
        }
        Ok(all)
    }

    /// A group's online consumers and subscriptions.
    pub async fn examine_consumer_connection_info(
        &self,
        group: &str,
    ) -> Result<ConsumerConnection, ClientError> {
        let api = self.api()?;
        let route = api.get_topic_route(&retry_topic(group)).await?;
        let mut last = ClientError::NoRoute(retry_topic(group));
        for bd in &route.broker_datas {
            let Some(addr) = bd.master_addr() else {
                continue;
            };
            match api.get_consumer_connection_list(addr, group).await {
                Ok(c) => return Ok(c),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// A producer group's connections on the brokers of `topic`.
    pub async fn examine_producer_connection_info(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<ProducerConnection, ClientError> {
        let api = self.api()?;
        let route = api.get_topic_route(topic).await?;
        let mut all = ProducerConnection::default();
        let mut last = None;
        for bd in &route.broker_datas {
            let Some(addr) = bd.master_addr() else {
                continue;
            };
            match api.get_producer_connection_list(addr, group).await {
                Ok(c) => all.connection_set.extend(c.connection_set),
                Err(e) => last = Some(e),
            }
        }
        match last {
            Some(e) if all.connection_set.is_empty() => Err(e),
            _ => Ok(all),
        }
    }

    /// Resets a group's offsets of `topic` to a store time (−1: the end) on
    /// every master of the topic; returns the new offsets.
    pub async fn reset_offset_by_timestamp(
        &self,
        group: &str,
        topic: &str,
        timestamp_ms: i64,
        force: bool,
    ) -> Result<BTreeMap<MessageQueue, i64>, ClientError> {
        let api = self.api()?;
        let route = api.get_topic_route(topic).await?;
        let mut out = BTreeMap::new();
        for bd in &route.broker_datas {
            let Some(addr) = bd.master_addr() else {
                continue;
            };
            let body = api
                .reset_offset(addr, group, topic, timestamp_ms, force, None, None)
                .await?;
            out.extend(body.offset_table);
        }
        Ok(out)
    }

    // ---- subscription groups ----

    /// Creates or updates a subscription group on one broker.
    pub async fn create_and_update_subscription_group_config(
        &self,
        addr: &str,
        config: &SubscriptionGroupConfig,
    ) -> Result<(), ClientError> {
        self.api()?.create_subscription_group(addr, config).await
    }

    /// Creates or updates a subscription group on every master of `cluster`.
    pub async fn create_subscription_group_in_cluster(
        &self,
        cluster: &str,
        config: &SubscriptionGroupConfig,
    ) -> Result<Vec<String>, ClientError> {
        let addrs = self.cluster_master_addrs(cluster).await?;
        for addr in &addrs {
            self.api()?.create_subscription_group(addr, config).await?;
        }
        Ok(addrs)
    }

    /// Deletes a subscription group from one broker.
    pub async fn delete_subscription_group(
        &self,
        addr: &str,
        group: &str,
        clean_offset: bool,
    ) -> Result<(), ClientError> {
        self.api()?
            .delete_subscription_group(addr, group, clean_offset)
            .await
    }

    /// A broker's subscription groups.
    pub async fn get_all_subscription_group(
        &self,
        addr: &str,
    ) -> Result<SubscriptionGroupWrapper, ClientError> {
        self.api()?.get_all_subscription_group(addr).await
    }

    // ---- messages ----

    /// The message with an offset message id (broker address and CommitLog
    /// offset are encoded in it).
    pub async fn view_message(&self, offset_msg_id: &str) -> Result<MessageExt, ClientError> {
        let (addr, offset) = decode_offset_msg_id(offset_msg_id)?;
        self.api()?
            .view_message(&addr.to_string(), offset, None)
            .await
    }

    /// Messages of `topic` whose key (`KEYS`) or, with `unique`, whose
    /// `UNIQ_KEY` equals `key`, from every master of the topic.
    pub async fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin_ms: i64,
        end_ms: i64,
        unique: bool,
    ) -> Result<Vec<MessageExt>, ClientError> {
        let api = self.api()?;
        let route = api.get_topic_route(topic).await?;
        let header = QueryMessageRequestHeader {
            topic: topic.to_owned(),
            key: key.to_owned(),
            max_num,
            begin_timestamp: begin_ms,
            end_timestamp: end_ms,
            unique_key_query: unique.then_some(true),
        };
        let mut out = Vec::new();
        for bd in &route.broker_datas {
            let Some(addr) = bd.master_addr() else {
                continue;
            };
            let found = api.query_message(addr, &header).await?;
            out.extend(found.into_iter().filter(|m| {
                if unique {
                    m.uniq_key() == Some(key)
                } else {
                    m.keys().is_some_and(|ks| ks.split(' ').any(|k| k == key))
                }
            }));
        }
        Ok(out)
    }

    // ---- NameServer settings ----

    /// Puts a KV config on every NameServer.
    pub async fn put_kv_config(
        &self,
        namespace: &str,
        key: &str,
        value: &str,
    ) -> Result<(), ClientError> {
        let api = self.api()?;
        for ns in api.namesrv_addrs() {
            api.put_kv_config(&ns, namespace, key, value).await?;
        }
        Ok(())
    }

    /// A KV config from the NameServers.
    pub async fn get_kv_config(
        &self,
        namespace: &str,
        key: &str,
    ) -> Result<Option<String>, ClientError> {
        self.api()?.get_kv_config(namespace, key).await
    }

    /// Deletes a KV config from every NameServer.
    pub async fn delete_kv_config(&self, namespace: &str, key: &str) -> Result<(), ClientError> {
        let api = self.api()?;
        for ns in api.namesrv_addrs() {
            api.delete_kv_config(&ns, namespace, key).await?;
        }
        Ok(())
    }

    /// Removes a broker's write permission on every NameServer; per
    /// NameServer, the number of topics changed.
    pub async fn wipe_write_perm_of_broker(
        &self,
        broker_name: &str,
    ) -> Result<Vec<(String, i32)>, ClientError> {
        let api = self.api()?;
        let mut out = Vec::new();
        for ns in api.namesrv_addrs() {
            let n = api.wipe_write_perm_of_broker(&ns, broker_name).await?;
            out.push((ns, n));
        }
        Ok(out)
    }

    /// Restores a broker's write permission on every NameServer.
    pub async fn add_write_perm_of_broker(
        &self,
        broker_name: &str,
    ) -> Result<Vec<(String, i32)>, ClientError> {
        let api = self.api()?;
        let mut out = Vec::new();
        for ns in api.namesrv_addrs() {
            let n = api.add_write_perm_of_broker(&ns, broker_name).await?;
            out.push((ns, n));
        }
        Ok(out)
    }
}
