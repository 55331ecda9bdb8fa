"""Metrics of the pipeline: what a part attempt counts, EMF lines out (Powertools) and back in
(the local runtime's parser), and the stdout splitter that keeps worker logs readable."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import datetime
from typing import Any

import pytest

from pipeline import metrics as m
from pipeline.local.emf import EmfSplittingStream, MetricPublisher, is_emf, parse_emf
from pipeline.metrics_emf import emit_emf
from pipeline.observability import METRICS_NAMESPACE, SERVICE


def _report(**kw: Any) -> m.PartReport:
    base: dict[str, Any] = {
        "part": "renditions",
        "asset_id": "a1",
        "etag": "e1",
        "attempt": 1,
        "status": "done",
        "seconds": 0.25,
        "bytes_in": 1000,
    }
    return m.PartReport(**{**base, **kw})


def _by_name(measurements: list[m.Measurement]) -> dict[str, m.Measurement]:
    names = [x.name for x in measurements]
    assert len(names) == len(set(names)), names
    return {x.name: x for x in measurements}


def test_a_done_renditions_attempt_counts_receipt_time_bytes_and_renditions() -> None:
    renditions = [{"bytes": 300}, {"bytes": 700}, {"bytes": 50}]
    got = _by_name(m.part_measurements(_report(results={"renditions": renditions})))
    part = (("Part", "renditions"),)
    assert got[m.ASSETS_RECEIVED] == m.Measurement(m.ASSETS_RECEIVED, 1)
    assert got[m.PART_ATTEMPTS] == m.Measurement(m.PART_ATTEMPTS, 1, part)
    assert got[m.PART_PROCESSING_TIME] == m.Measurement(m.PART_PROCESSING_TIME, 250.0, part)
    assert got[m.BYTES_IN] == m.Measurement(m.BYTES_IN, 1000, part)
    assert got[m.RENDITIONS_CREATED].value == 3
    assert got[m.BYTES_OUT].value == 1050
    assert m.ASSETS_READY not in got and m.PART_ERRORS not in got


def test_metadata_counts_megapixels_and_a_retry_is_not_a_new_asset() -> None:
    got = _by_name(m.part_measurements(_report(part="metadata", results={"megapixels": 12.2})))
    assert got[m.MEGAPIXELS].value == 12.2
    assert m.ASSETS_RECEIVED not in got  # counted by the renditions part only
    again = _by_name(m.part_measurements(_report(attempt=2)))
    assert m.ASSETS_RECEIVED not in again


def test_an_attempt_that_raised_counts_an_error_and_no_output() -> None:
    report = _report(status="error", code="error", final=False, results={"renditions": [{}]})
    got = _by_name(m.part_measurements(report))
    assert got[m.PART_ERRORS] == m.Measurement(m.PART_ERRORS, 1, (("Part", "renditions"),))
    assert m.RENDITIONS_CREATED not in got


def test_milestones_count_ready_with_latency_and_failed_with_reason() -> None:
    ready = m.Milestone("READY", uploaded_at=100.0, finished_at=102.5)
    got = _by_name(m.part_measurements(_report(), ready))
    assert got[m.ASSETS_READY].value == 1
    assert got[m.UPLOAD_TO_READY].value == 2500.0
    failed = m.Milestone("FAILED", code="unsupported")
    got = _by_name(m.part_measurements(_report(status="failed", code="unsupported"), failed))
    assert got[m.ASSETS_FAILED] == m.Measurement(m.ASSETS_FAILED, 1, (("Reason", "unsupported"),))


def test_every_measurement_is_a_declared_metric_with_its_declared_dimensions() -> None:
    reports = [
        (_report(results={"renditions": [{"bytes": 1}]}), m.Milestone("READY", 1.0, 2.0)),
        (_report(part="metadata", results={"megapixels": 1.0}), None),
        (_report(status="error", code="error"), m.Milestone("FAILED", code="error")),
    ]
    measured = [x for report, milestone in reports for x in m.part_measurements(report, milestone)]
    measured += m.dropped_measurements(m.DroppedEvent("metadata", "foreign bucket"))
    seen = set()
    for x in measured:
        spec = m.METRICS_BY_NAME[x.name]
        assert tuple(k for k, _ in x.dimensions) == spec.dimensions, x
        seen.add(x.name)
    assert seen == set(m.METRICS_BY_NAME)


def test_a_dropped_event_counts_one_drop_and_nothing_else() -> None:
    got = m.dropped_measurements(m.DroppedEvent("renditions", "object missing", "a1"))
    assert got == [m.Measurement(m.DROPPED_EVENTS, 1)]


def test_metering_emits_a_dropped_event_without_asking_the_catalog() -> None:
    from pipeline.usecases.metering import PartMetering

    emitted: list[list[m.Measurement]] = []
    metering = PartMetering(None, emitted.append)  # type: ignore[arg-type]
    metering(m.DroppedEvent("metadata", "asset deleted"))
    assert emitted == [[m.Measurement(m.DROPPED_EVENTS, 1)]]


def _emf_lines(measurements: list[m.Measurement]) -> list[str]:
    out = io.StringIO()
    with redirect_stdout(out):
        emit_emf(measurements)
    return [line for line in out.getvalue().splitlines() if line]


def test_emf_lines_become_the_right_cloudwatch_data_points() -> None:
    ready = m.Milestone("READY", uploaded_at=10.0, finished_at=11.0)
    report = _report(results={"renditions": [{"bytes": 10}, {"bytes": 20}]})
    lines = _emf_lines(m.part_measurements(report, ready))
    assert len(lines) == 2  # one per dimension set: (service) and (Part, service)
    data = [d for line in lines for d in parse_emf(line)]
    assert {ns for ns, _ in data} == {METRICS_NAMESPACE}
    points = {
        (d["MetricName"], tuple((x["Name"], x["Value"]) for x in d["Dimensions"])): d
        for _, d in data
    }
    service = ("service", SERVICE)
    part = (("Part", "renditions"), service)
    assert points[(m.ASSETS_RECEIVED, (service,))]["Values"] == [1.0]
    assert points[(m.ASSETS_READY, (service,))]["Values"] == [1.0]
    assert points[(m.UPLOAD_TO_READY, (service,))]["Values"] == [1000.0]
    assert points[(m.UPLOAD_TO_READY, (service,))]["Unit"] == "Milliseconds"
    assert points[(m.RENDITIONS_CREATED, (service,))]["Values"] == [2.0]
    assert points[(m.BYTES_OUT, (service,))]["Values"] == [30.0]
    assert points[(m.BYTES_OUT, (service,))]["Unit"] == "Bytes"
    assert points[(m.PART_PROCESSING_TIME, part)]["Values"] == [250.0]
    assert points[(m.PART_ATTEMPTS, part)]["Unit"] == "Count"
    assert len(points) == len(data) == 8
    assert all(isinstance(d["Timestamp"], datetime) for _, d in data)


def test_several_values_of_one_metric_in_a_line_are_all_kept() -> None:
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": 1_700_000_000_000,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "NS",
                        "Dimensions": [["service", "Part"], []],
                        "Metrics": [{"Name": "T", "Unit": "Milliseconds"}],
                    }
                ],
            },
            "service": "s",
            "Part": "p",
            "T": [1, 2.5, 4],
        }
    )
    (with_dims, _), (without, _) = ((d, ns) for ns, d in parse_emf(line))
    assert with_dims["Values"] == [1.0, 2.5, 4.0]
    # Dimensions go out sorted by name: the embedded CloudWatch matches them in order only.
    assert [x["Name"] for x in with_dims["Dimensions"]] == ["Part", "service"]
    assert without["Dimensions"] == [] and without["Values"] == [1.0, 2.5, 4.0]
    assert with_dims["Timestamp"].timestamp() == 1_700_000_000


class _Collecting(MetricPublisher):
    def __init__(self) -> None:
        super().__init__(None)
        self.lines: list[str] = []

    def add_line(self, line: str) -> None:
        self.lines.append(line)


def test_worker_stdout_keeps_log_lines_and_diverts_emf_lines() -> None:
    target = io.StringIO()
    publisher = _Collecting()
    stream = EmfSplittingStream(target, publisher)
    emf = _emf_lines([m.Measurement(m.ASSETS_READY, 1)])[0]
    log_line = json.dumps({"level": "INFO", "message": "part done", "correlation_id": "a1"})
    stream.write(log_line[:10])
    stream.write(log_line[10:] + "\n" + emf[:20])
    stream.write(emf[20:] + "\nplain text\n")
    stream.flush()
    assert target.getvalue() == log_line + "\nplain text\n"
    assert publisher.lines == [emf]
    assert is_emf(emf) and not is_emf(log_line)


@pytest.mark.parametrize("bad", ['{"_aws": {"CloudWatchMetrics": 1}}', "{not json"])
def test_a_broken_emf_line_is_reported_not_raised(bad: str, caplog: Any) -> None:
    publisher = MetricPublisher(None)
    publisher.add_line(bad)
    assert "not an EMF document" in caplog.text
    assert not publisher._pending
