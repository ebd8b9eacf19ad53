"""The attribution queue: one SQLite file (WAL) holding users, their install events,
every delivery attempt, run history and non-secret settings."""

from lr_desktop.store.db import StoreError, connect, transaction

__all__ = ["StoreError", "connect", "transaction"]
