"""Observability: the dashboard and the alarms, both declared in `pipeline/` (the dashboard
in `pipeline.dashboard`, the alarms in `pipeline.alarms`), and the alarm topic.

CloudFront's additional metrics (cache hit rate among them) are switched on for the
distribution, since the dashboard charts the cache hit rate.
"""

from __future__ import annotations

from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.alarms import Alarms
from infra.dashboard import build_dashboard
from infra.fanout import FanOut
from infra.functions import PipelineFunction
from infra.monitored import MonitoredResources
from pipeline.dashboard import API_FUNCTION
from pipeline.topology import Topology


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topology: Topology,
        fanout: FanOut,
        workers: dict[str, PipelineFunction],
        api: apigw.HttpApi,
        api_function: PipelineFunction,
        distribution: cloudfront.IDistribution,
        invalidation_dlq: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        queues: dict[str, sqs.IQueue] = {
            f"{topology.rule}-dlq": fanout.rule_dlq,
            topology.invalidations.dlq_name: invalidation_dlq,
        }
        for work in fanout.queues.values():
            queues[work.spec.name] = work.queue
            queues[work.spec.dlq_name] = work.dlq
            queues[f"{work.spec.name}-subscription-dlq"] = work.subscription_dlq
        functions: dict[str, lambda_.IFunction] = {
            topology.queue(part).name: worker.function for part, worker in workers.items()
        }
        functions[API_FUNCTION] = api_function.function
        self.resources = MonitoredResources(queues, functions, api, distribution)
        subscription = cloudfront.CfnMonitoringSubscription
        subscription(
            self,
            "CdnMetrics",
            distribution_id=distribution.distribution_id,
            monitoring_subscription=subscription.MonitoringSubscriptionProperty(
                realtime_metrics_subscription_config=(
                    subscription.RealtimeMetricsSubscriptionConfigProperty(
                        realtime_metrics_subscription_status="Enabled"
                    )
                )
            ),
        )
        self.dashboard = build_dashboard(self, "Dashboard", topology, self.resources)
        self.alarm_set = Alarms(self, "Alarms", topology=topology, resources=self.resources)
        self.alarms = list(self.alarm_set.alarms.values())
        self.alarm_topic = self.alarm_set.topic
