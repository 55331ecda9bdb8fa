"""The fixes of pipeline.local.moto_cloudwatch work, and canaries that fail the day moto
computes percentiles or ages natively (then drop the fix and its canary)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from moto.cloudwatch.models import MetricDatum, Statistics

from pipeline.local import moto_cloudwatch

VALUES = [float(v) for v in range(1, 101)]  # 1..100


def _stats(stat: str) -> Statistics:
    stats = Statistics([stat], datetime.now(UTC))
    stats.metric_data = [MetricDatum("NS", "T", v, [], datetime.now(UTC)) for v in VALUES]
    return stats


@pytest.mark.parametrize("stat", ["p50", "p95", "p99"])
def test_canary_moto_has_no_percentiles(stat: str) -> None:
    assert moto_cloudwatch._original_statistic(_stats(stat), stat) is None


@pytest.mark.parametrize(("stat", "expected"), [("p50", 50.0), ("p95", 95.0), ("p99", 99.0)])
def test_percentiles_are_computed_from_the_period_values(stat: str, expected: float) -> None:
    assert moto_cloudwatch._statistic(_stats(stat), stat) == expected
    assert moto_cloudwatch._statistic(_stats("Sum"), "Sum") == sum(VALUES)


def test_percentile_is_nearest_rank() -> None:
    assert moto_cloudwatch.percentile([], 50) is None
    assert moto_cloudwatch.percentile([3.0], 99) == 3.0
    assert moto_cloudwatch.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert moto_cloudwatch.percentile([1.0, 2.0, 3.0, 4.0], 51) == 3.0


def test_canary_sqs_has_no_age_of_oldest_message_attribute() -> None:
    from moto import mock_aws

    with mock_aws():
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="age")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x")
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert "ApproximateAgeOfOldestMessage" not in attrs
        age = moto_cloudwatch.oldest_message_age_s("age", "us-east-1")
        assert age is not None and 0 <= age < 5
        assert moto_cloudwatch.oldest_message_age_s("missing", "us-east-1") is None


def test_canary_dimension_order_matters_to_moto_get_metric_data() -> None:
    from moto import mock_aws

    with mock_aws():
        import boto3

        cw = boto3.client("cloudwatch", region_name="us-east-1")
        dims = [{"Name": "Reason", "Value": "unsupported"}, {"Name": "service", "Value": "s"}]
        cw.put_metric_data(
            Namespace="NS", MetricData=[{"MetricName": "F", "Dimensions": dims, "Value": 1}]
        )
        now = datetime.now(UTC)

        def values(order: list[dict[str, str]]) -> list[float]:
            result = cw.get_metric_data(
                MetricDataQueries=[
                    {
                        "Id": "q",
                        "MetricStat": {
                            "Metric": {"Namespace": "NS", "MetricName": "F", "Dimensions": order},
                            "Period": 60,
                            "Stat": "Sum",
                        },
                    }
                ],
                StartTime=now - timedelta(minutes=5),
                EndTime=now + timedelta(minutes=1),
            )
            return list(result["MetricDataResults"][0]["Values"])

        assert values(dims) == [1.0]
        assert values(list(reversed(dims))) == []  # fixed upstream: drop the sorting note
