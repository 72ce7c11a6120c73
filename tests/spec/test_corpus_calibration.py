"""Calibration: every real workflow in the shared corpus lints clean, as `argo lint` passes them.

Strict mode applies every keyword of Argo's schema; the few files that really break it are
listed below with the reason, and the test checks that they still do (so the list stays true).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tests.conftest import CORPUS
from wfexec.spec.document import WORKFLOW_KINDS
from wfexec.spec.lint import lint_documents
from wfexec.spec.loader import load_file

ROOTS = (CORPUS / "argo-examples", CORPUS / "kfp-compiled-argo")

#: KFP's v2 backend serialises a zero `metav1.Time` as null; the schema says a date-time string.
NULL_STATUS_TIMES = "status.startedAt/finishedAt are null, and the schema requires strings"
STRICT_EXCEPTIONS = {
    f"kfp-compiled-argo/v2-backend/{name}.yaml": NULL_STATUS_TIMES
    for name in ("artifacts_simple", "component_with_optional_inputs", "concat_message",
                 "conditional_producer_and_consumers", "container_component_with_no_inputs", "container_io",
                 "hello_world", "pipeline_with_loops")
}


@cache
def corpus_documents() -> dict[str, list]:
    """Workflow-kind documents of every YAML/JSON file in the corpus roots, by relative path."""
    found: dict[str, list] = {}
    for root in ROOTS:
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".yaml", ".yml", ".json") or path.name == "grafana-dashboard.json":
                continue
            docs = [d for d in load_file(path) if d.kind in WORKFLOW_KINDS]
            if docs:
                found[str(path.relative_to(CORPUS))] = docs
    return found


def test_corpus_lints_clean_in_default_mode() -> None:
    corpus = corpus_documents()
    everything = [d for docs in corpus.values() for d in docs]
    issues = [str(i) for i in lint_documents(everything)]
    print(f"\nlint calibration: {len(corpus)} files, {len(everything)} workflow documents, {len(issues)} issues")
    assert len(corpus) > 230
    assert issues == []
    # Each file alone, too: templateRefs to other files are not errors when no templates are given.
    for rel, docs in corpus.items():
        assert lint_documents(docs) == [], rel


def test_corpus_in_strict_mode_fails_only_where_the_file_breaks_the_schema() -> None:
    corpus = corpus_documents()
    failing: dict[str, list[str]] = {}
    for rel, docs in corpus.items():
        issues = lint_documents(docs, strict=True)
        if issues:
            failing[rel] = [i.path for i in issues]
    checked = sum(len(d) for d in corpus.values())
    print(f"\nstrict lint calibration: {len(corpus)} files, {checked} documents, "
          f"{len(failing)} known exceptions")
    assert set(failing) == set(STRICT_EXCEPTIONS)
    for rel, paths in failing.items():
        assert set(paths) == {"status.startedAt", "status.finishedAt"}, rel


def test_exception_list_names_real_files() -> None:
    for rel in STRICT_EXCEPTIONS:
        assert Path(CORPUS / rel).is_file(), rel
