"""Promise: a proxy from the environment never receives a secret in clear text.

A listener on 127.0.0.2 stands in for the proxy, and every proxy variable (both
spellings) points at it. Real `sync` (both modes), `pull` and `config test` runs
against the emulators on 127.0.0.1 must not send it one byte: loopback never goes
through a proxy. For the real (https) hosts the proxy must still be used, as a CONNECT
tunnel: it sees the host name and no secret.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from lr_desktop.clevertap.client import CleverTapClient
from lr_desktop.clevertap.config import CleverTapConfig, Secrets
from lr_desktop.clevertap.endpoint import EndpointRefused
from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.emulators.linkrunner import LinkrunnerEmulator
from lr_desktop.linkrunner.client import LinkrunnerClient, LinkrunnerError, RetryPolicy
from lr_desktop.netpolicy import client_options
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, fill, users
from tests.proxy_standin import StandInProxy, stand_in_proxy
from tests.reliability.conftest import cli_env, run_cli

LR_KEY = "lr-proxy-key-W3q"
SECRETS = (PASSCODE.encode(), TOKEN.encode(), LR_KEY.encode())


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> StandInProxy:
    with stand_in_proxy() as p:
        for name, value in p.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        yield p


def test_loopback_runs_never_touch_the_proxy(
    tmp_path: Path, emulator: CleverTapEmulator, proxy: StandInProxy
) -> None:
    db = tmp_path / "lr.sqlite"
    fill(db, users(30))
    with LinkrunnerEmulator(LR_KEY, seed=3, users=20, rate_limit=None) as lr:
        runs = {
            "sync upload": (cli_env(emulator.url, "upload"), ("sync", "--json")),
            "pull": (
                cli_env(emulator.url, LR_LINKRUNNER_KEY=LR_KEY, LR_LINKRUNNER_ENDPOINT=lr.url),
                ("pull", "--json"),
            ),
            "sync attribution": (cli_env(emulator.url, "attribution"), ("sync", "--json")),
            "config test": (cli_env(emulator.url), ("config", "test")),
        }
        for what, (env, args) in runs.items():
            assert env["HTTPS_PROXY"] == proxy.url  # the variables reach the CLI
            res = run_cli(db, *args, env=env)
            assert res.returncode == 0, (what, res.stdout, res.stderr)
        assert lr.stats()["requests"] > 0
    assert len(emulator.events(name="inorganic_install")) > 0  # upload mode delivered
    assert emulator.installs()  # attribution mode delivered too
    assert proxy.connections == 0 and proxy.received == b""


def test_https_hosts_still_use_the_proxy_as_a_connect_tunnel(proxy: StandInProxy) -> None:
    cfg = CleverTapConfig(project_id=PROJECT, region="EU", secrets=Secrets(TOKEN, PASSCODE))

    async def send() -> None:
        async with CleverTapClient(cfg, max_connections=1) as client:
            answer = await client.upload([{"type": "event", "objectId": "x", "evtName": "e"}])
            assert answer.http_status is None  # the stand-in refused the tunnel
            await client.attribution({"account_passcode": PASSCODE, "account_token": TOKEN})

    asyncio.run(send())
    # Linkrunner's client, with a cancel: its abortable backend sits on the proxy's pool too
    cancel = threading.Event()
    with (
        LinkrunnerClient(LR_KEY, retry=RetryPolicy(max_retries=0), cancel=cancel) as client,
        pytest.raises(LinkrunnerError),
    ):
        client.attributed_users_page(1, display_id="summer-sale")
    seen = proxy.received
    heads = [line for line in seen.split(b"\r\n") if line.startswith(b"CONNECT ")]
    assert heads == [
        b"CONNECT api.clevertap.com:443 HTTP/1.1",
        b"CONNECT api.clevertap.com:443 HTTP/1.1",
        b"CONNECT api.linkrunner.io:443 HTTP/1.1",
    ], seen
    assert not [s for s in SECRETS if s in seen]
    assert b"passcode" not in seen.lower() and b"linkrunner-key" not in seen.lower()


def test_plain_http_to_another_machine_is_refused() -> None:
    with pytest.raises(EndpointRefused, match="HTTPS"):
        client_options("http://api.clevertap.com")
    assert client_options("http://127.0.0.1:9") == {"trust_env": False}
    assert client_options("http://[::1]:9") == {"trust_env": False}
    assert client_options("https://in1.api.clevertap.com") == {"trust_env": True}


def test_stand_in_sees_a_proxied_request(proxy: StandInProxy) -> None:
    """The stand-in is a real listener: a client that trusts the environment reaches it."""
    import httpx

    with pytest.raises(httpx.HTTPError), httpx.Client() as http:
        http.get("http://127.0.0.1:9/nothing").raise_for_status()
    assert proxy.received.startswith(b"GET http://127.0.0.1:9/nothing HTTP/1.1"), proxy.received
