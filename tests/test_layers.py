"""The layers are a contract: checked here on every module's imports (its AST), so a
change that breaks one fails CI instead of waiting for a review to notice.

- the core (everything but `gui/` and `cli/`) never imports Qt, `gui` or `cli`: the window
  and the command line call the same core functions;
- `cli` and `gui` never import each other, beyond the `gui` command starting the window;
- nothing in `lr_desktop` imports `bench` or `tests`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lr_desktop"

# the one sanctioned bridge from the command line to the window
CLI_MAY_IMPORT_GUI = {"lr_desktop.cli.gui_cmd"}

# Known breaks, each to be removed by moving code (not by widening the rules): none left.
KNOWN: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    return _imports_of(path.read_text(encoding="utf-8"), _module_name(path), path)


def _imports_of(source: str, name: str, path: Path) -> set[str]:
    """Every module a file imports, at any depth (delayed imports included)."""
    tree = ast.parse(source, filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # `from lr_desktop import gui` imports the package `lr_desktop.gui`
            found.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> str:
    if module.startswith("lr_desktop.gui"):
        return "gui"
    if module.startswith("lr_desktop.cli") or module == "lr_desktop.__main__":
        return "cli"
    return "core"


def _violations(module: str, imported: set[str]) -> list[str]:
    layer = _layer(module)
    bad = []
    for target in sorted(imported):
        if (module, target) in KNOWN:
            continue
        top = target.split(".")[0]
        if top in {"bench", "tests"}:
            bad.append(f"{module} imports {target}: nothing in lr_desktop may import {top}")
        if layer == "core" and (
            top in {"PySide6", "shiboken6"}
            or target.startswith(("lr_desktop.gui", "lr_desktop.cli"))
        ):
            bad.append(f"{module} (core) imports {target}")
        if (
            layer == "cli"
            and target.startswith("lr_desktop.gui")
            and module not in CLI_MAY_IMPORT_GUI
        ):
            bad.append(f"{module} (cli) imports {target}")
        if layer == "gui" and target.startswith("lr_desktop.cli"):
            bad.append(f"{module} (gui) imports {target}")
    return bad


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_respects_the_layers(module: str) -> None:
    assert _violations(module, _imports(MODULES[module])) == []


def test_the_contract_catches_a_core_module_importing_qt() -> None:
    # the checker itself must see a violation, or the test above proves nothing
    assert _violations("lr_desktop.sync.engine", {"PySide6.QtCore"})
    assert _violations("lr_desktop.store.db", {"lr_desktop.gui.app"})
    assert _violations("lr_desktop.gui.app", {"lr_desktop.cli.main"})
    assert _violations("lr_desktop.cli.sync_cmd", {"lr_desktop.gui.app"})
    assert not _violations("lr_desktop.cli.gui_cmd", {"lr_desktop.gui.app"})
    assert _violations("lr_desktop.demo", {"bench.common"})
    assert _violations("lr_desktop.sync.engine", {"lr_desktop.cli.common"})


def test_the_contract_sees_relative_and_delayed_imports() -> None:
    source = (
        "def later():\n    from ..gui import linkrunner_source\n    from lr_desktop import cli\n"
    )
    path = PACKAGE / "sync" / "_layers_probe.py"  # only named: the source is parsed as given
    tree_imports = _imports_of(source, "lr_desktop.sync._layers_probe", path)
    assert "lr_desktop.gui.linkrunner_source" in tree_imports
    assert "lr_desktop.cli" in tree_imports
    assert _violations("lr_desktop.sync._layers_probe", tree_imports)


def test_the_known_breaks_still_exist() -> None:
    # when one is fixed, drop it from KNOWN so it cannot come back unnoticed
    for module, target in sorted(KNOWN):
        assert target in _imports(MODULES[module]), (module, target)


def test_every_module_is_checked() -> None:
    assert {"lr_desktop.demo", "lr_desktop.sync.engine", "lr_desktop.gui.app"} <= set(MODULES)
