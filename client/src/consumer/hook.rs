//! The [`ConsumerHook`] implementations that register the push and lite-pull
//! consumers with their client instance. They hold only weak references, so
//! the instance never keeps a stopped consumer alive.

use std::sync::{Arc, Weak};

use protocol::body::ConsumerRunningInfo;
use protocol::net::BoxFuture;

use crate::consumer::lite::LiteCore;
use crate::consumer::push::PushCore;
use crate::instance::{
    ConsumeFromWhere, ConsumeType, ConsumerHook, MessageModel, SubscriptionData,
};

/// A push consumer as the client instance sees it.
pub(crate) struct PushHook {
    group: String,
    model: MessageModel,
    from: ConsumeFromWhere,
    core: Weak<PushCore>,
}

impl PushHook {
    pub(crate) fn new(core: &Arc<PushCore>) -> Self {
        PushHook {
            group: core.group.clone(),
            model: core.cfg.message_model,
            from: core.cfg.consume_from_where,
            core: Arc::downgrade(core),
        }
    }
}

impl ConsumerHook for PushHook {
    fn group(&self) -> &str {
        &self.group
    }

    fn message_model(&self) -> MessageModel {
        self.model
    }

    fn consume_type(&self) -> ConsumeType {
        ConsumeType::ConsumePassively
    }

    fn consume_from_where(&self) -> ConsumeFromWhere {
        self.from
    }

    fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.core
            .upgrade()
            .map(|c| c.subscription_data())
            .unwrap_or_default()
    }

    fn rebalance(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(core) = self.core.upgrade() {
                core.rebalance().await;
            }
        })
    }

    fn persist_offsets(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(core) = self.core.upgrade() {
                if !core.is_stopping() {
                    core.persist_offsets(false).await;
                }
            }
        })
    }

    fn running_info(&self) -> ConsumerRunningInfo {
        self.core
            .upgrade()
            .map(|c| c.running_info())
            .unwrap_or_default()
    }
}

/// A lite-pull consumer as the client instance sees it.
pub(crate) struct LiteHook {
    group: String,
    model: MessageModel,
    from: ConsumeFromWhere,
    core: Weak<LiteCore>,
}

impl LiteHook {
    pub(crate) fn new(core: &Arc<LiteCore>) -> Self {
        LiteHook {
            group: core.group.clone(),
            model: core.cfg.message_model,
            from: core.cfg.consume_from_where,
            core: Arc::downgrade(core),
        }
    }
}

impl ConsumerHook for LiteHook {
    fn group(&self) -> &str {
        &self.group
    }

    fn message_model(&self) -> MessageModel {
        self.model
    }

    fn consume_type(&self) -> ConsumeType {
        ConsumeType::ConsumeActively
    }

    fn consume_from_where(&self) -> ConsumeFromWhere {
        self.from
    }

    fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.core
            .upgrade()
            .map(|c| c.subscription_data())
            .unwrap_or_default()
    }

    fn rebalance(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(core) = self.core.upgrade() {
                core.rebalance().await;
            }
        })
    }

    fn persist_offsets(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(core) = self.core.upgrade() {
                core.persist_offsets(false).await;
            }
        })
    }

    fn running_info(&self) -> ConsumerRunningInfo {
        self.core
            .upgrade()
            .map(|c| c.running_info())
            .unwrap_or_default()
    }
}
