"""The endpoint override: only loopback servers (the bundled emulators) are allowed.

Real CleverTap hosts are always reached over HTTPS with certificate checks; the
override exists for local testing and the demo, so anything that is not plainly
127.0.0.0/8, `localhost` or `[::1]` is refused, including look-alikes such as
`127.0.0.1.example.com`, userinfo tricks (`http://127.0.0.1@evil`), and other
IPv6 spellings.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from lr_desktop.errors import UserFixableError


class EndpointRefused(ValueError, UserFixableError):
    pass


_HOSTPORT = re.compile(r"^(?P<host>\[::1\]|[A-Za-z0-9.\-]+)(?::(?P<port>\d{1,5}))?$")


def validate_loopback_endpoint(url: str) -> str:
    """Return the normalised base URL (no trailing slash) or raise EndpointRefused."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise EndpointRefused(f"Endpoint {text!r} is not a valid URL") from exc
    if parts.scheme not in ("http", "https"):
        raise EndpointRefused("Endpoint override must start with http:// or https://")
    netloc = parts.netloc
    if "@" in netloc or "\\" in text or any(ord(ch) < 33 for ch in text):
        raise EndpointRefused("Endpoint override may not contain credentials or odd characters")
    if parts.query or parts.fragment:
        raise EndpointRefused("Endpoint override may not carry a query or fragment")
    m = _HOSTPORT.match(netloc)
    if not m:
        raise EndpointRefused(f"Endpoint override {text!r} has an unusable host")
    host = m.group("host")
    port = m.group("port")
    if port is not None and not (0 < int(port) < 65536):
        raise EndpointRefused(f"Endpoint override port {port} is out of range")
    if host.lower() != "localhost" and host != "[::1]":
        if not re.fullmatch(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", host):
            raise EndpointRefused(f"Endpoint override host {host!r} is not a loopback address")
        try:
            addr = ipaddress.IPv4Address(host)
        except ValueError as exc:
            raise EndpointRefused(f"Endpoint override host {host!r} is not an IP address") from exc
        if not addr.is_loopback:
            raise EndpointRefused(
                f"Endpoint override host {host!r} is not on this machine; only 127.0.0.1, localhost or [::1] are allowed"
            )
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{netloc}{path}"
