"""The words the window uses for Linkrunner pulls, connection tests and ID-mapping
imports, and one pull round's outcome. Qt-free; where the settings and the key live is
the core's `linkrunner.source` (re-exported here for the window's modules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lr_desktop import secrets
from lr_desktop.linkrunner.settings import LinkrunnerSettings
from lr_desktop.linkrunner.source import LinkrunnerSource, LinkrunnerState, NoApiKey, check_key

__all__ = ["LinkrunnerSource", "LinkrunnerState", "NoApiKey", "PullOutcome", "check_key"]


@dataclass(frozen=True)
class PullOutcome:
    """One automatic (or "Pull now") round: the core's report, or why there was none."""

    report: Any = None  # linkrunner.pull.PullReport
    error: Exception | None = None
    settings: LinkrunnerSettings | None = None  # after the pull (last pull time, mark)
    due: int = 0  # events waiting to be sent after the pull
    send: bool = False  # "Send automatically" is on and CleverTap is configured
    at: float = 0.0

    @property
    def quiet(self) -> bool:
        """Nothing to tell: cancelled, or another pull held the database."""
        from lr_desktop.linkrunner.pull import PullAlreadyRunning

        return isinstance(self.error, PullAlreadyRunning) or bool(
            self.report is not None and self.report.cancelled
        )


# -- words --------------------------------------------------------------------------------


def clock(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S") if ts else "-"


def when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "never"


def describe_interval(minutes: float) -> str:
    seconds = round(minutes * 60)
    if seconds < 120:
        return f"{seconds} s"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{minutes:.1f} min"


def describe_pull(outcome: PullOutcome) -> str:
    """One line for the status bar."""
    r = outcome.report
    if r is None:
        return describe_pull_error(outcome.error)
    head = f"Linkrunner pull at {clock(outcome.at)}: "
    if r.cancelled:
        return head + "cancelled."
    parts = []
    if r.imported:
        parts.append(f"{r.imported:,} new user{'s' if r.imported != 1 else ''}")
    if r.updated:
        parts.append(f"{r.updated:,} updated")
    if r.rejected:
        parts.append(f"{r.rejected:,} rejected (see Sync history)")
    if r.waiting_platform:
        parts.append(f"{r.waiting_platform:,} waiting: Linkrunner did not say Android or iOS")
    if r.failed_campaigns:
        names = ", ".join(c.name or c.display_id for c in r.failed_campaigns[:3])
        parts.append(f"campaigns not pulled: {names} (tried again next pull)")
    text = head + (", ".join(parts) if parts else "nothing new")
    if outcome.send and outcome.due:
        text += f"; sending {outcome.due:,} to CleverTap…"
    elif outcome.due and (r.imported or r.updated):
        text += f"; {outcome.due:,} waiting to be sent (Sync with CleverTap sends them)"
    return text if text.endswith("…") else text + "."


def describe_pull_error(exc: Exception | None) -> str:
    from lr_desktop.clevertap.endpoint import EndpointRefused
    from lr_desktop.linkrunner.client import KeyRejected, LinkrunnerError, LinkrunnerUnavailable
    from lr_desktop.linkrunner.pull import PullAlreadyRunning
    from lr_desktop.store import StoreError

    if exc is None:
        return ""
    if isinstance(exc, NoApiKey):
        return (
            "Automatic pull is on, but no Linkrunner API key is stored: "
            "add it under Integrations > Linkrunner."
        )
    if isinstance(exc, PullAlreadyRunning):
        return "A Linkrunner pull is already running on this database; this round was skipped."
    if isinstance(exc, KeyRejected):
        return f"Linkrunner pull stopped: {exc}."
    if isinstance(exc, LinkrunnerUnavailable):
        return f"Linkrunner pull failed: {exc}. The next round tries again."
    if isinstance(exc, LinkrunnerError | EndpointRefused | StoreError):
        return f"Linkrunner pull failed: {exc}"
    if isinstance(exc, secrets.KeyringUnavailable | secrets.KeyringFailure):
        return f"Linkrunner pull cannot read the API key. {exc}"
    return f"Linkrunner pull failed unexpectedly: {type(exc).__name__} (details in the log file)"


def describe_test_error(exc: Exception) -> str:
    """A failed connection test, in words (never with the key)."""
    from lr_desktop.clevertap.endpoint import EndpointRefused
    from lr_desktop.linkrunner.client import (
        KEY_REJECTED,
        BadAnswer,
        KeyRejected,
        LinkrunnerUnavailable,
    )

    if isinstance(exc, KeyRejected):
        if str(exc) == KEY_REJECTED:
            return (
                "Linkrunner did not accept this API key. Copy it again from the Linkrunner "
                "dashboard (Settings > Data APIs) and paste it here."
            )
        return str(exc)
    if isinstance(exc, LinkrunnerUnavailable):
        return f"Linkrunner could not be reached: {exc}"
    if isinstance(exc, BadAnswer):
        return f"Linkrunner answered, but not as expected: {exc}"
    if isinstance(exc, EndpointRefused):
        return str(exc)
    return f"The test failed: {type(exc).__name__}"


def describe_mapping(report: Any, file_name: str, *, shown: int = 8) -> str:
    """matched / unchanged / unknown / rejected, with the rejected rows' numbers."""
    text = (
        f"{file_name}: {report.rows:,} rows — {report.matched:,} matched, "
        f"{report.unchanged:,} unchanged, {report.unknown:,} unknown user ID"
        f"{'s' if report.unknown != 1 else ''}, {report.rejected:,} rejected."
    )
    if report.rejections:
        lines = [f"row {n}: {reason}" for n, reason in report.rejections[:shown]]
        more = report.rejected - len(lines)
        if more > 0:
            lines.append(f"…and {more:,} more")
        text += "\n" + "\n".join(lines)
    if report.matched:
        text += "\nMatched users are queued and go out with the next send."
    return text
