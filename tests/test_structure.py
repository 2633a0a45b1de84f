"""The shape of the code: dependencies point inward, no import cycle, small
modules. Read from the source (every import a module runs, at its top or in
a function; imports for type checking only are left out)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Each package may import only those before it.
LAYERS = ("domain", "adapters", "projections", "crm", "api", "cli")
#: What the domain never imports: storage, HTTP, the command line.
NOT_IN_DOMAIN = ("sqlite3", "psycopg", "click", "fastapi", "uvicorn", "http", "urllib")
MAX_LINES = 400


def _modules(*folders: str) -> Iterator[tuple[str, Path]]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path) -> set[str]:
    """Every module a file imports when it runs."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text("utf-8")))
    return found


def _graph() -> dict[str, set[str]]:
    modules = dict(_modules(*LAYERS))
    return {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_no_import_cycle_among_the_packages() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            pytest.fail(f"import cycle: {' -> '.join(cycle)}")
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_each_package_imports_only_the_packages_inside_it() -> None:
    wrong = []
    for name, path in _modules(*LAYERS):
        layer = LAYERS.index(name.split(".")[0])
        for imported in _imports(path):
            top = imported.split(".")[0]
            if top in LAYERS and LAYERS.index(top) > layer:
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_the_domain_imports_no_adapter() -> None:
    wrong = [
        f"{name} imports {imported}"
        for name, path in _modules("domain")
        for imported in _imports(path)
        if imported.split(".")[0] in NOT_IN_DOMAIN
    ]
    assert wrong == []


def test_the_tests_do_not_import_the_benchmarks() -> None:
    wrong = [
        f"{name} imports {imported}"
        for name, path in _modules("tests")
        for imported in _imports(path)
        if imported.split(".")[0] == "bench"
    ]
    assert wrong == []


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: n
        for name, path in _modules(*LAYERS, "tests", "bench")
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_checks_see_the_code() -> None:
    graph = _graph()
    assert "domain.process" in graph["domain.opportunity"]
    assert "domain.opportunity" in graph["domain.application"]
    assert "projections.sqlite_store" in graph["projections.connect"]


def test_the_readme_gives_every_read_model_column_with_its_type_and_meaning() -> None:
    from projections.schema import TABLES

    readme = (ROOT / "README.md").read_text("utf-8")
    missing = [
        f"{t.name}.{name}"
        for t in TABLES
        for name, kind, meaning in t.spec
        if f"| `{name}` | {kind} | {meaning} |" not in readme
    ]
    assert missing == []


def test_every_package_is_installed_by_a_plain_pip_install() -> None:
    # `pip install .` (the README's demo command) installs only the packages
    # pyproject names: a subpackage left out worked in the editable install
    # and failed at the first command of a plain one.
    import tomllib

    root = Path(__file__).resolve().parent.parent
    listed = set(
        tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(root).parts)
        for top in ("domain", "adapters", "projections", "api", "cli")
        for init in (root / top).rglob("__init__.py")
    }
    assert found <= listed, found - listed
