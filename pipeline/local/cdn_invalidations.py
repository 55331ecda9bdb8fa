"""Invalidations of the local CDN (`Cdn`), through its loopback endpoint: the stand-in for
CloudFront's CreateInvalidation on a laptop. The invalidator runs in a worker process, the edge
cache in the `pipeline up` process, so the two speak HTTP."""

from __future__ import annotations

import json
from collections.abc import Sequence

import urllib3

from pipeline import composition
from pipeline.local.cdn import INVALIDATIONS_PATH
from pipeline.settings import Settings


class LocalCdnInvalidations:
    def __init__(self, cdn_url: str, token: str) -> None:
        self.url = cdn_url.rstrip("/") + INVALIDATIONS_PATH
        self.token = token
        self._http = urllib3.PoolManager(retries=urllib3.Retry(3, backoff_factor=0.2))

    def invalidate(self, paths: Sequence[str], reference: str) -> str:
        response = self._http.request(
            "POST",
            self.url,
            body=json.dumps({"paths": list(paths), "reference": reference}).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            timeout=10.0,
        )
        if response.status != 201:
            raise RuntimeError(
                f"the local CDN refused the invalidation: {response.status} {response.data[:200]!r}"
            )
        return str(json.loads(response.data)["Invalidation"]["Id"])


def from_settings(settings: Settings) -> LocalCdnInvalidations:
    if not (settings.cdn_base_url and settings.local_cdn_token):
        raise ValueError(
            "PIPELINE_CDN_INVALIDATION=local needs PIPELINE_CDN_BASE_URL and "
            "PIPELINE_LOCAL_CDN_TOKEN"
        )
    return LocalCdnInvalidations(settings.cdn_base_url, settings.local_cdn_token)


def register() -> None:
    """Let the composition root build invalidations of the local CDN (worker processes)."""
    composition.provide_local_cdn(from_settings)
