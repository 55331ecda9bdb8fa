"""Videos through the whole event path: poster renditions on the CDN, metadata in the record."""

from __future__ import annotations

from pipeline.client import PipelineClient


def test_a_phone_video_reaches_ready_with_poster_renditions_on_the_cdn(
    client: PipelineClient, samples
) -> None:
    grant = client.upload_file(samples / "phone-clip-rotated.mov", "video/quicktime")
    asset = client.wait(grant["asset_id"], timeout_s=90)
    assert asset["state"] == "READY", asset
    assert asset["parts"] == {"renditions": "DONE", "metadata": "DONE"}
    metadata = asset["metadata"]
    assert (metadata["kind"], metadata["format"], metadata["rotation"]) == ("video", "mov", 90)
    assert (metadata["width"], metadata["height"]) == (360, 640)
    assert metadata["video"]["poster_time_s"] >= 0.5  # the black lead-in was skipped
    assert metadata["audio"]["codec"] == "aac"
    assert metadata["gps"]["sensitive"] is True
    names = sorted((r["name"], r["format"]) for r in asset["renditions"])
    assert names == sorted((n, f) for n in ("thumb", "medium", "large") for f in ("webp", "jpeg"))
    for rendition in asset["renditions"]:
        response = client.http.request("GET", rendition["url"])
        assert response.status == 200
        assert response.headers["Content-Type"] == rendition["mime"]
        assert len(response.data) == rendition["bytes"]
        assert b"+48.8582" not in response.data
    large = [r for r in asset["renditions"] if r["name"] == "large"]
    assert all((r["width"], r["height"]) == (360, 640) for r in large)


def test_a_truncated_video_ends_failed_with_a_reason(
    client: PipelineClient, samples, tmp_path
) -> None:
    whole = (samples / "clip-vp9.webm").read_bytes()
    cut = tmp_path / "cut.webm"
    cut.write_bytes(whole[: len(whole) // 2])
    grant = client.upload_file(cut, "video/webm")
    asset = client.wait(grant["asset_id"], timeout_s=90)
    assert asset["state"] == "FAILED"
    assert asset["failure"]["code"] == "corrupt"
    assert "truncated" in asset["failure"]["message"]
    assert asset["renditions"] == []
