//! The table of consume queues: `consumequeue/<topic>/<queueId>/`.

use crate::consume_queue::ConsumeQueue;
use crate::StoreError;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// All consume queues, created on first dispatch to them.
#[derive(Debug)]
pub(crate) struct QueueTable {
    root: PathBuf,
    file_size: u64,
    map: RwLock<HashMap<String, HashMap<i32, Arc<ConsumeQueue>>>>,
}

impl QueueTable {
    /// Loads every queue under `root`.
    pub(crate) fn load(root: &Path, file_size: u64) -> Result<QueueTable, StoreError> {
        std::fs::create_dir_all(root).map_err(|e| StoreError::io(root, e))?;
        let mut map: HashMap<String, HashMap<i32, Arc<ConsumeQueue>>> = HashMap::new();
        for t in std::fs::read_dir(root).map_err(|e| StoreError::io(root, e))? {
            let t = t.map_err(|e| StoreError::io(root, e))?;
            if !t.path().is_dir() {
                continue;
            }
            let topic = t.file_name().to_string_lossy().into_owned();
            for q in std::fs::read_dir(t.path()).map_err(|e| StoreError::io(t.path(), e))? {
                let q = q.map_err(|e| StoreError::io(t.path(), e))?;
                let Ok(qid) = q.file_name().to_string_lossy().parse::<i32>() else {
                    continue;
                };
                let cq = ConsumeQueue::load(&q.path(), &topic, qid, file_size)?;
                map.entry(topic.clone())
                    .or_default()
                    .insert(qid, Arc::new(cq));
            }
        }
        Ok(QueueTable {
            root: root.to_path_buf(),
            file_size,
            map: RwLock::new(map),
        })
    }

    /// The queue of `topic`/`queue_id`, if it exists.
    pub(crate) fn find(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.map.read().get(topic)?.get(&queue_id).cloned()
    }

    /// The queue of `topic`/`queue_id`, created if missing.
    pub(crate) fn find_or_create(
        &self,
        topic: &str,
        queue_id: i32,
    ) -> Result<Arc<ConsumeQueue>, StoreError> {
        if let Some(q) = self.find(topic, queue_id) {
            return Ok(q);
        }
        let mut map = self.map.write();
        let qs = map.entry(topic.to_string()).or_default();
        if let Some(q) = qs.get(&queue_id) {
            return Ok(Arc::clone(q));
        }
        let dir = self.root.join(topic).join(queue_id.to_string());
        let q = Arc::new(ConsumeQueue::load(&dir, topic, queue_id, self.file_size)?);
        qs.insert(queue_id, Arc::clone(&q));
        Ok(q)
    }

    /// Every queue.
    pub(crate) fn all(&self) -> Vec<Arc<ConsumeQueue>> {
        self.map
            .read()
            .values()
            .flat_map(|qs| qs.values().cloned())
            .collect()
    }

    /// Removes every queue of `topic` and deletes its files.
    pub(crate) fn remove_topic(&self, topic: &str) -> bool {
        let removed = self.map.write().remove(topic);
        match removed {
            Some(qs) => {
                for q in qs.values() {
                    q.destroy();
                }
                let _ = std::fs::remove_dir_all(self.root.join(topic));
                true
            }
            None => false,
        }
    }

    /// Deletes all queues (the CommitLog is empty).
    pub(crate) fn clear(&self) {
        let topics: Vec<String> = self.map.read().keys().cloned().collect();
        for t in topics {
            self.remove_topic(&t);
        }
    }
}
