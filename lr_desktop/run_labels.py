"""What a run is called where a marketer reads it (Sync history, `status`, the tray).

One mapping from the `runs` table's (kind, mode, scope) to words, used by the CLI and
the window alike."""

from __future__ import annotations

from typing import Any

# (kind, mode) -> name; a kind alone when its mode does not change what the run did
_NAMES = {
    ("send", None): "Send pending",
    ("sync", None): "Full sync",
    ("import", "file"): "File import",
    ("import", "mapping"): "ID mapping",
    ("import", None): "Import",
    ("pull", None): "Linkrunner pull",
    ("verify", None): "CleverTap check",
}
RESEND = "Re-send"  # a send or sync that sent second copies the user asked for


def run_label(kind: str | None, mode: str | None = None, scope: str | None = None) -> str:
    """'Send pending', 'Full sync', 'Re-send', 'File import', 'Linkrunner pull', …"""
    if scope and kind in ("send", "sync"):
        return RESEND
    name = _NAMES.get((kind or "", mode)) or _NAMES.get((kind or "", None))
    return name or str(kind or "")


def pull_total_text(
    records: int, imported: int, updated: int, unchanged: int, rejected: int, running: bool
) -> str:
    """What a pull's Total counts, with its parts: the records Linkrunner returned (a user
    listed under two campaigns is one record in each), not users sent anywhere."""
    so_far = " so far" if running else ""
    return (
        f"{records:,} user records Linkrunner returned{so_far} (a user listed under two "
        f"campaigns counts once in each): {imported:,} new, {updated:,} updated, "
        f"{unchanged:,} unchanged, {rejected:,} rejected"
    )


def total_text(kind: str | None, state: str | None, total: int, detail: dict[str, Any]) -> str:
    """The Total column's meaning for one run (Sync history's tooltip, the drill-down)."""
    running = state == "running"
    if kind == "pull":
        return pull_total_text(
            int(detail.get("records", total) or 0),
            int(detail.get("imported") or 0),
            int(detail.get("updated") or 0),
            int(detail.get("unchanged") or 0),
            int(detail.get("rejected") or 0),
            running,
        )
    if kind in ("send", "sync"):
        return f"{total:,} events this run considered sending{' so far' if running else ''}"
    return f"{total:,} rows read{' so far' if running else ''}"
