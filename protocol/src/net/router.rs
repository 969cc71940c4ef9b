//! [`Router`]: dispatch by request code to registered processors.

use std::collections::HashMap;
use std::sync::Arc;

use super::{BoxFuture, Connection, Processor};
use crate::code::response;
use crate::command::RemotingCommand;

/// A [`Processor`] that hands each request to the processor registered for
/// its code and answers unknown codes with REQUEST_CODE_NOT_SUPPORTED.
#[derive(Default, Clone)]
pub struct Router {
    routes: HashMap<i32, Arc<dyn Processor>>,
    observers: Vec<Arc<dyn Processor>>,
}

impl Router {
    /// A router with no routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes `code` to `processor` (builder style). Connection open/close
    /// events go to every distinct processor registered.
    pub fn route(mut self, code: i32, processor: Arc<dyn Processor>) -> Self {
        if !self.observers.iter().any(|p| Arc::ptr_eq(p, &processor)) {
            self.observers.push(processor.clone());
        }
        self.routes.insert(code, processor);
        self
    }

    /// Routes every code in `codes` to `processor`.
    pub fn routes(mut self, codes: &[i32], processor: Arc<dyn Processor>) -> Self {
        for &c in codes {
            self = self.route(c, processor.clone());
        }
        self
    }
}

/// The response for a code nobody serves.
pub(crate) fn not_supported(code: i32) -> RemotingCommand {
    RemotingCommand::error(
        response::REQUEST_CODE_NOT_SUPPORTED,
        format!(" request type {code} not supported"),
    )
}

impl Processor for Router {
    fn process<'a>(
        &'a self,
        conn: &'a Arc<Connection>,
        request: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        match self.routes.get(&request.code) {
            Some(p) => p.process(conn, request),
            None => {
                let code = request.code;
                Box::pin(async move { Some(not_supported(code)) })
            }
        }
    }

    fn on_connected(&self, conn: &Arc<Connection>) {
        for p in &self.observers {
            p.on_connected(conn);
        }
    }

    fn on_closed(&self, conn: &Arc<Connection>) {
        for p in &self.observers {
            p.on_closed(conn);
        }
    }
}

/// A processor that serves nothing: every request is answered
/// REQUEST_CODE_NOT_SUPPORTED. The default for outgoing connections.
pub(crate) struct RejectAll;

impl Processor for RejectAll {
    fn process<'a>(
        &'a self,
        _conn: &'a Arc<Connection>,
        request: RemotingCommand,
    ) -> BoxFuture<'a, Option<RemotingCommand>> {
        let code = request.code;
        Box::pin(async move { Some(not_supported(code)) })
    }
}
