"""Where the window's Linkrunner settings and API key live: the settings in the database
(the core's LinkrunnerSettings, automatic-pull switch included), the key in the
OS keyring, or for the demo in memory only. Qt-free; every method blocks (database,
keyring): call them from a worker. Also the words the window uses for pulls, connection
tests and ID-mapping imports.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from lr_desktop import secrets
from lr_desktop.linkrunner import settings as lr_settings
from lr_desktop.linkrunner.settings import LinkrunnerSettings
from lr_desktop.store import connect, transaction


class NoApiKey(Exception):
    """No Linkrunner API key is stored (and LR_LINKRUNNER_KEY is not set)."""


@dataclass(frozen=True)
class LinkrunnerState:
    """What the Linkrunner form shows."""

    settings: LinkrunnerSettings
    auto_pull: bool
    key: str | None  # the stored key (keyring or demo memory); never logged
    backend: str | None  # where the key is kept; None when there is no keyring
    backend_error: str | None
    env_key: bool  # LR_LINKRUNNER_KEY overrides the stored key
    base_url: str | None  # the loopback emulator the pulls read from, if any

    def __repr__(self) -> str:
        return f"LinkrunnerState(settings={self.settings!r}, auto_pull={self.auto_pull}, key=***)"


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


class LinkrunnerSource:
    def __init__(self, db_path: Path, demo_key: str | None = None) -> None:
        self.db_path = Path(db_path)
        self._demo = demo_key is not None
        self._demo_key = demo_key

    @property
    def is_demo(self) -> bool:
        return self._demo

    # -- settings (database) -------------------------------------------------------------
    def settings(self) -> LinkrunnerSettings:
        conn = connect(self.db_path)
        try:
            return lr_settings.load_settings(conn)
        finally:
            conn.close()

    def auto_pull(self) -> bool:
        return self.settings().auto_pull

    def save_settings(self, *, pull_interval_minutes: float, auto_pull: bool) -> None:
        conn = connect(self.db_path)
        try:
            with transaction(conn):
                lr_settings.update_settings(
                    conn, pull_interval_minutes=pull_interval_minutes, auto_pull=auto_pull
                )
        finally:
            conn.close()

    # -- the key (keyring, or memory for the demo) ---------------------------------------
    def stored_key(self) -> str | None:
        """The key as stored (no LR_LINKRUNNER_KEY); may raise Keyring* errors."""
        if self._demo:
            return self._demo_key
        return secrets.get_secret(secrets.LINKRUNNER_API_KEY)

    def key_for_pull(self) -> str | None:
        """LR_LINKRUNNER_KEY, else the stored key; may raise Keyring* errors."""
        if self._demo:
            return self._demo_key
        return lr_settings.resolve_api_key()

    def save_key(self, key: str) -> None:
        """Store the key (or remove it when empty). Keyring only; demo: memory only."""
        key = key.strip()
        if self._demo:
            self._demo_key = key or None
        elif key:
            lr_settings.save_api_key(key)
        else:
            # without a keyring no key can be stored, so there is none to remove
            with contextlib.suppress(secrets.KeyringUnavailable):
                lr_settings.delete_api_key()

    def remove_key(self) -> None:
        self.save_key("")

    def backend(self) -> str:
        """Where the key is kept; raises KeyringUnavailable when there is no keyring."""
        if self._demo:
            return "memory only (demo: nothing is written to the keyring)"
        return secrets.backend_name()

    # -- what the form shows -------------------------------------------------------------
    def load(self) -> LinkrunnerState:
        s = self.settings()
        key = backend = error = None
        try:
            backend = self.backend()
            key = self.stored_key()
        except (secrets.KeyringUnavailable, secrets.KeyringFailure) as exc:
            error = str(exc)
        return LinkrunnerState(
            settings=s,
            auto_pull=s.auto_pull,
            key=key,
            backend=backend,
            backend_error=error,
            env_key=not self._demo and bool(os.environ.get(lr_settings.ENV_KEY, "").strip()),
            base_url=lr_settings.effective_base_url(s),
        )

    def save(self, key: str, *, pull_interval_minutes: float, auto_pull: bool) -> LinkrunnerState:
        """The key first (nothing is saved when the keyring fails), then the settings."""
        problems = replace(self.settings(), pull_interval_minutes=pull_interval_minutes).problems()
        if problems:
            raise ValueError(" ".join(problems))
        self.save_key(key)
        self.save_settings(pull_interval_minutes=pull_interval_minutes, auto_pull=auto_pull)
        return self.load()


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


def check_key(key: str, base_url: str | None) -> int | None:
    """Ask Linkrunner for one campaign: how many it lists (None if it does not say).
    Raises the client's errors (KeyRejected for a bad key)."""
    from lr_desktop.linkrunner.client import LinkrunnerClient, RetryPolicy

    retry = RetryPolicy(max_retries=1, backoff_base=0.2, backoff_cap=1.0)
    with LinkrunnerClient(key, base_url=base_url, retry=retry, timeout=15.0) as client:
        return client.campaigns_page(1, limit=1).total


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
