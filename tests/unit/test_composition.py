"""The one composition root: every path gets the same adapters for the same settings."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline import composition, media
from pipeline.delivery import HmacSigner
from pipeline.settings import Settings

SETTINGS = Settings(table_name="catalog-t", region="eu-west-1", outputs_bucket="out-b")


@pytest.fixture(autouse=True)
def credentials(offline_aws: None) -> None:
    """Dummy credentials, no endpoint (tests/unit/conftest.py)."""


def test_the_api_workers_and_operations_get_one_catalog_configuration(monkeypatch) -> None:
    built: list[tuple[Any, ...]] = []

    class RecordingCatalog:
        def __init__(self, *args: Any) -> None:
            built.append(args)

    monkeypatch.setattr(composition, "Catalog", RecordingCatalog)
    composition.build_services(SETTINGS)
    composition.replay(SETTINGS)
    composition.backfill(SETTINGS, media.DEFAULT_RENDITIONS)
    composition.garbage_collector(SETTINGS)
    owner_index = SETTINGS.topology.table.owner_index
    assert built == [("catalog-t", "eu-west-1", owner_index)] * 4


def test_url_signer_follows_the_settings() -> None:
    assert composition.url_signer(SETTINGS) is None
    hmac = Settings(cdn_signing="hmac", cdn_signing_secret="s3cret")
    assert isinstance(composition.url_signer(hmac), HmacSigner)
    with pytest.raises(ValueError, match="needs PIPELINE_CDN_SIGNING_SECRET"):
        composition.url_signer(Settings(cdn_signing="hmac"))
    with pytest.raises(ValueError, match="needs PIPELINE_CLOUDFRONT_KEY_PAIR_ID"):
        composition.url_signer(Settings(cdn_signing="cloudfront"))
    with pytest.raises(ValueError, match="must be none, hmac or cloudfront"):
        composition.url_signer(Settings(cdn_signing="rot13"))


def test_services_are_built_once_per_process(monkeypatch) -> None:
    composition.services.cache_clear()
    try:
        assert composition.services() is composition.services()
    finally:
        composition.services.cache_clear()
