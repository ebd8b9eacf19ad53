"""Test connection: CleverTap's documented credentials check, read strictly.

`GET /v1/connect?partner=<name>` with the account headers is the check CleverTap
documents (/docs/authentication). Its answer body is UNCONFIRMED, and CleverTap's hosts
answer HTTP 200 with an empty body on arbitrary paths, so a bare 200 proves nothing:
only a JSON answer with `"status": "success"` counts as verified. Anything else reads
"could not verify" and shows what came back (status, type, first bytes, redacted).
The window and `lr-desktop config test` both call `test_connection`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from enum import StrEnum

import httpx

from lr_desktop.clevertap.client import CleverTapClient, network_error_message
from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.clevertap.payloads import redact_url

CONNECT_PATH = "/v1/connect"
CHECK_PARTNER = "lr-desktop"  # sent when no partner name is set (upload mode needs none)
SHOWN_BYTES = 120


class Outcome(StrEnum):
    VERIFIED = "verified"  # exit 0
    UNVERIFIED = "unverified"  # exit 1: an answer that proves nothing, or none
    REFUSED = "refused"  # exit 2: 401/403, credentials or region wrong
    UNUSABLE = "unusable"  # exit 2: the configuration is incomplete


EXIT_CODES = {Outcome.VERIFIED: 0, Outcome.UNVERIFIED: 1, Outcome.REFUSED: 2, Outcome.UNUSABLE: 2}


@dataclass
class ConnectionResult:
    ok: bool  # True only when verified
    message: str
    http_status: int | None = None
    outcome: Outcome = Outcome.UNVERIFIED

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


def refused_message(status: int) -> str:
    return (
        f"CleverTap answered {status}: credentials or region wrong. Check the Project ID and "
        "Passcode, and that the Region matches your CleverTap account (a wrong region is "
        "refused the same way)."
    )


def _shown(resp: httpx.Response, cfg: CleverTapConfig) -> str:
    """What came back, in one line: status, type, first bytes; no secret in it."""
    text = " ".join(resp.content[:2000].decode("utf-8", "replace").split())
    text = redact_url(text)
    for secret in (cfg.secrets.passcode, cfg.secrets.project_token):
        if secret:
            text = text.replace(secret, "***")
    ctype = resp.headers.get("content-type", "")
    body = "an empty body" if not text else repr(text[:SHOWN_BYTES])
    if len(text) > SHOWN_BYTES:
        body += "…"
    return f"HTTP {resp.status_code}{f' ({ctype})' if ctype else ''} with {body}"


def _authenticated(resp: httpx.Response) -> bool:
    try:
        doc = json.loads(resp.content)
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("status") == "success"


def judge(resp: httpx.Response, cfg: CleverTapConfig, where: str) -> ConnectionResult:
    """The verdict on an answer to GET /v1/connect."""
    status = resp.status_code
    if status in (401, 403):
        return ConnectionResult(False, refused_message(status), status, Outcome.REFUSED)
    if status == 200 and _authenticated(resp):
        note = ""
        if cfg.mode == "attribution":
            note = (
                " The Project Token and the partner name are only checked when the first "
                "install is sent."
            )
        return ConnectionResult(
            True,
            f"Connected: CleverTap's connection check (GET {CONNECT_PATH}) at {where} answered "
            f'"status": "success" for Project ID {cfg.project_id}. CleverTap does not document '
            f"this answer's body (UNCONFIRMED): the verdict rests on that word.{note}",
            status,
            Outcome.VERIFIED,
        )
    if status == 429:
        hint = "CleverTap is busy right now (429); try again shortly."
    elif status >= 500:
        hint = f"CleverTap had a server error ({status}); try again later."
    else:
        hint = (
            'Only an answer with "status": "success" shows the Project ID and Passcode were '
            "accepted; CleverTap's hosts answer 200 with an empty body on any path. Check the "
            "Region, or try again later."
        )
    return ConnectionResult(
        False,
        f"Could not verify the connection: {where} answered {_shown(resp, cfg)}. {hint}",
        status,
        Outcome.UNVERIFIED,
    )


def test_connection(cfg: CleverTapConfig) -> ConnectionResult:
    """Check credentials and region without sending data."""
    problems = [p for p in cfg.problems(need_secrets=False) if "Project ID" in p or "Region" in p]
    if not problems and not cfg.secrets.passcode:
        problems = ["CleverTap Project Passcode is missing."]
    if problems:
        return ConnectionResult(False, " ".join(problems), None, Outcome.UNUSABLE)
    partner = cfg.partner_name.strip() or CHECK_PARTNER

    async def probe() -> httpx.Response | str:
        async with CleverTapClient(cfg, max_connections=1) as client:
            try:
                return await client.get(CONNECT_PATH, {"partner": partner})
            except (httpx.HTTPError, OSError) as exc:
                return network_error_message(exc)

    where = cfg.endpoint or cfg.base_url.removeprefix("https://")
    answer = asyncio.run(probe())
    if isinstance(answer, str):
        return ConnectionResult(False, f"Could not reach CleverTap at {where}: {answer}")
    return judge(answer, cfg, where)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
