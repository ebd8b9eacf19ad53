"""Where a request carrying a secret may go: the httpx options both API clients use.

Both clients send credentials in every request (CleverTap's passcode header and, in
attribution mode, the query string; Linkrunner's key header). A proxy from the
environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY) would see all of it in clear text
over plain http, so:

- a loopback base URL (the bundled emulators) never goes through a proxy: the client
  ignores the environment (`trust_env=False`, which also skips ~/.netrc);
- anything else must be https: a proxy then only relays a CONNECT tunnel (httpx does
  that for https URLs), so corporate proxies keep working for the real hosts and see
  the host name, never a secret.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from lr_desktop.clevertap.endpoint import EndpointRefused


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def client_options(base_url: str) -> dict[str, Any]:
    """Keyword arguments for `httpx.Client`/`AsyncClient` talking to `base_url`."""
    if is_loopback_url(base_url):
        return {"trust_env": False}
    if urlsplit(base_url).scheme != "https":
        raise EndpointRefused(
            "Credentials are only sent over HTTPS (or to this machine); refusing "
            f"{urlsplit(base_url).scheme}://{urlsplit(base_url).hostname}"
        )
    return {"trust_env": True}
