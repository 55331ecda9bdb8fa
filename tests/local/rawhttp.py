"""Raw HTTP/1.1 exchanges with a local server over loopback, bounded in time."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    closed: bool = False  # the server closed the connection after answering

    def problem(self) -> dict[str, Any]:
        assert self.headers.get("content-type") == "application/problem+json", self.headers
        document: dict[str, Any] = json.loads(self.body)
        assert document["status"] == self.status
        return document


def connect(port: int, timeout_s: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout_s)


def read_answer(sock: socket.socket, head: bool = False) -> Answer:
    """One answer from `sock`; then whether the server closes (within the socket's timeout
    when it says `Connection: close`, else within a short look)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before an answer: {data!r}")
        data += chunk
    head_bytes, _, rest = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = 0 if head else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    body, extra = rest[:length], rest[length:]
    closed = False
    if not extra:
        saved = sock.gettimeout()
        if headers.get("connection", "").lower() != "close":
            sock.settimeout(0.2)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
        except ConnectionError:
            closed = True
        finally:
            sock.settimeout(saved)
    return Answer(status, headers, body, closed)


def exchange(
    port: int,
    raw: bytes,
    *,
    half_close: bool = False,
    head: bool = False,
    timeout_s: float = 5.0,
) -> Answer:
    """Send `raw` as is (optionally ending our side), read one answer."""
    with connect(port, timeout_s) as sock:
        sock.sendall(raw)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_answer(sock, head=head)


def request(
    port: int,
    method: str = "GET",
    path: str = "/",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    host: str | None = None,
) -> Answer:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    return exchange(port, raw, head=method == "HEAD")
