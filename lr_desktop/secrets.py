"""Secrets in the OS keyring, and nowhere else.

Never falls back to plaintext. Names the backend that holds the secrets, and says
what to install when there is none. A locked or failing keyring is reported as
such, never as a wrong password.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from lr_desktop.errors import UserFixableError

if TYPE_CHECKING:
    import keyring.backend

_T = TypeVar("_T")

SERVICE = "lr-desktop"

INSTALL_HINT = (
    "No system keyring is available, so secrets cannot be stored safely and nothing was saved. "
    "On Linux install and unlock a Secret Service provider (e.g. `sudo apt install gnome-keyring` "
    "or KWallet) and log in to a desktop session; macOS Keychain and Windows Credential Locker "
    "work out of the box."
)


FILE_BACKEND_REFUSED = (
    "The keyring backend in use ({name}, from the keyrings.alt package) keeps secrets in a "
    "file, not in the OS keyring, so nothing was saved. Uninstall keyrings.alt (or set "
    "PYTHON_KEYRING_BACKEND to your system keyring) and try again."
)


class KeyringUnavailable(RuntimeError, UserFixableError):
    """There is no usable keyring backend."""


class KeyringFailure(RuntimeError, UserFixableError):
    """The keyring exists but refused or failed (locked, dismissed prompt, D-Bus error)."""


_lock = threading.Lock()


def _backend() -> keyring.backend.KeyringBackend:
    import keyring  # on first use: loading its backends costs ~80 ms at start-up

    kr = keyring.get_keyring()
    name = type(kr).__module__ + "." + type(kr).__name__
    if name.startswith("keyring.backends.fail") or name.endswith("null.Keyring"):
        raise KeyringUnavailable(INSTALL_HINT)
    if name.startswith("keyring.backends.chainer") and not getattr(kr, "backends", None):
        raise KeyringUnavailable(INSTALL_HINT)
    # keyrings.alt's backends write a file (plaintext or with its own password): secrets live
    # only in the OS keyring, so they are refused, alone or as the one the chainer writes to
    inner = getattr(kr, "backends", None) or [kr]
    first = type(inner[0])
    if first.__module__.startswith("keyrings.alt"):
        raise KeyringUnavailable(FILE_BACKEND_REFUSED.format(name=first.__name__))
    return kr


def backend_name() -> str:
    """Human name of the keyring holding the secrets (e.g. 'SecretService Keyring')."""
    kr = _backend()
    inner = getattr(kr, "backends", None)  # the chainer wraps the real backends
    if inner:
        kr = inner[0]
    return str(getattr(kr, "name", type(kr).__name__))


def _call(fn: Callable[..., _T], *args: str) -> _T | None:
    import keyring.errors

    kr = _backend()
    try:
        with _lock:
            return fn(kr, *args)
    except keyring.errors.NoKeyringError as exc:
        raise KeyringUnavailable(INSTALL_HINT) from exc
    except keyring.errors.KeyringLocked as exc:
        raise KeyringFailure(
            f"The keyring ({backend_name()}) is locked. Unlock it (log in to your desktop "
            "session or open your keyring manager) and try again."
        ) from exc
    except keyring.errors.PasswordDeleteError:
        return None
    except (keyring.errors.KeyringError, OSError) as exc:
        raise KeyringFailure(
            f"The keyring ({getattr(kr, 'name', type(kr).__name__)}) failed: {type(exc).__name__}: {exc}"
        ) from exc
    except Exception as exc:  # D-Bus / secretstorage errors come in many types
        raise KeyringFailure(
            f"The keyring ({getattr(kr, 'name', type(kr).__name__)}) failed: {type(exc).__name__}"
        ) from exc


def get_secret(key: str) -> str | None:
    value = _call(lambda kr, k: kr.get_password(SERVICE, k), key)
    return None if value is None else str(value)


def set_secret(key: str, value: str) -> None:
    _call(lambda kr, k, v: kr.set_password(SERVICE, k, v), key, value)


def delete_secret(key: str) -> None:
    try:
        _call(lambda kr, k: kr.delete_password(SERVICE, k), key)
    except KeyringFailure:
        if get_secret(key) is not None:
            raise


# Key names inside the service, per CleverTap project so switching projects keeps both.
def clevertap_key(project_id: str, what: str) -> str:
    assert what in ("project_token", "passcode")
    return f"clevertap/{project_id.strip()}/{what}"


LINKRUNNER_API_KEY = "linkrunner/api_key"
