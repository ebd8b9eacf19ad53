"""The installable build: resources found in source, wheel and frozen layouts; the build
check that refuses a folder missing a resource or the chart module; the frozen entry
point's `-m`; the launcher files; the window's hidden smoke-sync mode; headless logging."""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from lr_desktop import APP_ID, __version__
from lr_desktop.resources import REQUIRED, ResourceMissing, icon_paths, resource_path

ROOT = Path(__file__).resolve().parents[1]


def _check_build() -> ModuleType:
    # by path: a `packaging` import would find the PyPI library of that name
    spec = importlib.util.spec_from_file_location(
        "check_build", ROOT / "packaging" / "check_build.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_resource_a_build_needs_is_found_in_a_source_run() -> None:
    for name in REQUIRED:
        assert resource_path(name).is_file(), name
    assert [p.name for p in icon_paths()][:2] == ["lr-desktop-16.png", "lr-desktop-24.png"]
    with pytest.raises(ResourceMissing, match="nothing.qss is missing"):
        resource_path("nothing.qss")


def _fake_build(tmp_path: Path) -> Path:
    folder = tmp_path / "lr-desktop"
    inner = folder / "_internal"
    (inner / "PySide6" / "Qt" / "lib").mkdir(parents=True)
    (folder / "lr-desktop").write_text("")
    for name in REQUIRED:
        target = inner / "lr_desktop" / "resources" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(resource_path(name), target)
    for module in ("QtCore", "QtGui", "QtWidgets", "QtCharts"):
        (inner / "PySide6" / f"{module}.abi3.so").write_text("")
    (inner / "PySide6" / "Qt" / "lib" / "libQt6Charts.so.6").write_text("")
    return folder


def test_build_check_fails_when_a_resource_or_the_chart_module_is_missing(tmp_path: Path) -> None:
    check = _check_build()
    folder = _fake_build(tmp_path)
    assert check.problems(folder) == []
    inner = folder / "_internal"
    (inner / "lr_desktop" / "resources" / "style.qss").unlink()
    (inner / "lr_desktop" / "resources" / "icons" / "lr-desktop-48.png").unlink()
    (inner / "PySide6" / "QtCharts.abi3.so").unlink()
    (inner / "PySide6" / "Qt" / "lib" / "libQt6Charts.so.6").unlink()
    (inner / "PySide6" / "QtQuick.abi3.so").write_text("")
    assert check.problems(folder) == [
        "resource missing: lr_desktop/resources/style.qss",
        "resource missing: lr_desktop/resources/icons/lr-desktop-48.png",
        "Qt module missing: PySide6.QtCharts",
        "Qt library missing: Qt6Charts (the Overview's charts)",
        "unused Qt module bundled: PySide6.QtQuick",
    ]
    assert check.main([str(folder)]) == 1


def test_spec_bundles_the_resources_the_check_requires() -> None:
    spec = (ROOT / "packaging" / "lr-desktop.spec").read_text(encoding="utf-8")
    assert "for name in REQUIRED" in spec and '"lr_desktop/resources/"' in spec
    assert 'QT_USED = ["QtCore", "QtGui", "QtWidgets", "QtCharts"]' in spec


def _python(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=180, env=env, cwd=cwd
    )


def test_frozen_entry_point_answers_dash_m_like_python() -> None:
    """The sync child and the emulator start as `<program> [-u] -m lr_desktop...`."""
    launcher = str(ROOT / "packaging" / "launcher.py")
    for args in (
        ["--version"],
        ["-m", "lr_desktop", "--version"],
        ["-u", "-m", "lr_desktop", "--version"],
    ):
        done = _python(launcher, *args)
        assert done.stdout.strip() == f"lr-desktop {__version__}", (args, done.stderr)
    child = _python(launcher, "-m", "lr_desktop.sync.child")
    # the sync child itself ran (and refused the empty request on its stdin)
    assert child.returncode != 0 and "lr_desktop/sync/child.py" in child.stderr.replace("\\", "/")


def test_launcher_and_service_files_name_the_installed_program_and_icon() -> None:
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]
    desktop.read(ROOT / "packaging" / "lr-desktop.desktop", encoding="utf-8")
    entry = desktop["Desktop Entry"]
    assert entry["Exec"].split()[0] == APP_ID and entry["Icon"] == APP_ID
    assert entry["StartupWMClass"] == APP_ID  # the window sets desktopFileName to APP_ID
    unit = (ROOT / "packaging" / "lr-desktop-pull.service").read_text(encoding="utf-8")
    assert "ExecStart=/usr/bin/lr-desktop pull --watch --send" in unit
    assert "KillSignal=SIGINT" in unit  # stop after the page in progress, like Ctrl+C


@pytest.mark.slow
def test_wheel_carries_the_resources_and_the_window_uses_them(tmp_path: Path) -> None:
    src = tmp_path / "src"  # a clean copy: an in-tree build/ would hide a broken setup.py
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("lr_desktop", "resources"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(tmp_path.glob("lr_desktop-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"lr_desktop/resources/{n}" for n in REQUIRED} <= names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "from lr_desktop.resources import resource_path; "
        "from lr_desktop.gui.app import make_app; "
        "app = make_app(); "
        "print(resource_path('style.qss')); "
        "print(len(app.styleSheet()) > 100, not app.windowIcon().isNull())"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "QT_QPA_PLATFORM": "offscreen"}
    done = _python("-c", probe, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    where, flags = done.stdout.splitlines()
    assert Path(where).is_relative_to(site) and flags == "True True"


@pytest.mark.slow
def test_window_smoke_sync_runs_a_demo_sync_and_exits_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"  # the demo needs none
    done = _python("-m", "lr_desktop", "gui", "--demo", "--smoke-sync", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "smoke-sync: delivered" in done.stdout


def test_headless_watch_logs_to_the_rotating_log_folder(tmp_path: Path) -> None:
    from lr_desktop.paths import log_dir

    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    done = _python(
        "-m",
        "lr_desktop",
        "--db",
        str(tmp_path / "lr.sqlite"),
        "pull",
        "--watch",
        "--send",
        env=env,
    )
    assert done.returncode == 2  # no keyring, no key: nothing to run with
    text = (log_dir() / "lr-desktop.log").read_text(encoding="utf-8")
    assert "headless pull started (send: True)" in text
    assert "pull cannot start" in text
