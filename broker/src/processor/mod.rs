//! Request processors, one file per group of request codes, and
//! [`router`], which maps every served code to its processor.
//!
//! Each processor is `XProcessor { ctx }` with a `CODES` list and a plain
//! `match request.code`; it decodes the request, calls managers or the
//! store, and builds the response. Errors become responses in
//! [`crate::error`] only.

use std::sync::Arc;

use protocol::net::Router;

use crate::context::BrokerContext;

pub mod admin;
mod admin_stats;
pub mod client;
pub mod lock;
pub mod offset;
pub mod pull;
pub mod query;
pub mod send;
mod send_back;

/// The router of every request code the broker serves; anything else gets
/// REQUEST_CODE_NOT_SUPPORTED.
pub fn router(ctx: &Arc<BrokerContext>) -> Router {
    Router::new()
        .routes(send::CODES, Arc::new(send::SendProcessor::new(ctx.clone())))
        .routes(pull::CODES, Arc::new(pull::PullProcessor::new(ctx.clone())))
        .routes(
            client::CODES,
            Arc::new(client::ClientProcessor::new(ctx.clone())),
        )
        .routes(lock::CODES, Arc::new(lock::LockProcessor::new(ctx.clone())))
        .routes(
            offset::CODES,
            Arc::new(offset::OffsetProcessor::new(ctx.clone())),
        )
        .routes(
            query::CODES,
            Arc::new(query::QueryProcessor::new(ctx.clone())),
        )
        .routes(
            admin::CODES,
            Arc::new(admin::AdminProcessor::new(ctx.clone())),
        )
}
