"""Second copies the user asks for, counted before they go out.

CleverTap keeps every event it accepts and cannot delete one. So a run that sends an
install event CleverTap may already hold (`--send-changed`: the corrected event of a
user whose attribution changed after delivery; `--resend-delivered`: every delivered
event again) is only started once the user saw this count and its consequence. The
request is one call's arguments (`run_sync(send_changed=..., resend_delivered=...)`):
nothing is stored that would make the next run send second copies again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from lr_desktop.sync.ledger import HAS_ID


@dataclass(frozen=True)
class SecondCopies:
    """How many events a run would send that CleverTap may already hold."""

    resend_delivered: bool
    send_changed: bool
    changed: int = 0  # delivered, then the attribution changed: the corrected event
    delivered: int = 0  # delivered and unchanged: the same event again
    unmatched: int = 0  # CleverTap's answer did not say: maybe delivered

    @property
    def asked(self) -> bool:
        return self.resend_delivered or self.send_changed

    @property
    def total(self) -> int:
        return self.changed + self.delivered + self.unmatched

    def describe(self) -> str:
        """The scope and its consequence, in the words the confirmation shows."""
        if self.resend_delivered:
            parts = [f"{self.delivered:,} delivered"]
            if self.changed:
                parts.append(f"{self.changed:,} changed since delivery")
            if self.unmatched:
                parts.append(f"{self.unmatched:,} whose answer was not matched")
            return (
                f"re-send {self.total:,} install events ({', '.join(parts)}); CleverTap does "
                "not deduplicate: each of these users gets a second install event, and "
                "CleverTap will keep both copies"
            )
        return f"send {self.changed:,} corrected install events; CleverTap will keep both copies"

    def label(self) -> str | None:
        """What Sync history and `status` show for the run (None: no second copies asked)."""
        if self.resend_delivered:
            return f"re-send delivered: {self.total:,} events"
        if self.send_changed:
            return f"send changed: {self.changed:,} events"
        return None


def second_copies(
    conn: sqlite3.Connection, *, resend_delivered: bool = False, send_changed: bool = False
) -> SecondCopies:
    """The scope of a `--send-changed` or re-send-delivered run, counted now."""
    counts = dict.fromkeys(("changed", "delivered", "unmatched"), 0)
    if resend_delivered or send_changed:
        wanted = ("delivered", "changed", "unmatched") if resend_delivered else ("changed",)
        for status in wanted:
            counts[status] = conn.execute(
                f"SELECT count(*) FROM installs WHERE status = ? AND {HAS_ID}", (status,)
            ).fetchone()[0]
    return SecondCopies(resend_delivered, send_changed, **counts)


def scope_caption(label: str | None) -> str:
    """A stored `runs.scope` (`SecondCopies.label()`) in a marketer's words, for Sync history."""
    if not label:
        return ""
    for prefix, words in (
        ("re-send delivered: ", "Re-send of {n} delivered events"),
        ("send changed: ", "{n} corrected install events sent"),
    ):
        if label.startswith(prefix):
            n = label[len(prefix) :].removesuffix(" events")
            return words.format(n=n)
    return label[:1].upper() + label[1:]


def retry_second_copies(conn: sqlite3.Connection, user_ids: list[str]) -> int:
    """How many of these users `retry_users` would queue again although CleverTap already
    holds their install event (delivered): each one gets a second copy."""
    total = 0
    for i in range(0, len(user_ids), 500):
        part = user_ids[i : i + 500]
        total += conn.execute(
            f"SELECT count(*) FROM installs WHERE user_id IN ({', '.join('?' * len(part))}) "
            f"AND status = 'delivered' AND {HAS_ID}",
            part,
        ).fetchone()[0]
    return total
