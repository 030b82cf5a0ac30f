"""The layout rules of ARCHITECTURE.md, checked on the source so they stay true as features land."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500
DISCORD_SIDE = {"bot.core", "bot.logs", "bot.runner", "bot.tree", "bot.ui"}  # may import discord


def modules(*packages: str) -> dict[str, Path]:
    """Dotted module name → file, for every Python file under the given top-level packages."""
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The project modules ``name`` imports, anywhere in the file (also inside functions and TYPE_CHECKING)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target in known:
                yield target


def import_graph(*packages: str) -> dict[str, set[str]]:
    known = modules(*packages)
    return {name: set(imported(name, path, known)) - {name} for name, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_find_cycle_finds_a_circle_and_accepts_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_relative_and_absolute_imports_are_both_seen(tmp_path: Path) -> None:
    source = tmp_path / "helper.py"
    source.write_text("from . import other\nfrom .other import x\nimport pkg.third\n", encoding="utf-8")
    known = {"pkg.helper": source, "pkg.other": source, "pkg.third": source, "pkg": source}
    assert set(imported("pkg.helper", source, known)) == {"pkg", "pkg.other", "pkg.third"}


def test_cogs_have_no_import_circle() -> None:
    assert find_cycle(import_graph("cogs")) is None


def test_bot_and_cogs_together_have_no_import_circle() -> None:
    assert find_cycle(import_graph("bot", "cogs")) is None


def test_no_cog_module_imports_an_extension() -> None:
    """Extensions (cogs/<feature>.py) are leaves: helpers (cogs/_<feature>_*.py) never import them back."""
    graph = import_graph("cogs")
    extensions = {name for name in graph if not name.rpartition(".")[2].startswith("_")} - {"cogs"}
    offending = {name: sorted(deps & extensions) for name, deps in graph.items() if deps & extensions}
    assert offending == {}


def test_the_domain_imports_nothing_from_discord_or_the_cogs() -> None:
    offending = {}
    for name, path in modules("bot").items():
        if any(name == side or name.startswith(side + ".") for side in DISCORD_SIDE):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        bad = sorted(n for n in names if n.split(".")[0] in ("discord", "cogs"))
        if bad:
            offending[name] = bad
    assert offending == {}


@pytest.mark.parametrize("package", ["bot", "cogs"])
def test_no_module_is_over_500_lines(package: str) -> None:
    long = {str(path.relative_to(ROOT)): count for path in sorted((ROOT / package).rglob("*.py"))
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"split these by responsibility (ARCHITECTURE.md): {long}"
