"""Shared paths for the KFP component tests."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
COMPONENTS = CORPUS / "kfp-components"
GOLDEN = CORPUS / "kfp-golden" / "resolved-subset.json"


@pytest.fixture
def data_dir() -> Path:
    return DATA
