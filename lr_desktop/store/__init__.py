"""The attribution queue: one SQLite file (WAL) holding users, their install events,
every delivery attempt, run history and non-secret settings."""

from lr_desktop.errors import StoreError
from lr_desktop.store.db import connect, transaction

__all__ = ["StoreError", "connect", "transaction"]
