"""Every container component of the KFP corpus that loads exports, given a sample value for each
required input (by its type), to a Workflow that passes Argo's closed JSON schema strictly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import CORPUS
from tests.export.support import COUNTS, assert_cluster_ready
from wfexec.errors import SpecError
from wfexec.export import ExportOptions, export_path
from wfexec.export.commands import main_containers
from wfexec.kfp import ComponentSpec, load_component

COMPONENTS = CORPUS / "kfp-components"
TYPED_SAMPLES: dict[str, Any] = {"Integer": 1, "int": 1, "Float": 0.5, "float": 0.5, "Boolean": True, "Bool": True,
                                 "bool": True, "JsonArray": [], "List": [], "JsonObject": {}, "Dict": {}}


def sample_arguments(spec: ComponentSpec) -> dict[str, Any]:
    """A value for every required input: typed where the type says how, else a string."""
    out: dict[str, Any] = {}
    for item in spec.inputs:
        if item.optional or item.default is not None:
            continue
        kind = item.type if isinstance(item.type, str) else None
        out[item.name] = TYPED_SAMPLES.get(kind or "", f"sample-{item.name.lower().replace(' ', '-')}")
    return out


def container_components() -> list[tuple[Path, ComponentSpec]]:
    out = []
    for path in sorted(COMPONENTS.rglob("*.yaml")):
        try:
            spec = load_component(path)
        except SpecError:
            continue  # the two specs KFP itself could not load (tests/kfp/test_corpus_load.py)
        if spec.container is not None:
            out.append((path, spec))
    return out


def test_every_container_component_exports_valid(tmp_path: Path) -> None:
    components = container_components()
    assert len(components) >= 350, len(components)
    without_command = 0
    for path, spec in components:
        label = str(path.relative_to(COMPONENTS))
        result = export_path(str(path), ExportOptions(arguments=sample_arguments(spec), daemon=False,
                                                      registry=False, executor="emissary"))
        assert_cluster_ready(result.documents, label)
        [wf] = result.documents
        assert wf["kind"] == "Workflow" and wf["spec"]["entrypoint"] in {t["name"] for t in wf["spec"]["templates"]}
        bare = [c for _, c, _ in main_containers(wf["spec"]) if not c.get("command")]
        assert len(bare) == len(result.missing)  # every container left without a command was reported
        without_command += bool(bare)
    COUNTS["KFP container components exported and strictly valid"] = len(components)
    COUNTS["KFP container components left without a command (reported; no images: index or registry given)"] = without_command


def test_pre_migration_component_gets_its_command_from_the_images_index(tmp_path: Path) -> None:
    """A spec from before the emissary migration: command filled, output directories made by a wrapper."""
    before = CORPUS / "kfp-components-before-emissary-migration"
    path = next(p for p in sorted(before.rglob("*.yaml")) if "{outputPath" in p.read_text())
    spec = load_component(path)
    assert spec.container is not None and not spec.container.command
    config = tmp_path / "config.yaml"
    config.write_text(f"images: |\n  {spec.container.image}:\n    entrypoint: [/entry]\n")
    result = export_path(str(path), ExportOptions(arguments=sample_arguments(spec), config_path=str(config),
                                                  daemon=False, registry=False, executor="emissary"))
    assert result.missing == []
    [template] = [t for t in result.workflow["spec"]["templates"] if "container" in t]
    command = template["container"]["command"]
    assert command[:2] == ["sh", "-c"] and command[2].startswith("mkdir -p -- /tmp/outputs/") and command[3] == "/entry"
    assert_cluster_ready(result.documents, str(path))
