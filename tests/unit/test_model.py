import pytest

from pipeline.model import AssetState, derive_asset_state

PARTS = ("renditions", "metadata")


@pytest.mark.parametrize(
    ("renditions", "metadata", "expected"),
    [
        (None, None, AssetState.PENDING),
        ("PENDING", None, AssetState.PENDING),
        ("PROCESSING", None, AssetState.PROCESSING),
        ("DONE", None, AssetState.PROCESSING),
        ("RETRY", "DONE", AssetState.PROCESSING),
        ("DONE", "DONE", AssetState.READY),
        ("FAILED", "DONE", AssetState.FAILED),
        ("PROCESSING", "FAILED", AssetState.FAILED),
    ],
)
def test_asset_state_is_derived_from_parts(renditions, metadata, expected) -> None:
    assert derive_asset_state({"renditions": renditions, "metadata": metadata}, PARTS) == expected
