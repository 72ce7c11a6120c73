"""One emissary bundle for every wfexec home a test session makes.

The docker runtime builds its bundle under `$WFEXEC_HOME/emissary-bundle/<version>/` (a second or two of CPU
compiling its stdlib); a fresh home, per test or per xdist worker, would build it again. Linking that folder
of each home to one shared folder lets the first build serve them all: the product already builds there
under a temporary name and renames it into place, so parallel builders never see half a bundle.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def shared_bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this run shares (the one above each worker's own base)."""
    shared = tmp_path_factory.getbasetemp().parent / "wfexec-emissary-bundle"
    shared.mkdir(exist_ok=True)
    return shared


def share_emissary_bundle(home: Path, shared: Path) -> None:
    """`home/emissary-bundle` made a link to `shared`, unless the home already has its own."""
    link = home / "emissary-bundle"
    if not link.exists() and not link.is_symlink():
        home.mkdir(parents=True, exist_ok=True)
        link.symlink_to(shared)
