"""KFP's own e2e pipelines (corpus/kfp-v2-pipelines/{essential,critical}) run by `wfexec submit` on the host runtime.

Every one ends Succeeded, as KFP's e2e expects, except those that need what one machine without
network cannot have: they fail with one line naming the task and what is missing. For most, the
outputs are checked too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kfp_v2.corpus_expectations import CHECKS, FILES, PARAMS, check_end_state, seed_secrets
from tests.kfp_v2.helpers import submit


@pytest.mark.parametrize("file", FILES, ids=[f.stem for f in FILES])
def test_corpus_pipeline_ends_as_kfp_e2e_expects(file: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    seed_secrets(home)
    wf = submit(home, file, *PARAMS.get(file.stem, []))
    check_end_state(file, wf, home)


def test_at_least_15_pipelines_have_their_outputs_checked() -> None:
    assert len([f for f in FILES if f.stem in CHECKS]) >= 15
