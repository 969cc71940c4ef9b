//! Where a consumer group's progress is kept (Java `OffsetStore`):
//! [`RemoteBrokerOffsetStore`] on the brokers for CLUSTERING groups,
//! [`LocalFileOffsetStore`] in a local JSON file for BROADCASTING ones.
//!
//! An offset is the queue offset of the next message to consume.

mod local;
mod remote;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use local::{
    decode_offset_table, default_offset_dir, encode_offset_table, LocalFileOffsetStore,
};
pub use remote::RemoteBrokerOffsetStore;

use crate::error::ClientError;
use crate::instance::{MQClientInstance, MessageModel};
use crate::message::MessageQueue;

/// Where [`OffsetStore::read_offset`] looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadOffsetType {
    /// Only the in-memory cache.
    ReadFromMemory,
    /// Only the backing store (broker or file), refreshing the cache.
    ReadFromStore,
    /// The cache, else the backing store.
    MemoryFirstThenStore,
}

/// A consumer group's offset store: one of the two kinds.
#[derive(Debug, Clone)]
pub enum OffsetStore {
    /// On the brokers (CLUSTERING).
    Remote(Arc<RemoteBrokerOffsetStore>),
    /// In a local file (BROADCASTING).
    Local(Arc<LocalFileOffsetStore>),
}

impl OffsetStore {
    /// The store a group of `model` uses, loaded: on the brokers for
    /// CLUSTERING; for BROADCASTING a file under `dir` (default
    /// [`default_offset_dir`]) named by the client id and group.
    pub async fn open(
        model: MessageModel,
        instance: &Arc<MQClientInstance>,
        group: &str,
        dir: Option<PathBuf>,
    ) -> Result<OffsetStore, ClientError> {
        let store = match model {
            MessageModel::Clustering => OffsetStore::Remote(Arc::new(
                RemoteBrokerOffsetStore::new(instance.clone(), group),
            )),
            MessageModel::Broadcasting => {
                let dir = dir.unwrap_or_else(default_offset_dir);
                OffsetStore::Local(Arc::new(LocalFileOffsetStore::new(
                    &dir,
                    instance.client_id(),
                    group,
                )))
            }
        };
        store.load().await?;
        Ok(store)
    }

    /// Loads persisted state (the local file; nothing for the remote store).
    pub async fn load(&self) -> Result<(), ClientError> {
        match self {
            OffsetStore::Remote(_) => Ok(()),
            OffsetStore::Local(s) => {
                let s = s.clone();
                blocking(move || s.load()).await
            }
        }
    }

    /// Sets the in-memory offset of `mq` (see the stores' `update_offset`).
    pub fn update_offset(&self, mq: &MessageQueue, offset: i64, increase_only: bool) {
        match self {
            OffsetStore::Remote(s) => s.update_offset(mq, offset, increase_only),
            OffsetStore::Local(s) => s.update_offset(mq, offset, increase_only),
        }
    }

    /// The offset of `mq`; `Ok(None)` when there is none where `ty` looks.
    pub async fn read_offset(
        &self,
        mq: &MessageQueue,
        ty: ReadOffsetType,
    ) -> Result<Option<i64>, ClientError> {
        let memory = match self {
            OffsetStore::Remote(s) => s.read_memory(mq),
            OffsetStore::Local(s) => s.read_memory(mq),
        };
        match (ty, memory) {
            (ReadOffsetType::ReadFromMemory, m) => Ok(m),
            (ReadOffsetType::MemoryFirstThenStore, Some(m)) => Ok(Some(m)),
            _ => match self {
                OffsetStore::Remote(s) => s.read_store(mq).await,
                OffsetStore::Local(s) => {
                    let (s, mq) = (s.clone(), mq.clone());
                    blocking(move || s.read_store(&mq)).await
                }
            },
        }
    }

    /// Persists the offsets of `mqs`: to the brokers (oneway, or waiting
    /// when `sync`) or to the file. Errors are logged.
    pub async fn persist_all(&self, mqs: &[MessageQueue], sync: bool) {
        match self {
            OffsetStore::Remote(s) => s.persist_all(mqs, sync).await,
            OffsetStore::Local(s) => {
                let (s, mqs) = (s.clone(), mqs.to_vec());
                if let Err(e) = blocking(move || s.persist_all(&mqs)).await {
                    tracing::warn!(error = %e, "writing local offsets failed");
                }
            }
        }
    }

    /// Persists one queue's offset, waiting for the result.
    pub async fn persist(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        match self {
            OffsetStore::Remote(s) => s.persist(mq).await,
            OffsetStore::Local(s) => {
                let (s, mqs) = (s.clone(), vec![mq.clone()]);
                blocking(move || s.persist_all(&mqs)).await
            }
        }
    }

    /// Forgets `mq` in memory.
    pub fn remove_offset(&self, mq: &MessageQueue) {
        match self {
            OffsetStore::Remote(s) => s.remove_offset(mq),
            OffsetStore::Local(s) => s.remove_offset(mq),
        }
    }

    /// The in-memory offsets, of one topic or of all.
    pub fn clone_offset_table(&self, topic: Option<&str>) -> HashMap<MessageQueue, i64> {
        match self {
            OffsetStore::Remote(s) => s.clone_offset_table(topic),
            OffsetStore::Local(s) => s.clone_offset_table(topic),
        }
    }
}

/// Runs file I/O off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, ClientError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ClientError::Io),
        Err(e) => Err(ClientError::IllegalState(format!(
            "offset file task failed: {e}"
        ))),
    }
}
