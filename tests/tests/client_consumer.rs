//! The SDK's consumers against our broker: counts and content, tags,
//! clustering with a rebalance, broadcasting, orderly per key across two
//! brokers, a lite-pull seek, offsets across restarts.

mod client_consumer_util;

use client_consumer_util as s;
use harness::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumes_ten_thousand_messages_with_content() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    s::consume_ten_thousand(cluster.namesrv_addr(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_expression_filters() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    s::tag_filtering(cluster.namesrv_addr(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clustering_splits_queues_and_rebalances_when_a_member_leaves() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    s::clustering_rebalance(cluster.namesrv_addr(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasting_delivers_to_every_member() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    s::broadcasting(cluster.namesrv_addr(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_keeps_per_key_order_across_two_brokers() {
    let cluster = Cluster::builder().brokers(2).start().await.unwrap();
    s::orderly_per_key(cluster.namesrv_addr(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_seek_and_commit() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    s::lite_pull_seek(cluster.namesrv_addr(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_survive_consumer_restarts() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    s::offsets_survive_restart(cluster.namesrv_addr(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconsume_later_redelivers_through_the_retry_topic() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    s::reconsume_later_redelivers(cluster.namesrv_addr(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_suspend_redelivers_in_order() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    s::orderly_suspend_redelivers_in_order(cluster.namesrv_addr(0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_subscribed_members_split_queues_and_auto_commit() {
    let cluster = Cluster::builder().brokers(1).start().await.unwrap();
    s::lite_pull_subscribe_group(cluster.namesrv_addr(0)).await;
}
