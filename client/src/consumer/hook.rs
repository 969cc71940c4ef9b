//! The [`ConsumerHook`] implementation that registers a push or lite-pull
//! consumer with its client instance. It holds only a weak reference, so the
//! instance never keeps a stopped consumer alive.

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use protocol::body::ConsumerRunningInfo;
use protocol::net::BoxFuture;

use crate::consumer::lite::LiteCore;
use crate::consumer::push::PushCore;
use crate::error::ClientError;
use crate::instance::{
    ConsumeFromWhere, ConsumeType, ConsumerHook, MessageModel, SubscriptionData,
};

/// What a consumer's core offers the client instance: the parts of
/// [`ConsumerHook`] that need a live core.
pub(crate) trait HookedCore: Send + Sync + 'static {
    /// How the consumer fetches: passively (push) or actively (lite pull).
    const CONSUME_TYPE: ConsumeType;
    /// The subscriptions sent in heartbeats.
    fn subscriptions(&self) -> Vec<SubscriptionData>;
    /// One rebalance pass.
    fn rebalance_now(&self) -> BoxFuture<'_, ()>;
    /// The periodic (every 5 s) offset commit.
    fn persist_periodically(&self) -> BoxFuture<'_, ()>;
    /// The answer to GET_CONSUMER_RUNNING_INFO.
    fn running_info_now(&self) -> ConsumerRunningInfo;
    /// Graceful shutdown of the core.
    fn stop(&self) -> BoxFuture<'_, ()>;
}

/// Puts a freshly started `core` into a consumer's `slot`. If the slot was
/// already taken (a concurrent `start` won), shuts `core` down again and
/// fails with IllegalState naming `what` was started twice.
pub(crate) async fn install_core<C: HookedCore>(
    slot: &Mutex<Option<Arc<C>>>,
    core: Arc<C>,
    what: &str,
) -> Result<(), ClientError> {
    let raced = {
        let mut slot = slot.lock();
        let raced = slot.is_some();
        if !raced {
            *slot = Some(core.clone());
        }
        raced
    };
    if raced {
        core.stop().await;
        return Err(ClientError::IllegalState(format!("{what} started twice")));
    }
    Ok(())
}

/// Takes the core out of a consumer's `slot` and shuts it down (nothing if
/// the consumer is not started).
pub(crate) async fn remove_core<C: HookedCore>(slot: &Mutex<Option<Arc<C>>>) {
    let core = slot.lock().take();
    if let Some(core) = core {
        core.stop().await;
    }
}

impl HookedCore for PushCore {
    const CONSUME_TYPE: ConsumeType = ConsumeType::ConsumePassively;

    fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.subscription_data()
    }

    fn rebalance_now(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.rebalance())
    }

    fn persist_periodically(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // A stopping push consumer commits its final offsets itself.
            if !self.is_stopping() {
                self.persist_offsets(false).await;
            }
        })
    }

    fn running_info_now(&self) -> ConsumerRunningInfo {
        self.running_info()
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.shutdown())
    }
}

impl HookedCore for LiteCore {
    const CONSUME_TYPE: ConsumeType = ConsumeType::ConsumeActively;

    fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.subscription_data()
    }

    fn rebalance_now(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.rebalance())
    }

    fn persist_periodically(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.persist_offsets(false))
    }

    fn running_info_now(&self) -> ConsumerRunningInfo {
        self.running_info()
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.shutdown())
    }
}

/// A consumer as the client instance sees it: its group settings plus a
/// weak reference to its core.
pub(crate) struct CoreHook<C: HookedCore> {
    group: String,
    model: MessageModel,
    from: ConsumeFromWhere,
    core: Weak<C>,
}

/// The hook of a push consumer.
pub(crate) type PushHook = CoreHook<PushCore>;
/// The hook of a lite-pull consumer.
pub(crate) type LiteHook = CoreHook<LiteCore>;

impl PushHook {
    pub(crate) fn new(core: &Arc<PushCore>) -> Self {
        CoreHook::with(
            core,
            core.group.clone(),
            core.cfg.message_model,
            core.cfg.consume_from_where,
        )
    }
}

impl LiteHook {
    pub(crate) fn new(core: &Arc<LiteCore>) -> Self {
        CoreHook::with(
            core,
            core.group.clone(),
            core.cfg.message_model,
            core.cfg.consume_from_where,
        )
    }
}

impl<C: HookedCore> CoreHook<C> {
    fn with(core: &Arc<C>, group: String, model: MessageModel, from: ConsumeFromWhere) -> Self {
        CoreHook {
            group,
            model,
            from,
            core: Arc::downgrade(core),
        }
    }
}

impl<C: HookedCore> ConsumerHook for CoreHook<C> {
    fn group(&self) -> &str {
        &self.group
    }

    fn message_model(&self) -> MessageModel {
        self.model
    }

    fn consume_type(&self) -> ConsumeType {
        C::CONSUME_TYPE
    }

    fn consume_from_where(&self) -> ConsumeFromWhere {
        self.from
    }

    fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.core
            .upgrade()
            .map(|c| c.subscriptions())
            .unwrap_or_default()
    }

    fn rebalance(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(core) = self.core.upgrade() {
                core.rebalance_now().await;
            }
        })
    }

    fn persist_offsets(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(core) = self.core.upgrade() {
                core.persist_periodically().await;
            }
        })
    }

    fn running_info(&self) -> ConsumerRunningInfo {
        self.core
            .upgrade()
            .map(|c| c.running_info_now())
            .unwrap_or_default()
    }
}
