"""The dashboard and the alarms of the CDK app against their declarations in `pipeline/`."""

from __future__ import annotations

import json
from typing import Any

from pipeline import dashboard as d
from pipeline.alarms import ERROR_RATE, alarms
from pipeline.metrics import DROPPED_EVENTS, PART_ATTEMPTS
from pipeline.observability import SERVICE
from pipeline.topology import TOPOLOGY
from tests.infra.conftest import Synth, resolve_ref


def _dashboard_body(synth: Synth) -> dict[str, Any]:
    (dashboard,) = synth.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):  # Fn::Join of literal text and tokens: tokens as "<ref>"
        parts = body["Fn::Join"][1]
        body = "".join(p if isinstance(p, str) else "<ref>" for p in parts)
    return dict(json.loads(body))


def _widgets_by_title(synth: Synth) -> dict[str, list[list[Any]]]:
    return {
        w["properties"]["title"]: w["properties"]["metrics"]
        for w in _dashboard_body(synth)["widgets"]
    }


def _charted(metric: d.Metric, lines: list[list[Any]]) -> bool:
    for line in lines:
        options = line[-1] if isinstance(line[-1], dict) else {}
        if metric.group_by:
            expression = str(options.get("expression", ""))
            if "SEARCH(" in expression and f'MetricName="{metric.name}"' in expression:
                return metric.group_by in expression and metric.namespace in expression
            continue
        fields = [f for f in line if not isinstance(f, dict)]
        if fields[:2] != [metric.namespace, metric.name]:
            continue
        dims = dict(zip(fields[2::2], fields[3::2], strict=True))
        if metric.kind == d.APP and dims != {"service": SERVICE, **dict(metric.dimensions)}:
            continue
        if options.get("stat", "Average") == metric.stat and options.get("label") == metric.label:
            return True
    return False


def test_dashboard_has_every_declared_widget_and_metric(synth: Synth) -> None:
    charted = _widgets_by_title(synth)
    declared = d.widgets(TOPOLOGY)
    assert sorted(charted) == sorted(w.title for w in declared)
    for widget in declared:
        lines = charted[widget.title]
        missing = [m for m in widget.metrics if not _charted(m, lines)]
        assert not missing, f"{widget.title}: not charted: {missing}"
        assert len(lines) == len(widget.metrics), widget.title


def test_dashboard_covers_what_the_pipeline_is_asked_to_show() -> None:
    names = {(m.kind, m.name, m.stat) for m in d.all_metrics(TOPOLOGY)}
    for stat in ("p50", "p95", "p99"):
        assert (d.APP, "UploadToReadyLatency", stat) in names
    for kind, name in [
        (d.QUEUE, "ApproximateNumberOfMessagesVisible"),
        (d.QUEUE, "ApproximateAgeOfOldestMessage"),
        (d.FUNCTION, "Errors"),
        (d.FUNCTION, "Throttles"),
        (d.FUNCTION, "Duration"),
        (d.FUNCTION, "ConcurrentExecutions"),
        (d.API, "4xx"),
        (d.API, "5xx"),
        (d.CDN, "Requests"),
        (d.CDN, "CacheHitRate"),
    ]:
        assert any(k == kind and n == name for k, n, _ in names), name
    queues = {m.resource for m in d.all_metrics(TOPOLOGY) if m.kind == d.QUEUE}
    assert set(d.dead_letter_queues(TOPOLOGY)) <= queues


def _queue_names(synth: Synth) -> dict[str, str]:
    return {k: r["Properties"]["QueueName"] for k, r in synth.of_type("AWS::SQS::Queue").items()}


def test_every_declared_alarm_exists_with_its_threshold_and_notifies_the_topic(
    synth: Synth,
) -> None:
    by_name = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
    }
    (topic_id,) = (
        k
        for k, t in synth.of_type("AWS::SNS::Topic").items()
        if t["Properties"]["TopicName"] == TOPOLOGY.name("alarms")
    )
    queue_names = _queue_names(synth)
    declared = alarms(TOPOLOGY)
    assert sorted(by_name) == sorted(TOPOLOGY.name(spec.key) for spec in declared)
    for spec in declared:
        props = by_name[TOPOLOGY.name(spec.key)]
        assert props["Threshold"] == spec.threshold, spec.key
        assert props["ComparisonOperator"] == "GreaterThanThreshold"
        assert props["EvaluationPeriods"] == spec.evaluation_periods
        assert props["TreatMissingData"] == "notBreaching"
        assert props["AlarmActions"] == [{"Ref": topic_id}]
        assert props["OKActions"] == [{"Ref": topic_id}]
        assert props["AlarmDescription"] == spec.description
        if spec.metric.kind == ERROR_RATE:
            queries = {q["Id"]: q for q in props["Metrics"]}
            assert "IF(attempts > 0, 100 * FILL(errors, 0) / attempts, 0)" in json.dumps(
                [q.get("Expression") for q in queries.values()]
            )
            names = {
                q["MetricStat"]["Metric"]["MetricName"]
                for q in queries.values()
                if "MetricStat" in q
            }
            assert names == {spec.metric.name, PART_ATTEMPTS}
            continue
        assert props["MetricName"] == spec.metric.name
        assert props["Namespace"] == spec.metric.namespace
        assert props["Statistic"] == spec.metric.stat
        assert props["Period"] == spec.period_s
        (dimension,) = props["Dimensions"]
        if spec.metric.kind == d.QUEUE:
            assert dimension["Name"] == "QueueName"
            queue = resolve_ref(dimension["Value"])
            assert queue_names[str(queue)] == TOPOLOGY.name(spec.metric.resource)


def test_alarms_cover_dlqs_age_error_rate_throttles_and_api_5xx() -> None:
    keys = [spec.key for spec in alarms(TOPOLOGY)]
    assert sum(k.endswith("-dlq-not-empty") for k in keys) == len(d.dead_letter_queues(TOPOLOGY))
    for q in TOPOLOGY.queues:
        assert f"{q.name}-oldest-message-age" in keys and f"{q.name}-error-rate" in keys
    for f in d.function_names(TOPOLOGY):
        assert f"{f}-throttles" in keys
    assert "api-5xx" in keys
    assert "dropped-events" in keys


def test_dropped_events_are_charted_and_alarmed() -> None:
    charted = {(w.key, m.name) for w in d.widgets(TOPOLOGY) for m in w.metrics}
    assert ("dropped_events", DROPPED_EVENTS) in charted
    (alarm,) = (a for a in alarms(TOPOLOGY) if a.key == "dropped-events")
    assert (alarm.metric.kind, alarm.metric.name) == (d.APP, DROPPED_EVENTS)


def test_alarm_topic_is_encrypted_with_a_rotating_key_cloudwatch_may_use(synth: Synth) -> None:
    ((topic_id, topic),) = (
        (k, t["Properties"])
        for k, t in synth.of_type("AWS::SNS::Topic").items()
        if t["Properties"]["TopicName"] == TOPOLOGY.name("alarms")
    )
    key = synth.props(str(resolve_ref(topic["KmsMasterKeyId"])))
    assert key["EnableKeyRotation"] is True
    assert any(
        s["Principal"].get("Service") == "cloudwatch.amazonaws.com"
        and "kms:GenerateDataKey*" in s["Action"]
        for s in key["KeyPolicy"]["Statement"]
    )
    (policy,) = (
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.of_type("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": topic_id}]
    )
    assert any(
        s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        for s in policy
        if "Condition" in s
    )
    assert synth.template["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": topic_id}


def test_cdn_additional_metrics_are_on_for_the_cache_hit_rate(synth: Synth) -> None:
    (subscription,) = synth.of_type("AWS::CloudFront::MonitoringSubscription").values()
    props = subscription["Properties"]
    (distribution,) = synth.of_type("AWS::CloudFront::Distribution")
    assert props["DistributionId"] == {"Ref": distribution}
    config = props["MonitoringSubscription"]["RealtimeMetricsSubscriptionConfig"]
    assert config["RealtimeMetricsSubscriptionStatus"] == "Enabled"
