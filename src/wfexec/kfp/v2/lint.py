"""`wfexec lint` for KFP v2 pipeline IR files: everything `submit` checks before it starts a run."""

from __future__ import annotations

from pathlib import Path

from wfexec.errors import SpecError
from wfexec.kfp.v2.compile import Compiler, Runtime
from wfexec.kfp.v2.ir import load_pipeline, looks_like_ir, read_documents
from wfexec.spec.issue import LintIssue


def is_ir_file(path: str) -> bool:
    if not Path(path).is_file() or not path.endswith((".yaml", ".yml", ".json")):
        return False
    try:
        return looks_like_ir(read_documents(path))
    except SpecError:
        return False


def lint_ir(path: str) -> list[LintIssue]:
    """At most one issue: the first thing that is wrong, with its field (the IR is checked in one pass)."""
    try:
        pipeline = load_pipeline(path)
        compiler = Compiler(pipeline, Runtime(kfp_root="/nonexistent", launcher_python="python3"))
        compiler.workflow({})
    except SpecError as exc:
        return [LintIssue(path, exc.line, exc.field or "", exc.detail)]
    return []
