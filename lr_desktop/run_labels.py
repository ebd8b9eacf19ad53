"""What a run is called where a marketer reads it (Sync history, `status`, the tray).

One mapping from the `runs` table's (kind, mode, scope) to words, used by the CLI and
the window alike."""

from __future__ import annotations

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
