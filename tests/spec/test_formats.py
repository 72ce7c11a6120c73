"""`may_be_pipeline_ir` never turns away a KFP pipeline IR, and lets ordinary Workflows through unparsed."""

from __future__ import annotations

from pathlib import Path

from wfexec.kfp.v2.lint import is_ir_file
from wfexec.spec.formats import may_be_pipeline_ir

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
REPO = Path(__file__).resolve().parents[2]


def test_every_pipeline_ir_of_the_corpus_may_be_one_and_workflows_mostly_not() -> None:
    def files(part: str) -> list[Path]:
        return [f for f in sorted((CORPUS / part).rglob("*")) if f.suffix in (".yaml", ".yml", ".json")]

    ir = [f for f in files("kfp-v2-pipelines") + files("kfp-golden") if is_ir_file(str(f))]
    assert len(ir) > 20
    assert all(may_be_pipeline_ir(f) for f in ir)
    argo = files("argo-examples")
    assert sum(may_be_pipeline_ir(f) for f in argo) < len(argo) / 10


def test_plain_cases(tmp_path: Path) -> None:
    assert not may_be_pipeline_ir(REPO / "examples" / "hello-world.yaml")
    assert not may_be_pipeline_ir(tmp_path)  # a directory is no pipeline file
    assert may_be_pipeline_ir(tmp_path / "missing.yaml")  # the caller says what is wrong
