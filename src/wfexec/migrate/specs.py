"""Find the containers in KFP v1 component specs and Argo workflows, and which lack `command`.

The emissary must know each container's command; Docker did not. These are the places a spec
names an image: `implementation.container` (KFP), and in Argo templates `container`, `script`,
`containerSet.containers[*]`, `initContainers[*]` and `sidecars[*]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from wfexec.errors import SpecError

ARGO_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class ContainerSite:
    """One container mapping in a document, with a readable path to it."""

    doc_index: int
    path: str
    node: Any  # the ruamel CommentedMap, edited in place by migrate
    image: str | None
    kind: str  # "container" or "script"

    @property
    def has_command(self) -> bool:
        return bool(self.node.get("command"))

    @property
    def line(self) -> int | None:
        try:
            return self.node.lc.line + 1
        except AttributeError:
            return None


def rt_yaml() -> YAML:
    """A round-trip loader that keeps quotes, comments and long lines as they are."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def spec_files(paths: list[str]) -> list[Path]:
    """Files named, and the YAML files under directories named, in a stable order."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
        elif path.is_file():
            out.append(path)
        else:
            raise SpecError("no such file or directory", file=raw)
    return list(dict.fromkeys(out))


def load_documents(file: Path) -> list[Any]:
    try:
        return [d for d in rt_yaml().load_all(file.read_text())]
    except YAMLError as exc:
        raise SpecError(f"not valid YAML: {' '.join(str(exc).split())}", file=str(file)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read: {exc}", file=str(file)) from None


def document_kind(doc: Any) -> str | None:
    """"component" (KFP v1), an Argo kind, or None for anything else."""
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("implementation"), dict):
        return "component"
    if doc.get("kind") in ARGO_KINDS:
        return str(doc["kind"])
    return None


def _templates(doc: Any) -> list[Any]:
    spec = doc.get("spec") or {}
    if doc.get("kind") == "CronWorkflow":
        spec = spec.get("workflowSpec") or {}
    templates = spec.get("templates") if isinstance(spec, dict) else None
    return templates if isinstance(templates, list) else []


def containers(doc: Any, doc_index: int = 0) -> Iterator[ContainerSite]:
    """Every container mapping in one document."""
    kind = document_kind(doc)
    if kind == "component":
        container = doc["implementation"].get("container")
        if isinstance(container, dict):
            yield ContainerSite(doc_index, "implementation.container", container, container.get("image"), "container")
        return
    if kind is None:
        return
    base = "spec.workflowSpec.templates" if kind == "CronWorkflow" else "spec.templates"
    for i, tmpl in enumerate(_templates(doc)):
        if not isinstance(tmpl, dict):
            continue
        where = f"{base}[{i}]" + (f" ({tmpl['name']})" if tmpl.get("name") else "")
        for key in ("container", "script"):
            node = tmpl.get(key)
            if isinstance(node, dict):
                yield ContainerSite(doc_index, f"{where}.{key}", node, node.get("image"), key)
        lists = [("initContainers", tmpl.get("initContainers")), ("sidecars", tmpl.get("sidecars"))]
        cset = tmpl.get("containerSet")
        if isinstance(cset, dict):
            lists.insert(0, ("containerSet.containers", cset.get("containers")))
        for name, items in lists:
            for j, node in enumerate(items if isinstance(items, list) else []):
                if isinstance(node, dict):
                    yield ContainerSite(doc_index, f"{where}.{name}[{j}]", node, node.get("image"), "container")


def file_containers(file: Path) -> tuple[list[Any], list[ContainerSite]]:
    docs = load_documents(file)
    sites = [site for i, doc in enumerate(docs) for site in containers(doc, i)]
    return docs, sites


def is_templated(image: str | None) -> bool:
    """An image given by a `{{…}}` expression cannot be looked up before the run."""
    return bool(image) and "{{" in str(image)
