"""Promises: the endpoint override never reaches a non-loopback host and real hosts
are always verified TLS; a missing keyring saves nothing and says so; a locked or
failing keyring is reported as such (never as a wrong password); keyring calls from
several worker threads at once are serialised."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keyring
import keyring.backend
import pytest

from lr_desktop import secrets
from lr_desktop.clevertap.client import CleverTapClient
from lr_desktop.clevertap.config import CleverTapConfig, Secrets
from lr_desktop.clevertap.credentials import save_secrets
from lr_desktop.clevertap.regions import REGIONS
from lr_desktop.emulators.clevertap import CleverTapEmulator
from tests.engine_helpers import PROJECT, fill, users
from tests.reliability.conftest import cli_env, query, run_cli, store_config


def _non_loopback_address() -> str | None:
    """An address of this machine that is not loopback (to prove nothing is sent there)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent for a UDP connect
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if addr.startswith("127.") else addr


@pytest.mark.parametrize(
    "endpoint",
    ["http://127.0.0.1.example.com", "http://127.0.0.1@example.com", "https://10.0.0.1:8443"],
)
def test_cli_refuses_a_non_loopback_endpoint_and_sends_nothing(
    tmp_path: Path, emulator: CleverTapEmulator, endpoint: str
) -> None:
    db = tmp_path / "lr.sqlite"
    fill(db, users(20))
    res = run_cli(db, "sync", "--json", env=cli_env(endpoint))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    words = ("loopback", "not on this machine", "may not contain")
    assert any(w in res.stderr for w in words), res.stderr
    assert query(db, "SELECT count(*) FROM runs") == [(0,)]
    assert query(db, "SELECT DISTINCT status FROM installs") == [("queued",)]


def test_a_real_listener_on_this_machines_lan_address_gets_no_connection(
    tmp_path: Path,
) -> None:
    addr = _non_loopback_address()
    if addr is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with socket.socket() as listener:
        listener.bind((addr, 0))
        listener.listen()
        listener.setblocking(False)
        db = tmp_path / "lr.sqlite"
        fill(db, users(5))
        url = f"http://{addr}:{listener.getsockname()[1]}"
        res = run_cli(db, "sync", env=cli_env(url))
        assert res.returncode == 2 and "not on this machine" in res.stderr
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody ever connected


@pytest.mark.parametrize("region", REGIONS)
def test_real_regions_use_verified_https(region: str) -> None:
    cfg = CleverTapConfig(project_id=PROJECT, region=region, secrets=Secrets("t", "p"))
    assert cfg.base_url.startswith("https://") and cfg.base_url.endswith(".clevertap.com")
    client = CleverTapClient(cfg)
    try:
        ctx = client._http._transport._pool._ssl_context  # what httpx will really use
        assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    finally:
        asyncio.run(client.aclose())


def test_no_keyring_backend_saves_nothing_and_says_what_to_install(tmp_path: Path) -> None:
    db = tmp_path / "lr.sqlite"
    env = cli_env(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    res = run_cli(
        db, "config", "set", "--project-id", PROJECT, "--passcode", env=env, input="secret-pc\n"
    )
    assert res.returncode == 2
    assert "No system keyring is available" in res.stderr and "nothing was saved" in res.stderr
    assert query(db, "SELECT count(*) FROM settings") == [(0,)]  # not even the project id
    assert b"secret-pc" not in db.read_bytes()


@pytest.mark.parametrize(
    ("backend", "words"),
    [("LockedKeyring", "is locked"), ("BrokenKeyring", "failed")],
)
def test_locked_or_failing_keyring_is_reported_not_a_wrong_password(
    tmp_path: Path, emulator: CleverTapEmulator, backend: str, words: str
) -> None:
    db = tmp_path / "lr.sqlite"
    fill(db, users(5))
    store_config(db, CleverTapConfig(project_id=PROJECT))
    env = cli_env(PYTHON_KEYRING_BACKEND=f"tests.reliability.keyrings.{backend}")
    env.update(LR_CLEVERTAP_ENDPOINT=emulator.url)  # secrets must come from the keyring
    for args in (("sync",), ("config", "set", "--passcode")):
        res = run_cli(db, *args, env=env, input="pc\n")
        assert res.returncode == 2, res.stderr
        assert words in res.stderr and "keyring" in res.stderr.lower()
        low = res.stderr.lower()
        assert "401" not in low and "wrong" not in low and "passcode is missing" not in low
    assert emulator.stats()["requests"] == 0


class _ReentryDetector(keyring.backend.KeyringBackend):
    """Fails if two threads are ever inside the backend at once."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.overlaps = 0
        self.calls = 0
        self.data: dict[tuple[str, str], str] = {}
        self._guard = threading.Lock()

    def _enter(self) -> None:
        with self._guard:
            self.inside += 1
            self.calls += 1
            if self.inside > 1:
                self.overlaps += 1

    def _leave(self) -> None:
        with self._guard:
            self.inside -= 1

    def get_password(self, service: str, username: str) -> str | None:
        self._enter()
        try:
            threading.Event().wait(0.001)  # a slow D-Bus round trip
            return self.data.get((service, username))
        finally:
            self._leave()

    def set_password(self, service: str, username: str, password: str) -> None:
        self._enter()
        try:
            self.data[(service, username)] = password
        finally:
            self._leave()

    def delete_password(self, service: str, username: str) -> None:
        self.data.pop((service, username), None)


def test_keyring_calls_from_worker_threads_are_serialised() -> None:
    kr = _ReentryDetector()
    keyring.set_keyring(kr)
    save_secrets(PROJECT, Secrets("tok", "pc"))
    with ThreadPoolExecutor(8) as pool:
        values = list(
            pool.map(
                lambda _: secrets.get_secret(secrets.clevertap_key(PROJECT, "passcode")), range(64)
            )
        )
    assert values == ["pc"] * 64
    assert kr.overlaps == 0 and kr.calls >= 64
