"""The layering rules that ruff's banned-api cannot state: no import cycle, no cog importing another,
the bot object importing no cog, the settings importing nothing heavy (see ARCHITECTURE.md)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("bot", "cogs", "models", "storage", "ui")  # the project's code; bench/ and tests/ sit outside it


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every project module by its dotted name."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that runs, at any depth; those under `if TYPE_CHECKING:` only serve annotations."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node):
            yield from (found for branch in node.orelse for found in _import_nodes(ast.Module([branch], [])))
        else:
            yield from _import_nodes(node)


def _resolve(name: str) -> str | None:
    """The project module `name` refers to (itself, or the package holding an imported attribute)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


@cache
def imports_of(module: str) -> frozenset[str]:
    """The project modules that `module` imports when it runs."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [f"{base}.{alias.name}" for alias in node.names]
        found.update(target for target in map(_resolve, names) if target and target != module)
    return frozenset(found)


def cycles() -> list[list[str]]:
    """Each import cycle once, as the chain of modules that closes it."""
    found: list[list[str]] = []
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(imports_of(module)):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(modules()):
        if module not in state:
            visit(module, [module])
    return found


def test_the_walker_sees_the_imports_it_must() -> None:
    assert "bot.search.query" in imports_of("bot.search.engine")
    assert "bot.client" in imports_of("cogs.quotes")


def test_no_import_cycle_anywhere() -> None:
    assert cycles() == []


def test_no_cog_imports_another() -> None:
    cogs = {name for name in modules() if name.startswith("cogs.")}
    crossing = {cog: sorted(imports_of(cog) & cogs) for cog in sorted(cogs) if imports_of(cog) & cogs}
    assert crossing == {}


def test_the_bot_object_imports_no_cog() -> None:
    assert sorted(name for name in imports_of("bot.client") if name.split(".")[0] == "cogs") == []


def test_the_settings_load_no_other_project_module() -> None:
    code = f"import sys, bot.config; print(sorted(m for m in sys.modules if m.split('.')[0] in {PACKAGES!r}))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert ast.literal_eval(loaded.stdout) == ["bot", "bot.config", "bot.urls"]


def test_the_ui_imports_no_cog_nor_the_bot_object() -> None:
    ui = [name for name in modules() if name.split(".")[0] == "ui"]
    above = {name: sorted(t for t in imports_of(name) if t.split(".")[0] == "cogs" or t == "bot.client") for name in ui}
    assert {name: targets for name, targets in above.items() if targets} == {}


def test_models_import_nothing_else_from_the_project() -> None:
    models = sorted(name for name in modules() if name.split(".")[0] == "models")
    assert {name: sorted(imports_of(name) - set(models)) for name in models if imports_of(name) - set(models)} == {}


def test_storage_imports_nothing_above_it() -> None:
    below = {"storage", "models"}
    storage = sorted(name for name in modules() if name.split(".")[0] == "storage")
    above = {name: sorted(t for t in imports_of(name) if t.split(".")[0] not in below) for name in storage}
    assert {name: targets for name, targets in above.items() if targets} == {}


_SQL = re.compile(
    r"\b(SELECT\b[\s\S]+\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|VIEW|"
    r"VIRTUAL|TRIGGER)|DROP\s+(TABLE|INDEX)|PRAGMA\s+\w+|MATCH\s+[:?$])"
)


def test_no_sql_outside_storage() -> None:
    found = {}
    for name, path in modules().items():
        if name.split(".")[0] == "storage":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        strings = [node for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
        if hits := [node.lineno for node in strings if _SQL.search(node.value)]:
            found[name] = hits
    assert found == {}


def test_the_sql_pattern_sees_sql() -> None:
    assert _SQL.search("SELECT id FROM episodes WHERE x = ?")
    assert _SQL.search("INSERT OR IGNORE INTO shows (title) VALUES (?)")
    assert _SQL.search("PRAGMA data_version")
    assert not _SQL.search("Select the episode you meant from the list.")


def test_no_cog_reaches_another_at_run_time() -> None:
    """What two cogs share is a domain service on the bot object, not `bot.get_cog(...)`."""
    reaching = [name for name, path in modules().items() if "get_cog(" in path.read_text(encoding="utf-8")]
    assert reaching == []


def test_the_cli_and_the_reindexer_keep_the_discord_ban() -> None:
    """Their storage imports are exempt line by line (`# noqa: TID251`), not the whole file."""
    exempt = {
        name: [line for line in modules()[name].read_text(encoding="utf-8").splitlines() if "TID251" in line]
        for name in ("bot.cli", "bot.reindex")
    }
    assert all(line.startswith("from storage") for lines in exempt.values() for line in lines)
    ignores = tomllib.loads((REPO / "bot" / "ruff.toml").read_text(encoding="utf-8"))["lint"]
    assert set(ignores["extend-per-file-ignores"]) == {"client.py"}
