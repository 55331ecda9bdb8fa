"""Use case: the public view of an asset (what the API returns)."""

from __future__ import annotations

from typing import Any

from pipeline.aws.catalog import part_attr
from pipeline.keys import cdn_url
from pipeline.topology import PARTS


def asset_view(record: dict[str, Any], cdn_base_url: str) -> dict[str, Any]:
    renditions = [
        {**{k: v for k, v in r.items() if k != "key"}, "url": cdn_url(cdn_base_url, r["key"])}
        for r in record.get("renditions", [])
    ]
    return {
        "asset_id": record["asset_id"],
        "state": record.get("state"),
        "parts": {p: (record.get(part_attr(p)) or {}).get("state", "PENDING") for p in PARTS},
        "failure": record.get("failure"),
        "file_name": record.get("file_name"),
        "created_at": record.get("created_at"),
        "uploaded_at": record.get("uploaded_at"),
        "finished_at": record.get("finished_at"),
        "bytes": record.get("source_size"),
        "megapixels": record.get("megapixels"),
        "metadata": record.get("metadata"),
        "renditions": renditions,
    }
