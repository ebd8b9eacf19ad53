"""Upload answers: only a CleverTap verdict says whether a batch was processed
(clevertap-api.md "Responses"); everything else after the body left means "maybe"."""

from __future__ import annotations

import json

import pytest

from lr_desktop.clevertap.client import Verdict, parse_upload_answer, record_number
from lr_desktop.clevertap.config import CleverTapConfig, Secrets
from lr_desktop.clevertap.payloads import event_record

CFG = CleverTapConfig(project_id="W9R-486-4W5Z", secrets=Secrets("tok", "pass"))


def _sent(n: int) -> list[dict]:
    row = {
        "user_id": "u",
        "clevertap_id": "ct",
        "attribution_type": "INORGANIC",
        "platform": "android",
        "installed_at": 1767225600,
        "ad_network": "META",
        "campaign_id": None,
        "campaign_name": "Summer",
    }
    return [event_record(dict(row, event_id=f"e{i}"), CFG) for i in range(n)]


@pytest.mark.parametrize(
    "text, number",
    [
        ("invalid objectId. Skipped record number : 3, code 526", 3),
        ("Skipped record number : 12", 12),
        ("record number 7 of 1000 (code 523)", 7),
        ("Record Number: 2", 2),
        ("identity missing, code 523", None),
        ("number : 3, code 526", None),  # no "record number": nothing to read
    ],
)
def test_record_number_is_the_number_after_record_number_only(
    text: str, number: int | None
) -> None:
    assert record_number(text) == number


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",  # a proxy's page with status 200
        b"",
        b'{"message": "ok"}',  # JSON, but no upload verdict
        b"[1, 2]",
        b'{"status": "success", "processed": "many"}',
    ],
)
def test_a_200_that_is_not_a_verdict_may_have_been_processed(body: bytes) -> None:
    ans = parse_upload_answer(200, body, _sent(2))
    assert ans.verdict is Verdict.RETRY and ans.maybe_processed
    assert "may have processed" in ans.message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_as_maybe_processed(status: int) -> None:
    ans = parse_upload_answer(status, b'{"status":"fail","code":%d}' % status, _sent(1))
    assert ans.verdict is Verdict.RETRY and ans.maybe_processed


def test_429_and_documented_refusals_are_verdicts() -> None:
    assert not parse_upload_answer(429, b"", _sent(1)).maybe_processed
    for status in (400, 401, 403):
        ans = parse_upload_answer(status, b"{}", _sent(1))
        assert ans.verdict is Verdict.STOP and not ans.maybe_processed


def test_whole_request_fail_in_a_200_is_final() -> None:
    body = b'{"status": "fail", "processed": 0, "unprocessed": [], "error": "Invalid payload"}'
    ans = parse_upload_answer(200, body, _sent(3))
    assert ans.verdict is Verdict.STOP and not ans.maybe_processed
    assert "refused the whole request" in ans.message and "Invalid payload" in ans.message


@pytest.mark.parametrize("status", [301, 404, 405, 413, 418, 451])
def test_unexpected_answers_stop_and_show_what_came_back(status: int) -> None:
    ans = parse_upload_answer(status, b'{"error": "Request Entity Too Large"}', _sent(1))
    assert ans.verdict is Verdict.STOP and ans.maybe_processed
    assert f"Unexpected answer {status}" in ans.message
    assert "Request Entity Too Large" in ans.message


def test_unmatchable_entries_are_kept_raw_and_not_failures() -> None:
    entry = {"status": "fail", "code": 526, "error": "invalid objectId"}
    body = {"status": "partial", "processed": 1, "unprocessed": [entry, "garbage"]}
    ans = parse_upload_answer(200, json.dumps(body).encode(), _sent(2))
    assert ans.verdict is Verdict.OK and ans.failures == []
    assert ans.unmatched == [entry, "garbage"]


def test_record_number_beyond_the_request_is_unmatched() -> None:
    entry = {"status": "fail", "code": 526, "error": "Skipped record number : 3, code 526"}
    body = {"status": "partial", "processed": 1, "unprocessed": [entry]}
    ans = parse_upload_answer(200, json.dumps(body).encode(), _sent(2))
    assert ans.failures == [] and ans.unmatched == [entry]
    ans = parse_upload_answer(200, json.dumps(body).encode(), _sent(3))
    assert [(f.index, f.code) for f in ans.failures] == [(2, 526)] and not ans.unmatched
