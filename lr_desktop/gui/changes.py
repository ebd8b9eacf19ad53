"""What background work changed, as topics for the one change notice
(`TaskRunner.changed`), and which topics each flow's outcome means.

The flows declare what they change (`changes=` when they start their task); the
sections, the first-run checklist and the sync panel each refresh themselves from the
notice, so no flow needs to know who shows what."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Topic(StrEnum):
    USERS = "users"  # users were added: networks and campaigns may be new
    EVENTS = "events"  # event states changed (sent, queued, got a CleverTap ID)
    ROWS = "rows"  # fields of users already listed changed (a pull's update, a retry)
    RUNS = "runs"  # a run was recorded (Sync history, the checklist's steps)
    CHECK = "check"  # a CleverTap check ran (the Overview's card)


# what a change means for each consumer
TABLE_ROWS = frozenset({Topic.USERS, Topic.EVENTS, Topic.ROWS})  # counts and rows
SETUP = frozenset({Topic.USERS, Topic.EVENTS, Topic.RUNS})  # the first-run checklist
OVERVIEW = TABLE_ROWS | {Topic.CHECK}


def of_sync(_outcome: object) -> set[Topic]:
    """A sync, finished or stopped: events may have changed either way."""
    return {Topic.EVENTS, Topic.RUNS}


def of_import(outcome: object) -> set[Topic]:
    """An import: new or updated users and a run; nothing when it failed."""
    return set() if isinstance(outcome, Exception) else {Topic.USERS, Topic.RUNS}


def of_pull(report: Any) -> set[Topic]:
    """A Linkrunner pull's report (linkrunner.pull.PullReport), None when it failed."""
    if report is None or report.cancelled:
        return set()
    topics = {Topic.RUNS}
    if report.imported:
        topics.add(Topic.USERS)
    if report.updated:
        topics.add(Topic.ROWS)
    return topics


def of_mapping(outcome: object) -> set[Topic]:
    """An ID-mapping file: its run is recorded even when it failed."""
    return {Topic.RUNS} if isinstance(outcome, Exception) else {Topic.EVENTS, Topic.RUNS}
