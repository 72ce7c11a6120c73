"""Hostile and broken input fails cleanly: a lint error, or a run that ends Failed/Error, never a traceback.

These cases mirror the malformed workflows that Argo's own end-to-end tests expect to fail
(argo-workflows `test/e2e/testdata/malformed`, `test/e2e/lintfail`, `test/e2e/expectedfailures`),
rewritten here in our own words: each file in data/ names the Argo case it mirrors and says what
it expects in its first line, `# expect: lint` (rejected before anything runs) or
`# expect: Failed|Error` (the run ends in one of these phases), `|` meaning either.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.resilience.helpers import wfexec

DATA = Path(__file__).resolve().parent / "data"
CASES = sorted(DATA.glob("*.yaml"))


def _expected(path: Path) -> set[str]:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: first line must say what to expect"
    return set(first.removeprefix("# expect: ").split("|"))


def test_every_case_says_which_argo_case_it_mirrors() -> None:
    assert len(CASES) >= 12
    for case in CASES:
        assert "mirrors Argo's" in case.read_text(), case.name


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_malformed_input_fails_cleanly(case: Path, wfexec_home: Path) -> None:
    expected = _expected(case)
    lint = wfexec("lint", str(case), home=wfexec_home)
    for out in (lint.stdout, lint.stderr):
        assert "Traceback" not in out
    if lint.returncode != 0:
        assert "lint" in expected, f"{case.name}: rejected by lint, expected {expected}:\n{lint.stdout}{lint.stderr}"
        text = lint.stdout + lint.stderr
        assert case.name in text, f"the lint error does not name the file:\n{text}"
        sub = wfexec("submit", str(case), "--wait", home=wfexec_home)
        assert sub.returncode != 0 and "nothing was submitted" in sub.stderr, sub.stderr
        return
    assert expected - {"lint"}, f"{case.name}: lint accepted it, expected a lint error"
    res = wfexec("submit", str(case), "--wait", "-o", "json", home=wfexec_home, timeout=120)
    assert res.returncode == 1, res.stderr
    status = json.loads(res.stdout)["status"]
    assert status["phase"] in expected, (status["phase"], status.get("message"))
    culprits = [n for n in status["nodes"].values() if n["phase"] in ("Failed", "Error")]
    assert culprits and all(n.get("message") for n in culprits), culprits
    assert status.get("message"), "the run ended without saying why"
