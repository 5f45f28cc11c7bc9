"""Imports point one way, as the README's architecture section states; this test holds the code to it.

Every module of the app is parsed (imports inside functions count too) and each import is
checked against the layers:

    config, extensions → core, api_schemas → mail → accounts → kits → events → volunteers → checkin, calendars
        → reports

A domain module (models, services, access, schemas, forms, ...) imports only its own package
and the layers below it. A face (`<package>/views.py`, `<package>/api.py`) imports the domain of
its own layer and below, and never another face. The API plumbing (`api.py`) sits on core.
`app.py`, `cli.py` and `demo.py` gather everything. And no module imports itself back through
another (no cycles).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {
    ".venv",
    "tests",
    "migrations",
    "bench",
    "docs",
    "node_modules",
    "translations",
    "static",
    "templates",
    "instance",
}

#: package or top-level module -> its layer, bottom first
LAYER = {
    "config": 0,
    "extensions": 0,
    "core": 1,
    "api_schemas": 1,
    "mail": 2,
    "accounts": 3,
    "kits": 4,
    "events": 5,
    "volunteers": 6,
    "checkin": 7,
    "calendars": 7,
    "reports": 8,
}
#: the top: they gather every layer (and `api` is the plumbing the faces are registered with)
GATHERERS = {"app", "cli", "demo"}
PLUMBING = {"api"}
FACE_NAMES = {"views", "api"}


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every Python module of the app."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[0] in SKIP or parts[0].startswith("."):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def imports_of(path: Path, module: str, known: set[str]) -> set[str]:
    """The app's modules that `module` imports anywhere in its file (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)] if package else []
                base = ".".join([*anchor, base] if base else anchor)
            # `from events import signals` imports the module events.signals, `from events.models import Visit`
            # the module events.models
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for name in names:
            target = _known_prefix(name, known)
            if target is not None and target != module:
                found.add(target)
    return found


def _known_prefix(name: str, known: set[str]) -> str | None:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def _is_face_name(name: str) -> bool:
    """`views`, `api`, and a large face's other page modules (`team_views`)."""
    return name in FACE_NAMES or name.endswith("_views")


def is_face(module: str) -> bool:
    return module in PLUMBING or module in GATHERERS or (_is_face_name(module.rpartition(".")[2]) and "." in module)


def layer_of(module: str) -> int | None:
    return LAYER.get(module.split(".")[0])


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that breaks the layering, as 'importer -> imported: why'."""
    problems = []
    for module, targets in sorted(graph.items()):
        top = module.split(".")[0]
        for target in sorted(targets):
            why = _why_not(module, top, target)
            if why:
                problems.append(f"{module} -> {target}: {why}")
    return problems


def _why_not(module: str, top: str, target: str) -> str | None:
    if top in GATHERERS:
        return None
    if is_face(target):
        return "a face is imported only by app.py"
    own, theirs = layer_of(module), layer_of(target)
    if top in PLUMBING:
        return None if theirs is not None and theirs <= LAYER["core"] else "the API plumbing sits on core"
    if own is None or theirs is None:
        return f"{module if own is None else target} has no layer: add it to LAYER and to the README"
    if theirs > own:
        return "imports a layer above its own"
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles between modules (Tarjan's strongly connected components of two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = project_modules(root)
    known = set(modules)
    return {name: imports_of(path, name, known) for name, path in modules.items()}


def test_every_import_follows_the_layers():
    graph = import_graph()
    assert {"events.views", "volunteers.signups", "accounts.access", "app"} <= set(graph)
    assert violations(graph) == []


def test_no_module_imports_itself_back():
    assert cycles(import_graph()) == []


def test_the_checker_sees_imports_inside_functions(tmp_path):
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "__init__.py").write_text("")
    (tmp_path / "events" / "services.py").write_text("def f():\n    from volunteers.signups import sign_up\n")
    (tmp_path / "events" / "views.py").write_text("from accounts import views\nfrom . import services\n")
    (tmp_path / "volunteers").mkdir()
    (tmp_path / "volunteers" / "__init__.py").write_text("")
    (tmp_path / "volunteers" / "signups.py").write_text("import events.services\n")
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "__init__.py").write_text("")
    (tmp_path / "accounts" / "views.py").write_text("")
    graph = import_graph(tmp_path)
    assert graph["events.views"] == {"accounts.views", "events.services"}
    assert violations(graph) == [
        "events.services -> volunteers.signups: imports a layer above its own",
        "events.views -> accounts.views: a face is imported only by app.py",
    ]
    assert cycles(graph) == [["events.services", "volunteers.signups"]]


def test_every_package_has_a_layer():
    packages = {name.split(".")[0] for name in project_modules()}
    assert packages - set(LAYER) - GATHERERS - PLUMBING == set()
