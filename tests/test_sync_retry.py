"""The engine's one retry loop (sync/retry.py), on scripted answers: what each item comes
to after retries, stops, give-ups and a cancel while waiting to retry."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from lr_desktop.clevertap.client import Answer, RecordFailure, Verdict
from lr_desktop.clevertap.rules import CODE_INVALID_OBJECT_ID, CODE_SERVER_MISC
from lr_desktop.sync.due import Result
from lr_desktop.sync.retry import Tries, outcomes, with_retries

OK = Answer(Verdict.OK, 200)
BUSY = Answer(Verdict.RETRY, 503, "CleverTap server error 503")
LOST = Answer(Verdict.RETRY, None, "no answer", maybe_processed=True)
REFUSED = Answer(Verdict.STOP, 401, "credentials or region wrong")


class ScriptedRun:
    """The engine's side of the loop: a script of answers, backoff that can be cancelled."""

    def __init__(self, answers: Sequence[Answer], max_retries: int = 3, cancel_at: int = 0):
        self.answers = list(answers)
        self.max_retries = max_retries
        self.cancel_at = cancel_at  # cancelled during the n-th backoff (0: never)
        self.sent: list[list[int]] = []
        self.stopped: Answer | None = None
        self.backoffs = 0
        self.cancelled = False

    @property
    def halted(self) -> bool:
        return self.cancelled or self.stopped is not None

    def stop(self, answer: Answer) -> None:
        self.stopped = self.stopped or answer

    async def backoff(self, attempt: int) -> bool:
        self.backoffs += 1
        if self.backoffs == self.cancel_at:
            self.cancelled = True
        return not self.halted

    async def send(self, pending: list[int]) -> Answer:
        self.sent.append(list(pending))
        return self.answers.pop(0)


def _run(run: ScriptedRun, n: int) -> tuple[Tries, list[tuple[list[int], int | None]]]:
    retried: list[tuple[list[int], int | None]] = []

    async def on_retry(indices: Sequence[int], answer: Answer) -> None:
        retried.append((list(indices), answer.http_status))

    return asyncio.run(with_retries(run, n, run.send, on_retry)), retried


def test_a_lost_answer_is_retried_and_flagged_as_maybe_duplicated() -> None:
    run = ScriptedRun([LOST, OK])
    result, retried = _run(run, 2)
    assert run.sent == [[0, 1], [0, 1]] and retried == [([0, 1], None)]
    assert result.accepted == [0, 1] and result.maybe_dup == {0, 1}
    assert [
        o.outcome for o in outcomes([{"rowid": 1, "user_id": "a"}] * 2, result, None, None)
    ] == [
        Result.DELIVERED,
        Result.DELIVERED,
    ]


def test_only_retryable_records_are_sent_again_and_the_rest_are_settled() -> None:
    partial = Answer(
        Verdict.OK,
        200,
        failures=[
            RecordFailure(0, CODE_INVALID_OBJECT_ID, "invalid objectId"),
            RecordFailure(2, CODE_SERVER_MISC, "miscellaneous server error"),
        ],
    )
    run = ScriptedRun([partial, OK])
    result, _ = _run(run, 3)
    assert run.sent == [[0, 1, 2], [2]]
    assert sorted(result.accepted) == [1, 2]
    assert result.rejected == [(0, CODE_INVALID_OBJECT_ID, "invalid objectId")]


def test_it_gives_up_after_max_retries() -> None:
    run = ScriptedRun([BUSY] * 3, max_retries=2)
    result, retried = _run(run, 1)
    assert len(run.sent) == 3 and len(retried) == 2
    assert result.failed == [(0, 503, "CleverTap server error 503 (gave up after 3 tries)")]


def test_a_refused_request_stops_the_run_and_nothing_more_is_sent() -> None:
    run = ScriptedRun([BUSY, REFUSED])
    result, _ = _run(run, 2)
    assert run.stopped is REFUSED and result.stop is REFUSED and result.unsent == [0, 1]
    row = {"rowid": 7, "user_id": "u"}
    (o, _) = outcomes([row, row], result, result.stop, None)
    assert (o.outcome, o.http_status, o.message) == (Result.STOPPED, 401, REFUSED.message)
    halted = ScriptedRun([OK])
    halted.cancelled = True
    assert _run(halted, 1)[0].unsent == [0] and halted.sent == []


def test_a_cancel_while_waiting_to_retry_releases_the_items() -> None:
    run = ScriptedRun([BUSY, OK], cancel_at=1)
    result, _ = _run(run, 2)
    assert len(run.sent) == 1 and result.released == [0, 1] and not result.unsent
    row = {"rowid": 7, "user_id": "u"}
    released = outcomes([row, row], result, None, None)
    assert [(o.outcome, o.http_status, o.message) for o in released] == [
        (Result.RELEASED, 503, "cancelled before sending")
    ] * 2
    # upload mode: released by another worker's stop, they are recorded as stopped by it
    assert {o.outcome for o in outcomes([row, row], result, None, REFUSED)} == {Result.STOPPED}
