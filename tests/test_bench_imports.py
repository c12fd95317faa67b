"""The benchmark scripts still name real project code: a moved module breaks them here, not mid-bench.

Only the project's own imports are checked (the scripts' optional extras, such as rouge-score or
tantivy, need not be installed to run the suite)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
PROJECT = {"bot", "cogs", "models", "storage", "ui"}
SCRIPTS = sorted(BENCH.glob("*.py"))


def project_imports(script: Path) -> list[tuple[str, str | None]]:
    """(module, name) for each `import module` / `from module import name` of project code in `script`."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in PROJECT:
                found += [(node.module, alias.name) for alias in node.names]
            elif (BENCH / f"{node.module}.py").exists():
                found += [(f"bench.{node.module}", alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names if alias.name.split(".")[0] in PROJECT]
    return found


def test_there_are_scripts_to_check():
    assert len(SCRIPTS) >= 5 and sum(len(project_imports(script)) for script in SCRIPTS) >= 20


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_bench_script_imports_exist(script: Path):
    for module, name in project_imports(script):
        if module.startswith("bench."):  # a sibling script: check the name without running its imports
            assert name in top_level_names(BENCH / f"{module.removeprefix('bench.')}.py"), (
                f"{script.name}: {module} has no {name}"
            )
            continue
        imported = importlib.import_module(module)
        assert name is None or hasattr(imported, name) or _is_submodule(module, name), (
            f"{script.name}: {module} has no {name}"
        )


def top_level_names(script: Path) -> set[str]:
    """The names a script defines or imports at its top level."""
    names: set[str] = set()
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def _is_submodule(package: str, name: str) -> bool:
    try:
        importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError:
        return False
    return True
