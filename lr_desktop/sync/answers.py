"""What the engine keeps of a CleverTap answer it could not match to records."""

from __future__ import annotations

import json

from lr_desktop.clevertap.client import Answer

RAW_LIMIT = 2000  # characters of CleverTap's raw entries kept on each user


def unmatched_note(answer: Answer) -> str:
    """ "" when every `unprocessed` entry named its record; otherwise the message kept on
    each user the answer may concern: CleverTap refused some of them and did not say
    which, so none of them is counted delivered (status `unmatched`), with the raw
    entries as CleverTap sent them."""
    if not answer.unmatched:
        return ""
    raw = json.dumps(answer.unmatched, ensure_ascii=False, default=str)
    if len(raw) > RAW_LIMIT:
        raw = raw[:RAW_LIMIT] + "…"
    n = len(answer.unmatched)
    return (
        f"CleverTap refused {n} record{'s' if n != 1 else ''} of this request without "
        f"naming which, so this event may or may not be in CleverTap. Its answer: {raw}"
    )
