"""Every Workflow of Argo's examples that wfexec accepts (loads, lints clean) exports to documents
that pass Argo's closed JSON schema strictly, whether local WorkflowTemplates are inlined or emitted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.export.support import COUNTS, assert_cluster_ready, write_config
from wfexec.errors import SpecError
from wfexec.export import ExportOptions, export_path
from wfexec.export.commands import main_containers
from wfexec.export.inline import spec_call_sites
from wfexec.export.source import template_documents
from wfexec.spec.lint import lint_documents
from wfexec.spec.loader import load_file

EX = CORPUS / "argo-examples"
TEMPLATES = template_documents([str(EX / "workflow-template"), str(EX / "cluster-workflow-template")])


def accepted_workflow_files(scratch: Path) -> list[Path]:
    """Files holding a Workflow that loads and lints clean (what `wfexec submit` would take).

    Export takes a file's first Workflow, so a file with several is split, one Workflow (and the
    file's other documents) per piece.
    """
    out = []
    for path in sorted(EX.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        try:
            docs = load_file(path)
        except SpecError:
            continue
        workflows = [d for d in docs if d.kind == "Workflow"]
        if not workflows or lint_documents(docs):
            continue
        if len(workflows) == 1:
            out.append(path)
            continue
        others = [d.data for d in docs if d.kind != "Workflow"]
        for i, wf in enumerate(workflows):
            piece = scratch / f"{path.stem}-workflow-{i + 1}.yaml"
            piece.write_text("\n---\n".join(json.dumps(d) for d in [*others, wf.data]))
            out.append(piece)
    return out


@pytest.mark.parametrize("mode", ["inline", "emit"])
def test_every_accepted_workflow_exports_valid(mode: str, tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    files = accepted_workflow_files(tmp_path)
    assert len(files) >= 190, len(files)
    without_command: list[str] = []
    refs_left = 0
    for path in files:
        result = export_path(str(path), ExportOptions(template_documents=TEMPLATES, config_path=config, mode=mode,
                                                      daemon=False, registry=False))  # type: ignore[arg-type]
        label = str(path.relative_to(EX)) if path.is_relative_to(EX) else path.name
        assert_cluster_ready(result.documents, label)
        assert result.workflow["kind"] == "Workflow"
        for doc in result.documents:
            without_command += [f"{label}: {w}" for w, c, _ in main_containers(doc.get("spec") or {})
                                if not c.get("command") and "{{" not in str(c.get("image"))]
        refs_left += sum("templateRef" in site for site in spec_call_sites(result.workflow["spec"]))
    # the images: index names every image the corpus runs without a command
    assert without_command == []
    if mode == "inline":
        # every templateRef pointed at a template in the corpus, so none is left
        assert refs_left == 0
    assert len(files) == sum(d.kind == "Workflow" for p in files for d in load_file(p))
    COUNTS[f"Argo example workflows exported and strictly valid ({mode} templates)"] = len(files)
