"""Test-wide set-up: every test session gets its own $WFEXEC_HOME, so nothing touches ~/.wfexec."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SCHEMAS = REPO.parent / "shared" / "schemas"

if "WFEXEC_HOME" not in os.environ or not os.environ.get("WFEXEC_TEST_KEEP_HOME"):
    os.environ["WFEXEC_HOME"] = tempfile.mkdtemp(prefix="wfexec-test-home-")


@pytest.fixture
def wfexec_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh $WFEXEC_HOME for one test; its pod directories on the tmpfs go with it."""
    home = tmp_path / "wfexec-home"
    home.mkdir()
    monkeypatch.setenv("WFEXEC_HOME", str(home))
    yield home
    from wfexec.engine.pod_dirs import scratch_root
    root = scratch_root(home)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def corpus() -> Path:
    assert CORPUS.is_dir(), f"the shared corpus is missing at {CORPUS}"
    return CORPUS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many corpus workflows ended in the phase Argo gives them."""
    for marker, label in (("test_corpus_workflow_ends_in_argos_phase", "control-flow corpus workflows"),):
        passed = [r for r in terminalreporter.stats.get("passed", []) if marker in r.nodeid and r.when == "call"]
        failed = [r for r in terminalreporter.stats.get("failed", []) if marker in r.nodeid]
        if passed or failed:
            terminalreporter.write_line(f"{label}: {len(passed)} matched Argo's phase, {len(failed)} did not")
