"""KFP v2 pipeline IR for the submit page: its parameters for the form, and the Workflow it compiles to.

The page submits through Argo's API only, which takes Workflows: the server compiles the IR the way
`wfexec submit FILE.yaml` does (same checks, same environments prepared, the run's repository), with the
parameters typed per the IR, and hands the Workflow back for the page to create.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from wfexec.errors import SpecError
from wfexec.spec.formats import PIPELINE_IR_KEYS

SOURCE = "pipeline"


def ir_documents(text: str) -> list[Any] | None:
    """The documents of `text` when it is a pipeline IR; None for anything else (a Workflow, bad YAML)."""
    if not any(key.decode() in text for key in PIPELINE_IR_KEYS):
        return None  # a Workflow is not parsed twice on every keystroke
    from wfexec.kfp.v2.ir import looks_like_ir

    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        return None  # the Workflow loader reports it, at its line
    return docs if looks_like_ir(docs) else None


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def describe(docs: list[Any]) -> dict[str, Any]:
    """The pipeline's name and its parameters (type, default as the form's text, optional, description)."""
    from wfexec.kfp.v2.ir import parse_pipeline

    pipeline = parse_pipeline(docs, SOURCE)
    raw = ((docs[0].get("root") or {}).get("inputDefinitions") or {}).get("parameters") or {}
    params = []
    for name, spec in pipeline.root.inputs.parameters.items():
        entry: dict[str, Any] = {"name": name, "type": spec.type, "optional": spec.optional}
        if spec.has_default:
            entry["default"] = _as_text(spec.default)
        if isinstance(raw.get(name), dict) and raw[name].get("description"):
            entry["description"] = str(raw[name]["description"])
        params.append(entry)
    return {"name": pipeline.name, "parameters": params}


def compile_text(text: str, parameters: dict[str, str], namespace: str) -> dict[str, Any]:
    """`{"workflow": Workflow, "warnings": [...]}`; a SpecError names what is wrong (no temporary path)."""
    from wfexec.config import load_config
    from wfexec.engine.artifact_repos import choose_repository
    from wfexec.kfp.v2.ir import parse_pipeline
    from wfexec.kfp.v2.prepare import prepare_pipeline

    docs = ir_documents(text)
    if docs is None:
        raise SpecError("not a KFP v2 pipeline IR (expected pipelineInfo, root, components, deploymentSpec)")
    runtime = getattr(load_config(None), "runtime", None) or "host"  # the runtime the server's runs use
    repository = choose_repository({}, namespace, None).config  # artifacts go where any run's would
    prepared = prepare_pipeline(parse_pipeline(docs, SOURCE), parameters, runtime, repository)
    return {"workflow": prepared.workflow, "warnings": prepared.warnings}
