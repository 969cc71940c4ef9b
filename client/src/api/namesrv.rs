//! NameServer calls: routes, cluster info, topic lists (PROTOCOL.md §10).

use protocol::body::fastjson::JsonBody;
use protocol::body::route::{ClusterInfo, TopicList, TopicRouteData};
use protocol::code::request;
use protocol::header::namesrv::{
    DeleteTopicFromNamesrvRequestHeader, GetRouteInfoRequestHeader, GetTopicsByClusterRequestHeader,
};

use super::{expect_success, MQClientAPI};
use crate::error::ClientError;

impl MQClientAPI {
    /// GET_ROUTEINFO_BY_TOPIC: the topic's route from the NameServers.
    /// TOPIC_NOT_EXIST comes back as [`ClientError::Broker`] with that code.
    pub async fn get_topic_route(&self, topic: &str) -> Result<TopicRouteData, ClientError> {
        let header = GetRouteInfoRequestHeader {
            topic: topic.to_owned(),
            accept_standard_json_only: None,
        };
        let cmd = self.request(request::GET_ROUTEINFO_BY_TOPIC, &header);
        let resp = self
            .invoke_namesrv_ok(cmd, self.config().mq_client_api_timeout)
            .await?;
        if resp.body.is_empty() {
            return Err(ClientError::NoRoute(topic.to_owned()));
        }
        Ok(TopicRouteData::from_json(&resp.body)?)
    }

    /// GET_BROKER_CLUSTER_INFO: every broker of every cluster.
    pub async fn get_broker_cluster_info(&self) -> Result<ClusterInfo, ClientError> {
        let cmd = self.new_request(request::GET_BROKER_CLUSTER_INFO);
        let resp = self
            .invoke_namesrv_ok(cmd, self.config().mq_client_api_timeout)
            .await?;
        Ok(ClusterInfo::from_json(&resp.body)?)
    }

    /// GET_ALL_TOPIC_LIST_FROM_NAMESERVER: every topic the NameServer knows.
    pub async fn get_all_topic_list(&self) -> Result<TopicList, ClientError> {
        let cmd = self.new_request(request::GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
        let resp = self
            .invoke_namesrv_ok(cmd, self.config().mq_client_api_timeout)
            .await?;
        Ok(TopicList::from_json(&resp.body)?)
    }

    /// GET_TOPICS_BY_CLUSTER: topics with a queue on a broker of `cluster`.
    pub async fn get_topics_by_cluster(&self, cluster: &str) -> Result<TopicList, ClientError> {
        let header = GetTopicsByClusterRequestHeader {
            cluster: cluster.to_owned(),
        };
        let cmd = self.request(request::GET_TOPICS_BY_CLUSTER, &header);
        let resp = self
            .invoke_namesrv_ok(cmd, self.config().mq_client_api_timeout)
            .await?;
        Ok(TopicList::from_json(&resp.body)?)
    }

    /// DELETE_TOPIC_IN_NAMESRV on one NameServer (admin tools call every
    /// NameServer, see [`MQClientAPI::namesrv_addrs`]).
    pub async fn delete_topic_in_namesrv(
        &self,
        namesrv_addr: &str,
        topic: &str,
        cluster: Option<&str>,
    ) -> Result<(), ClientError> {
        let header = DeleteTopicFromNamesrvRequestHeader {
            topic: topic.to_owned(),
            cluster_name: cluster.map(str::to_owned),
        };
        let cmd = self.request(request::DELETE_TOPIC_IN_NAMESRV, &header);
        let resp = self
            .invoke(namesrv_addr, cmd, self.config().mq_client_api_timeout)
            .await?;
        expect_success(namesrv_addr, resp).map(|_| ())
    }
}
