"""Who may reach the local stack's servers, and under which names.

The local servers have development-grade authentication at best (the embedded AWS has none),
so they listen on loopback and also defend against the ways a web page open in the
developer's browser could still reach them:
- DNS rebinding: a site re-resolves its own name to 127.0.0.1 and so becomes same-origin with
  a local port. Its requests still say `Host: its-name:PORT`, so every server answers only
  Host headers naming a loopback address or `localhost` (browsers resolve `localhost` and
  `*.localhost` to loopback themselves, never through DNS), with the server's own port. When
  the stack is deliberately bound beyond loopback, any IP literal is accepted too: a rebound
  name is never an IP literal.
- Cross-origin requests: browsers say where a request comes from in `Origin`. Only the web
  page's own origin (the gateway's) and origins named explicitly (`--cors-origin`, as
  `cors_allowed_origins` on AWS) are admitted; every other origin is refused outright.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_PORT = re.compile(r"[0-9]{1,5}")


class RemoteBindRefused(ValueError):
    """The stack was asked to listen beyond loopback without `allow_remote`."""


def is_loopback(address: str) -> bool:
    """Whether an address (or a bind host such as `localhost`) is this machine's loopback."""
    name = address.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1, as a dual-stack socket reports an IPv4 client
    return ip.is_loopback


def check_bind(host: str, allow_remote: bool) -> None:
    if not allow_remote and not is_loopback(host):
        raise RemoteBindRefused(
            f"refusing to listen on {host}: the embedded AWS has no authentication and would be "
            f"open to every machine that can reach this one. Use 127.0.0.1, or add "
            f"--allow-remote if that is what you want."
        )


def host_and_port(value: str, default_port: int | None = 80) -> tuple[str, int] | None:
    """The lower-cased name (IPv6 without brackets) and port of a `Host` header or an origin's
    authority, or None when it is not one."""
    if not value or any(c in value for c in "/\\?#@ \t"):
        return None
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else ""
    else:
        name, _, port_text = value.partition(":")
    if not name:
        return None
    if not port_text:
        return None if default_port is None else (name.lower(), default_port)
    if not _PORT.fullmatch(port_text) or int(port_text) > 65535:
        return None
    return name.lower(), int(port_text)


def parse_origin(value: str) -> str:
    """`value` if it is an origin as browsers send it (`scheme://host[:port]`), else ValueError."""
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.path
        or parts.query
        or parts.fragment
        or host_and_port(parts.netloc) is None
    ):
        raise ValueError(f"not an origin (scheme://host[:port]): {value!r}")
    return value


@dataclass
class LocalAccess:
    """The rules every local server applies to the requests it is given."""

    remote: bool = False  # the servers listen beyond loopback (`--allow-remote`)
    page_port: int = 0  # the gateway's: the page served there may call every local server
    extra_origins: set[str] = field(default_factory=set)  # other origins allowed to call

    def host_allowed(self, host: str | None, port: int) -> bool:
        parsed = host_and_port(host or "")
        if parsed is None or parsed[1] != port:
            return False
        name = parsed[0]
        if is_loopback(name):
            return True
        if not self.remote:
            return False
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def is_page_origin(self, origin: str) -> bool:
        """Whether `origin` is the web page's own: the gateway, under a name it answers to."""
        scheme, _, authority = origin.partition("://")
        return (
            scheme == "http" and self.page_port > 0 and self.host_allowed(authority, self.page_port)
        )

    def origin_allowed(self, origin: str) -> bool:
        return origin in self.extra_origins or self.is_page_origin(origin)

    def allow_origin(self, origin: str) -> None:
        """Admit cross-origin requests from `origin`."""
        self.extra_origins.add(parse_origin(origin))

    def may_receive_token(self, headers: Mapping[str, str], client: str) -> bool:
        """Whether the web page may carry a development token in the answer to this request.

        Only for a client on this machine, and, when the request comes from a browser, only
        when no other site can read the answer: the user opened the page (address bar,
        reload, bookmark or a link: a navigation, whose document the linking site cannot
        read), or the page itself fetched it. `headers` has lower-case names; the Host has
        been checked already.
        """
        if not is_loopback(client):
            return False
        origin = headers.get("origin")
        if origin is not None and not self.is_page_origin(origin):
            return False
        site = headers.get("sec-fetch-site")
        if site is None or site in ("none", "same-origin"):
            return True
        return (
            headers.get("sec-fetch-mode") == "navigate"
            and headers.get("sec-fetch-dest") == "document"
        )
