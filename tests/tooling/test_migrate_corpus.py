"""The real migration: the 23 KFP specs as they were before `command` was added for the emissary.

The images are built here to carry the real ENTRYPOINTs. `gcr.io/ml-pipeline/ml-pipeline-gcp`
comes from kubeflow/pipelines' components/gcp/container/Dockerfile, whose last line is
ENTRYPOINT ["python", "-u", "-m", "kfp_component.launcher"]; for those 16 specs the migrated
`command` must equal the one upstream wrote by hand, at the same path in kfp-components/.
The other 7 name images with no Dockerfile upstream (the SDK's compiler test data, and the CI
sample's `helloworld-ci`, built from a directory not in the corpus), so they get stand-ins: one
with an ENTRYPOINT, and one (`my-image`) with only a CMD, where Kubernetes runs the given args
alone, so `args:` becomes `command:`.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.tooling.conftest import cmd, entrypoint, import_image
from wfexec.cli.main import main

BEFORE = "kfp-components-before-emissary-migration"
AFTER = "kfp-components"
GCP_IMAGE = "gcr.io/ml-pipeline/ml-pipeline-gcp:1.6.0"
LAUNCHER = ["python", "-u", "-m", "kfp_component.launcher"]
STAND_INS = {
    "helloworld-ci": [entrypoint("python", "/app/helloworld.py")],
    "gcr.io/my-project/my-image": [cmd("/app/main")],
    "gcr.io/my-project/my-fancy-trainer": [entrypoint("python3", "/trainer/fancy.py")],
    "gcr.io/my-project/my-ingestor": [entrypoint("/bin/ingest")],
    "gcr.io/my-project/my-server": [entrypoint("/bin/serve"), cmd("--port", "8080")],
    "gcr.io/my-project/my-training": [entrypoint("python3", "-m", "trainer")],
}


@pytest.fixture(scope="module")
def corpus_images() -> None:
    import_image(GCP_IMAGE, entrypoint(*LAUNCHER))
    for tag, changes in STAND_INS.items():
        import_image(tag, *changes)


def _container(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())["implementation"]["container"]


def test_corpus_migration(tmp_path: Path, corpus: Path, corpus_images: None, wfexec_home: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "specs"
    shutil.copytree(corpus / BEFORE, work)
    files = sorted(p.relative_to(work) for p in work.rglob("*.yaml"))
    assert len(files) == 23
    assert main(["migrate", "--check", str(work)]) == 1
    assert "23 of 23 file(s) need migration" in capsys.readouterr().out
    assert main(["migrate", str(work)]) == 0
    assert "23 of 23 file(s) migrated" in capsys.readouterr().out

    gcp = [f for f in files if f.parts[:2] == ("components", "gcp")]
    assert len(gcp) == 16
    for rel in gcp:
        migrated, upstream = _container(work / rel), _container(corpus / AFTER / rel)
        assert migrated["command"] == upstream["command"] == LAUNCHER, rel
        assert migrated["args"] == upstream["args"], rel

    for rel in files:
        before = (corpus / BEFORE / rel).read_text().splitlines()
        after = (work / rel).read_text().splitlines()
        changed = [line for line in difflib.ndiff(before, after) if line[:1] in "+-"]
        c = _container(work / rel)
        if c["image"] == "gcr.io/my-project/my-image":  # CMD only: the args are what runs
            assert "args" not in c and changed == ["-     args:", "+     command:"], rel
            assert c["command"][0] == "--arg0"
        else:  # one line added under image:, nothing else touched
            assert len(changed) == 1 and changed[0].startswith("+     command: ["), (rel, changed)

    assert _container(work / "samples/contrib/versioned-pipeline-ci-samples/helloworld-ci-sample/component.yaml") \
        == {"image": "helloworld-ci", "command": ["python", "/app/helloworld.py"]}
    serving = _container(work / "sdk/python/kfp/v2/compiler_cli_tests/test_data/component_yaml/serving_component.yaml")
    assert serving["command"] == ["/bin/serve"] and serving["args"][0] == "--model-to-serve"  # spec args beat CMD

    assert main(["migrate", "--check", str(work)]) == 0
