"""Which way imports go (docs/ARCHITECTURE.md), read from the sources with `ast`."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "wfexec"
# what the emissary may import besides the stdlib: it runs in containers from a bundle of these
EMISSARY_MAY_IMPORT = {"wfexec", "wfexec.errors", "wfexec.durations", "wfexec.artifacts", "wfexec.artifacts.pack"}
# a package -> packages of wfexec it must never import
FORBIDDEN = {
    "cluster": {"cli"},
    "runtimes": {"cli", "engine", "migrate", "export", "cluster"},
    "executors": {"cli", "engine", "runtimes", "migrate", "cluster"},
    "engine": {"cli"},
    "migrate": {"cli", "runtimes", "engine"},
    "artifacts": {"cli", "engine", "runtimes"},
    "expr": {"cli", "engine", "runtimes"},
    "spec": {"cli", "runtimes"},
}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import in the file; relative imports made absolute."""
    tree = ast.parse(path.read_text(), str(path))
    here = ".".join(path.relative_to(SRC).with_suffix("").parts)
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = here.split(".")[: -node.level]
                module = ".".join([*base, module] if module else base)
            out.append((module, [a.name for a in node.names]))
    return out


def _modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_points_the_wrong_way(package: str) -> None:
    wrong = []
    for path in _modules(package):
        for module, _names in _imports(path):
            parts = module.split(".")
            if parts[0] == "wfexec" and len(parts) > 1 and parts[1] in FORBIDDEN[package]:
                wrong.append(f"{path.relative_to(SRC)} imports {module}")
    assert not wrong


def test_the_emissary_imports_only_the_stdlib_and_its_bundle() -> None:
    wrong = []
    for path in _modules("emissary"):
        for module, _names in _imports(path):
            top = module.split(".")[0]
            if top == "wfexec":
                if not module.startswith("wfexec.emissary") and module not in EMISSARY_MAY_IMPORT:
                    wrong.append(f"{path.relative_to(SRC)} imports {module}")
            elif top and top not in sys.stdlib_module_names:
                wrong.append(f"{path.relative_to(SRC)} imports {module} (not the stdlib)")
    assert not wrong


def test_the_bundled_modules_import_only_the_stdlib() -> None:
    for name in ("durations.py", "errors.py", "artifacts/pack.py"):
        for module, _names in _imports(PACKAGE / name):
            top = module.split(".")[0]
            assert top == "wfexec" and module in EMISSARY_MAY_IMPORT or top in sys.stdlib_module_names, \
                f"{name} imports {module}"


def test_no_private_name_of_another_package_is_imported() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        package = path.relative_to(PACKAGE).parts[0]
        for module, names in _imports(path):
            parts = module.split(".")
            if parts[0] != "wfexec" or len(parts) < 2 or parts[1] == package.removesuffix(".py"):
                continue
            wrong += [f"{path.relative_to(SRC)} imports {module}.{n}" for n in names
                      if n.startswith("_") and not n.startswith("__")]
    assert not wrong
