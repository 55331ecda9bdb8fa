"""CloudFront signed URLs: the signature verifies with the key pair's public key."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pipeline.delivery import CloudFrontSigner, UrlBuilder


def _cf_b64decode(value: str) -> bytes:
    return base64.b64decode(value.replace("-", "+").replace("_", "=").replace("~", "/"))


def test_cloudfront_signed_url_verifies_with_the_public_key() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    builder = UrlBuilder("https://d111.cloudfront.net", CloudFrontSigner("K2ABC", pem), ttl_s=300)
    url = builder.url("renditions/a/thumb.webp", now=1_800_000_000)
    parts = urlsplit(url)
    assert parts.netloc == "d111.cloudfront.net" and parts.path == "/renditions/a/thumb.webp"
    query = parse_qs(parts.query)
    assert query["Expires"] == ["1800000300"] and query["Key-Pair-Id"] == ["K2ABC"]
    policy = (
        '{"Statement":[{"Resource":"https://d111.cloudfront.net/renditions/a/thumb.webp",'
        '"Condition":{"DateLessThan":{"AWS:EpochTime":1800000300}}}]}'
    )
    signature = _cf_b64decode(query["Signature"][0])
    key.public_key().verify(signature, policy.encode(), padding.PKCS1v15(), hashes.SHA1())


def test_unsigned_builder_gives_plain_urls() -> None:
    assert UrlBuilder("http://127.0.0.1:4568").url("renditions/a b.jpg") == (
        "http://127.0.0.1:4568/renditions/a%20b.jpg"
    )
