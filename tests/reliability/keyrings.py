"""Keyring backends for subprocess tests, chosen the ordinary way with
PYTHON_KEYRING_BACKEND=tests.reliability.keyrings.<Name> (no hook in the app).

- FileKeyring: keeps secrets in the JSON file named by LR_TEST_KEYRING_FILE (stands
  in for the OS keyring; tests keep that file outside every folder they scan).
- LockedKeyring: every call raises KeyringLocked (a locked Secret Service collection).
- BrokenKeyring: every call fails like a D-Bus error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend
import keyring.errors


class FileKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]
    name = "Test file keyring"

    @property
    def _path(self) -> Path:
        return Path(os.environ["LR_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self._path.read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\x1f{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\x1f{username}"] = password
        self._path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\x1f{username}", None)
        self._path.write_text(json.dumps(data))


class LockedKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]
    name = "Locked test keyring"

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")


class BrokenKeyring(LockedKeyring):
    name = "Broken test keyring"

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("org.freedesktop.DBus.Error.NoReply: did not receive a reply")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("org.freedesktop.DBus.Error.NoReply: did not receive a reply")
