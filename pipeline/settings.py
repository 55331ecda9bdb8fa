"""Settings read from the environment: the only place that looks at os.environ.

The same variables configure a Lambda function on AWS (set by the CDK app) and the local
runtime (set by `pipeline up`); nothing else differs between the two.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache

from pipeline.topology import TOPOLOGY, Topology

DEFAULT_ALLOWED_TYPES = (
    "image/jpeg",
    "image/png",
    "image/apng",
    "image/gif",
    "image/webp",
    "image/tiff",
    "image/bmp",
    "image/avif",
    "image/heic",
    "image/heif",
    "video/mp4",
    "video/quicktime",
    "video/webm",
)


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    topology: Topology = field(default_factory=lambda: TOPOLOGY)
    region: str = "us-east-1"
    uploads_bucket: str = ""
    outputs_bucket: str = ""
    table_name: str = ""
    cdn_base_url: str = ""
    max_upload_bytes: int = 100 * 1024 * 1024
    allowed_types: tuple[str, ...] = DEFAULT_ALLOWED_TYPES
    presign_expires_s: int = 900
    renditions_file: str | None = None
    max_pixels: int = 100_000_000
    max_frames: int = 1000
    max_decode_seconds: float = 30.0
    max_video_seconds: float = 900.0
    max_video_pixels: int = 4096 * 2160
    # A short silent MP4 preview of each video: its length in seconds (0 = none) and width.
    video_preview_seconds: float = 0.0
    video_preview_width: int = 480
    # Secret for HS256 tokens signed by the local stack; on AWS the JWT authorizer checks tokens.
    dev_jwt_secret: str | None = None
    # Signed CDN URLs: "none", "hmac" (local CDN) or "cloudfront" (key pair + secret).
    cdn_signing: str = "none"
    cdn_signing_secret: str | None = None
    cloudfront_key_pair_id: str | None = None
    cloudfront_private_key_secret: str | None = None  # Secrets Manager id of the PEM key
    signed_url_ttl_s: int = 3600
    # Deleted renditions leave the CDN: deletions queue their prefixes here (empty: nowhere)...
    cdn_invalidation_queue_url: str = ""
    # ...and the invalidator takes them off "cloudfront" (the distribution), "local" (the local
    # CDN at cdn_base_url, with its token) or "none".
    cdn_invalidation: str = "none"
    cdn_distribution_id: str | None = None
    local_cdn_token: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        topology = Topology(prefix=_env("PIPELINE_PREFIX", TOPOLOGY.prefix))
        allowed = _env("PIPELINE_ALLOWED_TYPES", ",".join(DEFAULT_ALLOWED_TYPES))
        return cls(
            topology=topology,
            region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", "us-east-1")),
            uploads_bucket=_env("PIPELINE_UPLOADS_BUCKET", topology.uploads_bucket_name),
            outputs_bucket=_env("PIPELINE_OUTPUTS_BUCKET", topology.outputs_bucket_name),
            table_name=_env("PIPELINE_TABLE", topology.table_name),
            cdn_base_url=_env("PIPELINE_CDN_BASE_URL", "").rstrip("/"),
            max_upload_bytes=int(_env("PIPELINE_MAX_UPLOAD_BYTES", str(100 * 1024 * 1024))),
            allowed_types=tuple(t.strip() for t in allowed.split(",") if t.strip()),
            presign_expires_s=int(_env("PIPELINE_PRESIGN_EXPIRES_S", "900")),
            renditions_file=os.environ.get("PIPELINE_RENDITIONS_FILE") or None,
            max_pixels=int(_env("PIPELINE_MAX_PIXELS", "100000000")),
            max_frames=int(_env("PIPELINE_MAX_FRAMES", "1000")),
            max_decode_seconds=float(_env("PIPELINE_MAX_DECODE_SECONDS", "30")),
            max_video_seconds=float(_env("PIPELINE_MAX_VIDEO_SECONDS", "900")),
            max_video_pixels=int(_env("PIPELINE_MAX_VIDEO_PIXELS", str(4096 * 2160))),
            video_preview_seconds=float(_env("PIPELINE_VIDEO_PREVIEW_SECONDS", "0")),
            video_preview_width=int(_env("PIPELINE_VIDEO_PREVIEW_WIDTH", "480")),
            dev_jwt_secret=os.environ.get("PIPELINE_DEV_JWT_SECRET") or None,
            cdn_signing=_env("PIPELINE_CDN_SIGNING", "none"),
            cdn_signing_secret=os.environ.get("PIPELINE_CDN_SIGNING_SECRET") or None,
            cloudfront_key_pair_id=os.environ.get("PIPELINE_CLOUDFRONT_KEY_PAIR_ID") or None,
            cloudfront_private_key_secret=os.environ.get("PIPELINE_CLOUDFRONT_PRIVATE_KEY_SECRET")
            or None,
            signed_url_ttl_s=int(_env("PIPELINE_SIGNED_URL_TTL_S", "3600")),
            cdn_invalidation_queue_url=_env("PIPELINE_CDN_INVALIDATION_QUEUE_URL", ""),
            cdn_invalidation=_env("PIPELINE_CDN_INVALIDATION", "none"),
            cdn_distribution_id=os.environ.get("PIPELINE_CDN_DISTRIBUTION_ID") or None,
            local_cdn_token=os.environ.get("PIPELINE_LOCAL_CDN_TOKEN") or None,
        )


@cache
def get_settings() -> Settings:
    """Settings of this process, read once (a Lambda container keeps them warm)."""
    return Settings.from_env()
