//! [`RemoteBrokerOffsetStore`]: a clustering group's offsets live on the
//! broker that hosts each queue. Read with QUERY_CONSUMER_OFFSET when a
//! queue is assigned, cached in memory as consumption advances, and written
//! back with UPDATE_CONSUMER_OFFSET (oneway every 5 s, synchronously on
//! shutdown and when a queue is given up).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::ClientError;
use crate::instance::MQClientInstance;
use crate::message::MessageQueue;

/// Offsets of a clustering consumer group, committed to the brokers.
///
/// Invariant: the in-memory table only holds queues this consumer consumes
/// (or recently gave up and has not yet persisted).
pub struct RemoteBrokerOffsetStore {
    instance: Arc<MQClientInstance>,
    group: String,
    table: Mutex<HashMap<MessageQueue, i64>>,
}

impl std::fmt::Debug for RemoteBrokerOffsetStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteBrokerOffsetStore")
            .field("group", &self.group)
            .field("queues", &self.table.lock().len())
            .finish()
    }
}

impl RemoteBrokerOffsetStore {
    /// A store for `group` that talks to brokers through `instance`.
    pub fn new(instance: Arc<MQClientInstance>, group: impl Into<String>) -> Self {
        RemoteBrokerOffsetStore {
            instance,
            group: group.into(),
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the in-memory offset; with `increase_only` a lower value than the
    /// current one is ignored.
    pub fn update_offset(&self, mq: &MessageQueue, offset: i64, increase_only: bool) {
        let mut table = self.table.lock();
        match table.get_mut(mq) {
            Some(cur) if increase_only => *cur = (*cur).max(offset),
            Some(cur) => *cur = offset,
            None => {
                table.insert(mq.clone(), offset);
            }
        }
    }

    /// The in-memory offset of `mq`.
    pub fn read_memory(&self, mq: &MessageQueue) -> Option<i64> {
        self.table.lock().get(mq).copied()
    }

    /// The broker's stored offset of `mq` (cached on success); `Ok(None)`
    /// when the broker has none for the group.
    pub async fn read_store(&self, mq: &MessageQueue) -> Result<Option<i64>, ClientError> {
        let addr = self.broker_addr(mq).await?;
        let stored = self
            .instance
            .api()
            .query_consumer_offset(&addr, &self.group, mq)
            .await?;
        if let Some(off) = stored {
            self.update_offset(mq, off, false);
        }
        Ok(stored)
    }

    /// Commits the in-memory offsets of `mqs` (oneway unless `sync`) and
    /// forgets cached queues not in `mqs`. Failures are logged, not fatal:
    /// the next round retries.
    pub async fn persist_all(&self, mqs: &[MessageQueue], sync: bool) {
        if mqs.is_empty() {
            return;
        }
        let snapshot: Vec<(MessageQueue, i64)> = {
            let mut table = self.table.lock();
            table.retain(|mq, _| mqs.contains(mq));
            table.iter().map(|(mq, off)| (mq.clone(), *off)).collect()
        };
        for (mq, off) in snapshot {
            if let Err(e) = self.commit(&mq, off, sync).await {
                tracing::warn!(group = %self.group, queue = %mq, offset = off, error = %e, "offset commit failed");
            }
        }
    }

    /// Commits the in-memory offset of one queue, waiting for the broker.
    pub async fn persist(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        match self.read_memory(mq) {
            Some(off) => self.commit(mq, off, true).await,
            None => Ok(()),
        }
    }

    /// Forgets `mq` in memory.
    pub fn remove_offset(&self, mq: &MessageQueue) {
        self.table.lock().remove(mq);
    }

    /// The in-memory offsets, of one topic or (with `None`) of all.
    pub fn clone_offset_table(&self, topic: Option<&str>) -> HashMap<MessageQueue, i64> {
        self.table
            .lock()
            .iter()
            .filter(|(mq, _)| topic.is_none_or(|t| mq.topic == t))
            .map(|(mq, off)| (mq.clone(), *off))
            .collect()
    }

    /// Sends one offset to the queue's broker.
    pub async fn commit(
        &self,
        mq: &MessageQueue,
        offset: i64,
        sync: bool,
    ) -> Result<(), ClientError> {
        let addr = self.broker_addr(mq).await?;
        let api = self.instance.api();
        if sync {
            api.update_consumer_offset(&addr, &self.group, mq, offset)
                .await
        } else {
            api.update_consumer_offset_oneway(&addr, &self.group, mq, offset)
                .await
        }
    }

    /// The master of the queue's broker (any replica if the master is
    /// unknown), refreshing the route once when the broker is not known.
    async fn broker_addr(&self, mq: &MessageQueue) -> Result<String, ClientError> {
        if let Some(a) = self.instance.find_broker_addr(&mq.broker_name, true).await {
            return Ok(a);
        }
        let _ = self.instance.update_route(&mq.topic).await;
        self.instance
            .find_broker_addr(&mq.broker_name, true)
            .await
            .ok_or_else(|| ClientError::BrokerNotFound(mq.broker_name.clone()))
    }
}
