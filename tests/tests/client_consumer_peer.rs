//! The consumer scenarios (consume, tags, broadcast, orderly, clustering,
//! lite-pull seek, restarts) against the peer broker
//! (mxsm/rocketmq-rust, started by `../shared/bench/run-peer.sh`). They run
//! when `RMQ_PEER_NAMESRV` holds the peer's NameServer address and are
//! skipped, with a note, otherwise.

mod client_consumer_util;

use client_consumer_util as s;

fn peer() -> Option<String> {
    match std::env::var("RMQ_PEER_NAMESRV") {
        Ok(a) if !a.trim().is_empty() => Some(a),
        _ => {
            eprintln!("skipped: set RMQ_PEER_NAMESRV to the peer broker's NameServer address");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_consumes_ten_thousand_messages_with_content() {
    if let Some(ns) = peer() {
        s::consume_ten_thousand(&ns).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_tag_expression_filters() {
    if let Some(ns) = peer() {
        s::tag_filtering(&ns).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_broadcasting_delivers_to_every_member() {
    if let Some(ns) = peer() {
        s::broadcasting(&ns).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_orderly_keeps_per_key_order() {
    if let Some(ns) = peer() {
        s::orderly_per_key(&ns).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_clustering_splits_queues_and_rebalances() {
    if let Some(ns) = peer() {
        s::clustering_rebalance(&ns).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_lite_pull_seek_and_commit() {
    if let Some(ns) = peer() {
        s::lite_pull_seek(&ns).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_offsets_survive_consumer_restarts() {
    if let Some(ns) = peer() {
        s::offsets_survive_restart(&ns).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_reconsume_later_redelivers_through_the_retry_topic() {
    if let Some(ns) = peer() {
        s::reconsume_later_redelivers(&ns).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_orderly_suspend_redelivers_in_order() {
    if let Some(ns) = peer() {
        s::orderly_suspend_redelivers_in_order(&ns).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_lite_pull_subscribed_members_split_queues_and_auto_commit() {
    if let Some(ns) = peer() {
        s::lite_pull_subscribe_group(&ns).await;
    }
}
