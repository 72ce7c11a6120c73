"""KFP's e2e pipelines (corpus/kfp-v2-pipelines) on the docker runtime, under both executors (emissary and docker).

The same files, parameters, expected end states and output checks as the host runtime's corpus test
(corpus_expectations.py). Every image the corpus names (`python:3.11`, `alpine`, `jetbrainsinfra/jq`…)
goes through the executor config's imageMap to one image the tests build from the host (docker_image.py),
components' `base_image` included: a lightweight task's own preamble pip-installs its packages in its
container from the image's wheelhouse, then `python3 -m kfp.dsl.executor_main` runs the function. The
launcher (launcher.py) runs on the image's python3, bound in read-only.

One test per (pipeline, executor), so that xdist spreads them; every pipeline under the emissary, all but
two (EMISSARY_ONLY) under the docker executor as well.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.kfp_v2.corpus_expectations import FILES, PARAMS, check_end_state, seed_secrets
from tests.kfp_v2.docker_image import kfp_python_image
from tests.kfp_v2.helpers import submit
from tests.support.docker_daemon import ensure_dockerd
from tests.support.emissary_bundle import share_emissary_bundle
from wfexec.kfp.v2 import lightweight
from wfexec.kfp.v2.ir import load_pipeline

EXECUTORS = ("emissary", "docker")


def _cost(file: Path) -> int:
    """A rough cost of a run: its tasks, and ten for each package installed besides kfp."""
    pipeline = load_pipeline(str(file))
    cost = sum(len(c.tasks) for c in [pipeline.root, *pipeline.components.values()])
    for ex in pipeline.executors.values():
        req = lightweight.requirements(ex.container.command) if ex.container else None
        cost += 10 * len([p for p in req.packages if not p.startswith("kfp")]) if req else 0
    return cost


# The costliest first, so that xdist's workers do not end waiting on one long run.
CASES = [(f, e) for f in sorted(FILES, key=_cost, reverse=True) for e in EXECUTORS]


@pytest.fixture(scope="module")
def docker_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ensure_dockerd()
    path = tmp_path_factory.mktemp("docker-cfg") / "config.yaml"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "workflow-controller-configmap"},
                                "data": {"imageMap": {"*": kfp_python_image()}}}))
    return path


@pytest.mark.docker
@pytest.mark.parametrize(("file", "executor"), CASES, ids=[f"{f.stem}-{e}" for f, e in CASES])
def test_corpus_pipeline_ends_as_on_host(file: Path, executor: str, docker_config: Path, emissary_bundle: Path,
                                        tmp_path: Path) -> None:
    home = tmp_path / "home"
    seed_secrets(home)
    share_emissary_bundle(home, emissary_bundle)  # the run's one bundle (tests/conftest.py)
    wf = submit(home, file, *PARAMS.get(file.stem, []),
                options=("--runtime", "docker", "--executor", executor, "--config", str(docker_config)))
    check_end_state(file, wf, home)
