"""Bounded load on the API (loopback only) and a short fuzzing run of the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.local import faults
from pipeline_dev.fuzz import default_seeds, mutate, run_fuzz
from pipeline_dev.load_bench import report, run_api_bench, run_pipeline_bench

SAMPLES = Path(__file__).resolve().parents[2] / "sample_media"


def test_api_routes_under_concurrent_clients_answer_without_errors() -> None:
    result = run_api_bench(requests=300, concurrency=8, max_seconds=30)
    assert result["errors"] == 0, result["error_samples"]
    assert result["requests"] == 300
    assert result["p99_ms"] < 2000


def test_pipeline_bench_counts_the_requests_each_asset_costs_the_embedded_aws() -> None:
    result = run_pipeline_bench(assets=6, concurrency=2, workers=1, timeout_s=120)
    p = result["pipeline"]
    assert (p["ready"], p["not_terminal"]) == (6, 0)
    assert 0 < result["efficiency"] < 1
    per_asset = p["requests_per_asset"]
    # At least: the upload, a download per part and one rendition (S3); the record, and a
    # claim and a completion per part (DynamoDB); a receive per batch and deletes (SQS).
    assert per_asset["s3"] >= 4
    assert per_asset["dynamodb"] >= 5
    assert per_asset["sqs"] > 0
    assert 0 < p["cheapest_request_ms"] < 100
    text = report(result)
    assert f"{sum(per_asset.values()):.1f} requests per asset" in text
    assert "cannot pass" in text


def test_mutated_files_raise_only_media_errors_within_the_memory_cap() -> None:
    # A fixed number of mutants, so the test's strength does not depend on the machine's speed.
    report = run_fuzz(default_seeds(), seconds=240, seed=7, memory_mb=1024, max_files=64)
    assert report.files == 64
    assert report.findings == [], report.summary()
    assert report.peak_rss_mb < 1024


def test_mutations_are_reproducible() -> None:
    import random

    data = (SAMPLES / "grayscale.jpg").read_bytes()
    assert mutate(data, random.Random(3)) == mutate(data, random.Random(3))


def test_fault_rules_are_checked_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="error must be one of"):
        faults.parse_rules('[{"error": "explode"}]')
    monkeypatch.setenv(
        faults.ENV,
        '[{"service": "sns", "operation": "Publish", "count": 2, "scope": "main", "error": "500"}]',
    )
    with pytest.raises(faults.InjectedFault):
        faults.check("sns", "Publish")
    with pytest.raises(faults.InjectedFault):
        faults.check("sns", "Publish")
    faults.check("sns", "Publish")  # the count is spent
    faults.check("s3", "GetObject")  # no rule
