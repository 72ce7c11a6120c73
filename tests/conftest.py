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


@pytest.fixture(scope="session", autouse=True)
def emissary_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The emissary bundle folder every home of this run links to (the session's home too)."""
    from tests.support.emissary_bundle import share_emissary_bundle, shared_bundle_dir

    shared = shared_bundle_dir(tmp_path_factory)
    if not os.environ.get("WFEXEC_TEST_KEEP_HOME"):
        share_emissary_bundle(Path(os.environ["WFEXEC_HOME"]), shared)
    return shared


@pytest.fixture
def wfexec_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emissary_bundle: Path) -> Iterator[Path]:
    """A fresh $WFEXEC_HOME for one test (sharing the run's emissary bundle); its pod directories on the
    tmpfs go with it."""
    from tests.support.emissary_bundle import share_emissary_bundle

    home = tmp_path / "wfexec-home"
    home.mkdir()
    share_emissary_bundle(home, emissary_bundle)
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
