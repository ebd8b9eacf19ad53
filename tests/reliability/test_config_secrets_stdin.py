"""Promise: `config set --passcode --token` with both secrets piped on stdin stores each
under its own name, whatever the flag order; unnamed lines for two secrets are refused
(exit 2, nothing saved), so they can never be stored the wrong way round."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lr_desktop.secrets import SERVICE, clevertap_key
from tests.reliability.conftest import cli_env, run_cli

PROJECT = "STD-000-0001"
PASSCODE, TOKEN = "pc-Piped-4d1", "tk-Piped-9e7"


def _env(tmp_path: Path) -> dict[str, str]:
    return cli_env(
        PYTHON_KEYRING_BACKEND="tests.reliability.keyrings.FileKeyring",
        LR_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
    )


def _stored(tmp_path: Path) -> dict[str, str | None]:
    path = tmp_path / "keyring.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    return {
        what: data.get(f"{SERVICE}\x1f{clevertap_key(PROJECT, what)}")
        for what in ("passcode", "project_token")
    }


@pytest.mark.parametrize(
    "flags, lines",
    [
        (("--passcode", "--token"), f"passcode={PASSCODE}\ntoken={TOKEN}\n"),
        (("--passcode", "--token"), f"token={TOKEN}\npasscode={PASSCODE}\n"),
        (("--token", "--passcode"), f"passcode={PASSCODE}\n\ntoken={TOKEN}\n"),
    ],
)
def test_two_piped_secrets_are_stored_under_their_names(
    tmp_path: Path, flags: tuple[str, str], lines: str
) -> None:
    res = run_cli(
        tmp_path / "lr.sqlite", "config", "set", "--project-id", PROJECT, *flags,
        env=_env(tmp_path), input=lines,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert _stored(tmp_path) == {"passcode": PASSCODE, "project_token": TOKEN}


@pytest.mark.parametrize(
    "lines, says",
    [
        (f"{PASSCODE}\n{TOKEN}\n", "named lines"),
        (f"passcode={PASSCODE}\n{TOKEN}\n", "named lines"),
        (f"passcode={PASSCODE}\npasscode={TOKEN}\n", "named lines"),
        (f"passcode={PASSCODE}\n", "Project Token not given"),
    ],
)
def test_ambiguous_or_incomplete_stdin_is_refused(tmp_path: Path, lines: str, says: str) -> None:
    db = tmp_path / "lr.sqlite"
    res = run_cli(
        db, "config", "set", "--project-id", PROJECT, "--passcode", "--token",
        env=_env(tmp_path), input=lines,
    )  # fmt: skip
    assert res.returncode == 2 and says in res.stderr, res.stderr
    assert "nothing was saved" in res.stderr and PASSCODE not in res.stderr
    assert _stored(tmp_path) == {"passcode": None, "project_token": None}
    shown = run_cli(db, "config", "show", "--json", env=_env(tmp_path))
    assert json.loads(shown.stdout)["project_id"] == ""


def test_one_piped_secret_is_one_line_or_its_named_line(tmp_path: Path) -> None:
    db, env = tmp_path / "lr.sqlite", _env(tmp_path)
    res = run_cli(
        db, "config", "set", "--project-id", PROJECT, "--passcode", env=env, input="p=1\n"
    )
    assert res.returncode == 0, res.stderr
    assert _stored(tmp_path)["passcode"] == "p=1"  # an unnamed line is the whole secret
    res = run_cli(db, "config", "set", "--token", env=env, input=f"token={TOKEN}\n")
    assert res.returncode == 0, res.stderr
    assert _stored(tmp_path) == {"passcode": "p=1", "project_token": TOKEN}
    res = run_cli(db, "config", "set", "--token", env=env, input=f"passcode={PASSCODE}\n")
    assert res.returncode == 2 and "asked for the CleverTap Project Token" in res.stderr
    assert _stored(tmp_path)["project_token"] == TOKEN


def test_help_says_how_to_pipe_both(tmp_path: Path) -> None:
    res = run_cli(tmp_path / "lr.sqlite", "config", "set", "--help", env=_env(tmp_path))
    text = " ".join(res.stdout.split())
    assert "'token=...' and 'passcode=...'" in text and "refused" in text
