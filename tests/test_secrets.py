"""Secrets live in the OS keyring only; no backend or a failing one is reported clearly."""

import os
import threading
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from lr_desktop import secrets
from lr_desktop.clevertap.config import CleverTapConfig, Secrets, save_config
from lr_desktop.clevertap.credentials import (
    delete_secrets,
    effective_config,
    load_secrets,
    save_secrets,
)
from lr_desktop.store import connect, transaction

real = pytest.mark.skipif(
    os.environ.get("LR_REAL_KEYRING") != "1",
    reason="needs a real Secret Service (scripts/test starts gnome-keyring under dbus-run-session)",
)


@real
@pytest.mark.real_keyring
def test_real_secret_service_round_trip_from_worker_thread() -> None:
    from keyring.backends import SecretService

    # Use the Secret Service backend itself, not the chainer (which would also see the
    # test doubles defined in this suite).
    previous = keyring.get_keyring()
    keyring.set_keyring(SecretService.Keyring())
    try:
        _round_trip()
    finally:
        keyring.set_keyring(previous)


def _round_trip() -> None:
    project = f"TEST-{os.getpid()}"
    save_secrets(project, Secrets("real-token-value", "real-passcode-value"))
    try:
        assert load_secrets(project) == Secrets("real-token-value", "real-passcode-value")
        seen: list[Secrets] = []
        errors: list[BaseException] = []

        def worker() -> None:  # keyring calls from worker threads must work (vorta#234)
            try:
                seen.append(load_secrets(project))
                save_secrets(project, Secrets(None, "rotated-passcode"))
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not errors
        assert seen == [Secrets("real-token-value", "real-passcode-value")]
        assert load_secrets(project).passcode == "rotated-passcode"
        assert "secretservice" in secrets.backend_name().replace(" ", "").lower()
    finally:
        delete_secrets(project)
    assert load_secrets(project) == Secrets(None, None)


def test_memory_round_trip_and_config_never_stores_secrets(db_path: Path) -> None:
    conn = connect(db_path)
    cfg = CleverTapConfig(project_id="P-1", secrets=Secrets("tok-abc-123", "pass-xyz-789"))
    with transaction(conn):
        save_config(conn, cfg)
    save_secrets("P-1", cfg.secrets)
    assert effective_config(conn).secrets == cfg.secrets
    conn.close()
    raw = b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.is_file())
    assert b"tok-abc-123" not in raw and b"pass-xyz-789" not in raw


def test_no_backend_says_what_to_install() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(secrets.KeyringUnavailable, match="gnome-keyring"):
        secrets.set_secret("k", "v")
    with pytest.raises(secrets.KeyringUnavailable):
        secrets.get_secret("k")


def test_a_file_backend_from_keyrings_alt_is_refused() -> None:
    # keyrings.alt's PlaintextKeyring would keep the secrets in a file: never used
    plaintext = type(
        "PlaintextKeyring",
        (_Locked,),
        {"__module__": "keyrings.alt.file", "set_password": lambda self, s, u, p: None},
    )
    keyring.set_keyring(plaintext())
    with pytest.raises(secrets.KeyringUnavailable, match="keyrings.alt"):
        secrets.set_secret("k", "v")


class _Locked(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")


class _Broken(_Locked):
    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("org.freedesktop.DBus.Error.NoReply")


def test_locked_keyring_is_reported_as_locked_not_wrong_password() -> None:
    keyring.set_keyring(_Locked())
    with pytest.raises(secrets.KeyringFailure, match="locked") as info:
        secrets.get_secret("k")
    assert "password" not in str(info.value).lower()


def test_failing_keyring_is_reported_as_failure() -> None:
    keyring.set_keyring(_Broken())
    with pytest.raises(secrets.KeyringFailure, match="failed"):
        secrets.get_secret("k")
