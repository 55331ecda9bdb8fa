"""Observability: a first dashboard and one alarm per dead-letter queue.

A starting point: throughput, age of the oldest message, DLQ depth, worker errors and
duration, API errors. Alarms have no action yet; wire them to a topic of your own.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.fanout import FanOut
from infra.functions import PipelineFunction
from pipeline.topology import Topology

PERIOD = Duration.minutes(1)


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
    ) -> None:
        super().__init__(scope, construct_id)
        dlqs: dict[str, sqs.IQueue] = {"rule": fanout.rule_dlq}
        for part, work in fanout.queues.items():
            dlqs[part] = work.dlq
            dlqs[f"{part}-subscription"] = work.subscription_dlq
        self.alarms: list[cw.Alarm] = []
        for name, dlq in dlqs.items():
            self.alarms.append(
                cw.Alarm(
                    self,
                    f"{name.title().replace('-', '')}DlqNotEmpty",
                    alarm_name=topology.name(f"{name}-dlq-not-empty"),
                    alarm_description=f"Messages are waiting in the {name} dead-letter queue: "
                    "find the cause in the worker logs, fix it, then redrive.",
                    metric=dlq.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum"
                    ),
                    threshold=0,
                    comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluation_periods=1,
                    treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                )
            )

        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=topology.name("overview"))
        queues = [work.queue for work in fanout.queues.values()]
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Messages received",
                left=[q.metric_number_of_messages_received(period=PERIOD) for q in queues],
            ),
            cw.GraphWidget(
                title="Age of oldest message (s)",
                left=[q.metric_approximate_age_of_oldest_message(period=PERIOD) for q in queues],
            ),
            cw.GraphWidget(
                title="Dead-letter queue depth",
                left=[
                    q.metric_approximate_number_of_messages_visible(period=PERIOD)
                    for q in dlqs.values()
                ],
            ),
        )
        functions = [w.function for w in workers.values()]
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Worker errors",
                left=[f.metric_errors(period=PERIOD) for f in functions],
            ),
            cw.GraphWidget(
                title="Worker duration p90 (ms)",
                left=[f.metric_duration(period=PERIOD, statistic="p90") for f in functions],
            ),
            cw.GraphWidget(
                title="API requests and errors",
                left=[api.metric_count(period=PERIOD)],
                right=[
                    api.metric_client_error(period=PERIOD),
                    api.metric_server_error(period=PERIOD),
                ],
            ),
        )
