"""Deployment settings read from CDK context (`cdk.json`, or `-c key=value` at deploy time).

Values that must match the embedded stack (names, patterns, queue settings, table keys) are
not here: they come from `pipeline.topology`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from constructs import Node

from pipeline.topology import TOPOLOGY, Topology


def _context(node: Node, key: str, default: Any) -> Any:
    value = node.try_get_context(key)
    if value is None:
        return default
    # `-c key=value` on the command line always gives a string.
    if isinstance(value, str) and not isinstance(default, str):
        return json.loads(value)
    return value


@dataclass(frozen=True)
class StackConfig:
    prefix: str = TOPOLOGY.prefix
    # Steady-state requests per second and burst for every API route (HTTP API stage).
    api_rate_limit: int = 50
    api_burst_limit: int = 100
    # Origins allowed to upload from a browser (S3 CORS) and to call the API.
    cors_allowed_origins: tuple[str, ...] = ("*",)
    log_retention_days: int = 30
    access_log_expiry_days: int = 90
    # The uploads bucket is versioned (it holds the only copy of every original): an object
    # overwritten or deleted stays recoverable this many days, then it is gone for good.
    uploads_noncurrent_days: int = 30
    # Optional alternate domain for the CDN, with its ACM certificate (must be in us-east-1).
    cdn_domain_name: str | None = None
    cdn_certificate_arn: str | None = None
    # Private renditions: CloudFront accepts only URLs signed with this key pair. The public
    # key (PEM) goes into a trusted key group; the private key stays in Secrets Manager.
    cdn_public_key_pem: str | None = None
    cdn_private_key_secret_arn: str | None = None

    @property
    def cdn_signed(self) -> bool:
        if bool(self.cdn_public_key_pem) != bool(self.cdn_private_key_secret_arn):
            raise ValueError(
                "signed CDN URLs need both cdn_public_key_pem and cdn_private_key_secret_arn"
            )
        return bool(self.cdn_public_key_pem)

    @property
    def topology(self) -> Topology:
        return Topology(prefix=self.prefix)

    @classmethod
    def from_context(cls, node: Node) -> StackConfig:
        d = cls()
        return cls(
            prefix=str(_context(node, "prefix", d.prefix)),
            api_rate_limit=int(_context(node, "api_rate_limit", d.api_rate_limit)),
            api_burst_limit=int(_context(node, "api_burst_limit", d.api_burst_limit)),
            cors_allowed_origins=tuple(
                _context(node, "cors_allowed_origins", list(d.cors_allowed_origins))
            ),
            log_retention_days=int(_context(node, "log_retention_days", d.log_retention_days)),
            access_log_expiry_days=int(
                _context(node, "access_log_expiry_days", d.access_log_expiry_days)
            ),
            uploads_noncurrent_days=int(
                _context(node, "uploads_noncurrent_days", d.uploads_noncurrent_days)
            ),
            cdn_domain_name=node.try_get_context("cdn_domain_name") or None,
            cdn_certificate_arn=node.try_get_context("cdn_certificate_arn") or None,
            cdn_public_key_pem=node.try_get_context("cdn_public_key_pem") or None,
            cdn_private_key_secret_arn=node.try_get_context("cdn_private_key_secret_arn") or None,
        )
