"""The architecture, checked: the layers written down as import-linter contracts in
pyproject.toml, and the one rule of the UI's background work that code review kept missing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import clinicrecords

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold() -> None:
    """Qt only in ui/; scan/ and search/ know no store, session or database; db/ imports no
    service; commands and ui reach the database only through services; the layers (entry
    points over services over storage) never point upwards."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_every_background_task_a_widget_starts_names_the_widget() -> None:
    """``run_in_background(..., context=self)``: a result that arrives after its widget was
    deleted is then dropped. Without it a late page load touched a deleted table view and
    failed the next GUI test ("Internal C++ object already deleted")."""
    missing = []
    for path in sorted((Path(clinicrecords.__file__).parent / "ui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not (isinstance(fn, ast.FunctionDef) and fn.args.args):
                continue
            if fn.args.args[0].arg != "self":
                continue
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) == "run_in_background"
                    and not any(k.arg == "context" for k in node.keywords)
                ):
                    missing.append(f"{path.name}:{node.lineno}")
    assert missing == []
