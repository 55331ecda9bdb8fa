"""CloudWatch metrics of the deployed resources, resolved from `pipeline.dashboard` metrics.

A declared metric names a kind of resource and its logical name; here it becomes the metric of
the construct that carries that name (a queue's QueueName, a function's FunctionName, the HTTP
API's ApiId, the distribution's id).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs

from pipeline import dashboard as d
from pipeline.alarms import ERROR_RATE
from pipeline.metrics import PART_ATTEMPTS
from pipeline.observability import SERVICE

# CloudFront publishes its metrics in us-east-1 only, with Region=Global.
CLOUDFRONT_METRICS_REGION = "us-east-1"


@dataclass(frozen=True)
class MonitoredResources:
    queues: dict[str, sqs.IQueue]  # logical queue name -> queue (work queues and DLQs)
    functions: dict[str, lambda_.IFunction]  # logical function name -> function
    api: apigw.HttpApi
    distribution: cloudfront.IDistribution

    def metric(
        self, metric: d.Metric, period_s: int = d.PERIOD_S, *, labelled: bool = True
    ) -> cw.IMetric:
        """`labelled=False` for an alarm: a plain metric then renders as MetricName."""
        period = Duration.seconds(period_s)
        if metric.kind == d.APP and metric.group_by:
            keys = ",".join(["service", *(k for k, _ in metric.dimensions), metric.group_by])
            return cw.MathExpression(
                expression=(
                    f"SEARCH('{{{metric.namespace},{keys}}} MetricName=\"{metric.name}\"', "
                    f"'{metric.stat}', {period_s})"
                ),
                label="",
                period=period,
            )
        if metric.kind == ERROR_RATE:
            dims = {"service": SERVICE, **dict(metric.dimensions)}
            return cw.MathExpression(
                expression="IF(attempts > 0, 100 * FILL(errors, 0) / attempts, 0)",
                using_metrics={
                    "errors": cw.Metric(
                        namespace=d.NAMESPACES[d.APP],
                        metric_name=metric.name,
                        dimensions_map=dims,
                        statistic="Sum",
                        period=period,
                    ),
                    "attempts": cw.Metric(
                        namespace=d.NAMESPACES[d.APP],
                        metric_name=PART_ATTEMPTS,
                        dimensions_map=dims,
                        statistic="Sum",
                        period=period,
                    ),
                },
                label=f"{metric.label} error rate %",
                period=period,
            )
        dimensions, region = self._dimensions(metric)
        return cw.Metric(
            namespace=metric.namespace,
            metric_name=metric.name,
            dimensions_map=dimensions,
            statistic=metric.stat,
            label=metric.label if labelled else None,
            period=period,
            region=region,
        )

    def _dimensions(self, metric: d.Metric) -> tuple[dict[str, str], str | None]:
        if metric.kind == d.APP:
            return {"service": SERVICE, **dict(metric.dimensions)}, None
        if metric.kind == d.QUEUE:
            return {"QueueName": self.queues[metric.resource].queue_name}, None
        if metric.kind == d.FUNCTION:
            return {"FunctionName": self.functions[metric.resource].function_name}, None
        if metric.kind == d.API:
            return {"ApiId": self.api.api_id}, None
        if metric.kind == d.CDN:
            return {
                "DistributionId": self.distribution.distribution_id,
                "Region": "Global",
            }, CLOUDFRONT_METRICS_REGION
        raise ValueError(f"no resource kind {metric.kind!r}")
