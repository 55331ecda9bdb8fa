"""A deleted asset's renditions leave the local CDN: cached before the delete, 404 after the
invalidation the delete requested."""

from __future__ import annotations

from pipeline_dev.cdn_delete_bench import cdn_get, delete_and_poll

# The invalidation travels through SQS (1 s long polls), a worker process and the CDN's purge:
# well under this on a laptop (`pipeline bench cdn-delete`).
REACHABLE_AFTER_DELETE_S = 10.0


def test_a_deleted_rendition_answers_404_from_the_cdn_after_the_invalidation(
    stack, client, samples
) -> None:
    result = delete_and_poll(client, samples / "grayscale.jpg", timeout_s=30.0)
    assert result.url.startswith(stack.cdn_url)
    assert result.x_cache_before.startswith("Hit")
    assert result.final_status == 404, result
    assert result.reachable_s < REACHABLE_AFTER_DELETE_S, result
    again = cdn_get(result.url)
    assert again.status == 404 and "X-Cache" not in again.headers
