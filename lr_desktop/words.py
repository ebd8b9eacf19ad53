"""Counts in words, for every command's output and the window: '1 user', '2,000 users'."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 user', '2 users'; `many` for an irregular plural ('1 entry', '2 entries')."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
