"""Promise: "Connected" means CleverTap's documented check (GET /v1/connect) answered
like an authenticated account; a bare 200, an empty body or an HTML page reads "could
not verify" and shows what came back (redacted). Through `lr-desktop config test`:
exit 0 verified, 1 could not verify, 2 credentials or region refused (or incomplete)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.emulators.httpserver import HttpServer, Request, Response
from tests.engine_helpers import PASSCODE, PROJECT
from tests.reliability.conftest import cli_env, run_cli


@contextmanager
def fake_host(answer: Callable[[Request], Response]) -> Iterator[tuple[str, list[Request]]]:
    """A loopback server answering every request with `answer` (a stand-in CleverTap host)."""
    seen: list[Request] = []

    async def handle(req: Request) -> Response:
        seen.append(req)
        return answer(req)

    server = HttpServer(handle, "127.0.0.1", 0)
    server.start()
    try:
        yield server.url, seen
    finally:
        server.stop()


def config_test(tmp_path: Path, url: str, **extra: str) -> tuple[int, str, dict]:
    env = cli_env(url, **extra)
    plain = run_cli(tmp_path / "lr.sqlite", "config", "test", env=env)
    as_json = run_cli(tmp_path / "lr.sqlite", "config", "test", "--json", env=env)
    assert plain.returncode == as_json.returncode and "Traceback" not in plain.stderr
    return plain.returncode, plain.stdout + plain.stderr, json.loads(as_json.stdout)


def test_good_credentials_are_verified_by_the_documented_check(
    tmp_path: Path, emulator: CleverTapEmulator
) -> None:
    code, text, doc = config_test(tmp_path, emulator.url)
    assert code == 0 and doc["outcome"] == "verified", text
    assert "Connected" in text and "/v1/connect" in text and "UNCONFIRMED" in text
    assert emulator.stats()["connect_requests"] == 2
    assert emulator.events() == [] and emulator.profiles() == []  # nothing was written


def test_wrong_passcode_means_credentials_or_region(
    tmp_path: Path, emulator: CleverTapEmulator
) -> None:
    code, text, doc = config_test(tmp_path, emulator.url, LR_CLEVERTAP_PASSCODE="wrong-one")
    assert code == 2 and doc["outcome"] == "refused" and doc["http_status"] == 401
    assert "credentials or region wrong" in text and "Region" in text and "Passcode" in text


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_both_name_credentials_and_region(tmp_path: Path, status: int) -> None:
    with fake_host(lambda _r: Response(status, {"status": "fail"})) as (url, _seen):
        code, text, _doc = config_test(tmp_path, url)
    assert code == 2 and f"answered {status}: credentials or region wrong" in text


@pytest.mark.parametrize(
    "answer, shows",
    [
        (Response(200, b""), "HTTP 200 with an empty body"),
        (Response(200, {"status": "fail", "error": "x"}), '\'{"status":"fail","error":"x"}\''),
        (Response(200, {"records": []}), "HTTP 200 (application/json)"),
        (Response(404, "Not Found"), "HTTP 404 (text/plain; charset=utf-8) with 'Not Found'"),
        (Response(503, b""), "server error (503)"),
    ],
)
def test_answers_that_prove_nothing_could_not_verify(
    tmp_path: Path, answer: Response, shows: str
) -> None:
    with fake_host(lambda _r: answer) as (url, seen):
        code, text, doc = config_test(tmp_path, url)
    assert code == 1 and doc["outcome"] == "unverified", text
    assert "Could not verify" in text and "Connected" not in text and shows in text, text
    assert seen[0].path == "/v1/connect" and seen[0].arg("partner")  # the documented check
    assert seen[0].headers["x-clevertap-account-id"] == PROJECT


def test_an_html_page_is_shown_redacted(tmp_path: Path) -> None:
    def echo(req: Request) -> Response:  # a portal page that echoes what it was sent
        page = f"<html><body>Hello {req.headers.get('x-clevertap-passcode')} welcome</body></html>"
        return Response(200, page.encode(), {"Content-Type": "text/html"})

    with fake_host(echo) as (url, _seen):
        code, text, _doc = config_test(tmp_path, url)
    assert code == 1 and "HTTP 200 (text/html) with '<html><body>Hello *** welcome" in text, text
    assert PASSCODE not in text


def test_no_answer_could_not_verify(tmp_path: Path) -> None:
    with fake_host(lambda _r: Response(200)) as (url, _seen):
        pass  # stopped: nothing listens there now
    code, text, _doc = config_test(tmp_path, url)
    assert code == 1 and "Could not reach CleverTap" in text


def test_missing_passcode_is_a_configuration_problem(
    tmp_path: Path, emulator: CleverTapEmulator
) -> None:
    env = {k: v for k, v in cli_env(emulator.url).items() if k != "LR_CLEVERTAP_PASSCODE"}
    env["PYTHON_KEYRING_BACKEND"] = "tests.reliability.keyrings.FileKeyring"  # an empty one
    env["LR_TEST_KEYRING_FILE"] = str(tmp_path / "keyring.json")
    res = run_cli(tmp_path / "lr.sqlite", "config", "test", env=env)
    assert res.returncode == 2 and "Passcode" in res.stderr and "Traceback" not in res.stderr


def test_the_emulator_answers_200_empty_on_unknown_paths(emulator: CleverTapEmulator) -> None:
    with httpx.Client(base_url=emulator.url, trust_env=False) as http:
        r = http.get("/1/whatever.json", headers={"X-CleverTap-Account-Id": PROJECT})
        assert (r.status_code, r.content) == (200, b"")
        assert http.get("/v1/connect", params={"partner": "x"}).status_code == 401
