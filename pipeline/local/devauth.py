"""Development tokens: the local stack signs HS256 JWTs and its gateway checks them, as the
HTTP API JWT authorizer does on AWS (where the issuer is e.g. a Cognito user pool)."""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt

ISSUER = "media-pipeline-local"
AUDIENCE = "media-pipeline"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(secret: str, subject: str, ttl_s: int = 24 * 3600) -> str:
    now = int(time.time())
    claims = {"sub": subject, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, secret, algorithm="HS256")


class Unauthorized(Exception):
    pass


def verify(secret: str, authorization: str | None) -> dict[str, Any]:
    """The claims of a valid `Authorization: Bearer <jwt>` header, or Unauthorized."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing bearer token")
    token = authorization.split(" ", 1)[1].strip()
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    return dict(claims)
