"""Claiming a part of the one test asset, for the catalog tests (real and fake catalogs)."""

from __future__ import annotations

from pipeline import ports


def claim(
    catalog: ports.Catalog,
    part: str,
    etag: str = "e1",
    holder: str = "h",
    at: float = 1.0,
    lease_s: int = 60,
) -> ports.Claim:
    return catalog.claim_part(
        "a1",
        part,
        owner="alice",
        file_name="cat.jpg",
        source_key="uploads/alice/a1/cat.jpg",
        etag=etag,
        size=10,
        uploaded_at=at,
        lease_s=lease_s,
        attempt=1,
        holder=f"{holder}-{part}",
    )
