"""CDN URLs of output objects: plain, or signed with an expiry.

One builder serves both sides: the local CDN (base URL of `pipeline up`, HMAC-signed URLs it
checks itself) and CloudFront (its domain, CloudFront signed URLs with a key pair whose
private key comes from the environment's secret store).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qs, quote

from pipeline.keys import cdn_url


class UrlSigner(Protocol):
    def sign(self, url: str, expires_at: int) -> str: ...


@dataclass(frozen=True)
class HmacSigner:
    """`?Expires=<epoch>&Signature=<hex HMAC-SHA256 of path, expiry>`, checked by the local CDN."""

    secret: bytes

    def _mac(self, path: str, expires_at: int) -> str:
        return hmac.new(self.secret, f"{path}\n{expires_at}".encode(), hashlib.sha256).hexdigest()

    def sign(self, url: str, expires_at: int) -> str:
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1]
        return f"{url}?Expires={expires_at}&Signature={self._mac(path, expires_at)}"

    def verify(self, path: str, query: str, now: float | None = None) -> str | None:
        """None when the request carries a valid, unexpired signature, else why not."""
        params = parse_qs(query)
        try:
            expires_at = int(params["Expires"][0])
            signature = params["Signature"][0]
        except (KeyError, ValueError, IndexError):
            return "missing or malformed signature"
        if expires_at < (now if now is not None else time.time()):
            return "signature expired"
        if not hmac.compare_digest(signature, self._mac(path, expires_at)):
            return "bad signature"
        return None


@dataclass(frozen=True)
class CloudFrontSigner:
    """CloudFront signed URLs (canned policy) with a trusted key group's key pair."""

    key_pair_id: str
    private_key_pem: bytes

    def _rsa_signer(self) -> Callable[[bytes], bytes]:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        key = serialization.load_pem_private_key(self.private_key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("CloudFront signing needs an RSA private key")
        # CloudFront's canned-policy signatures are RSA with SHA-1.
        return lambda message: key.sign(message, padding.PKCS1v15(), hashes.SHA1())

    def sign(self, url: str, expires_at: int) -> str:
        from datetime import UTC, datetime

        from botocore.signers import CloudFrontSigner as BotoSigner

        signer = BotoSigner(self.key_pair_id, self._rsa_signer())
        return str(
            signer.generate_presigned_url(
                url, date_less_than=datetime.fromtimestamp(expires_at, UTC)
            )
        )


@dataclass(frozen=True)
class UrlBuilder:
    base_url: str
    signer: UrlSigner | None = None
    ttl_s: int = 3600

    def url(self, key: str, now: float | None = None) -> str:
        plain = cdn_url(self.base_url, quote(key))
        if self.signer is None:
            return plain
        return self.signer.sign(plain, int((now or time.time()) + self.ttl_s))
