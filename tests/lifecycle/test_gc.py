"""gc-ttl, pod-gc-strategy*, artifact-gc-workflow: what Argo would delete is gone, and nothing else."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS
from tests.support.moto_server import MotoS3, moto_s3  # noqa: F401 - a fixture
from tests.support.runs import Finished, run_file
from wfexec.artifacts.location import ArtifactLocation
from wfexec.engine import api
from wfexec.engine.artifacts_glue import repository_for_run
from wfexec.engine.gc import apply_retention, pod_gc_of, ttl_seconds
from wfexec.engine.kept_logs import printed_nothing
from wfexec.engine.pod_dirs import PodDirs
from wfexec.engine.store import Store
from wfexec.errors import SpecError, StoreError
from wfexec.spec.loader import load_file

EX = CORPUS / "argo-examples"


def _copy(name: str, dest: Path, **replace: str) -> Path:
    text = (EX / name).read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    out = dest / name
    out.write_text(text)
    return out


def _eventually(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)


def _exists(name: str) -> bool:
    try:
        Store().get_run(name)
        return True
    except StoreError:
        return False


def _pod_dir(run: Finished, display: str) -> Path | None:
    dirs = PodDirs.for_run(run.store.path.parent / "runs" / run.name)
    dirs._disk_used = True
    return dirs.existing(run.by_display(display)["id"])


def test_gc_ttl_deletes_the_run_after_its_ttl_and_nothing_else(wfexec_home: Path, tmp_path: Path) -> None:
    keep = run_file(EX / "hello-world.yaml")
    run = run_file(EX / "gc-ttl.yaml")
    assert run.phase == "Succeeded", run.message
    ended = time.monotonic()
    assert _exists(run.name) and (wfexec_home / "runs" / run.name).is_dir()  # not before secondsAfterSuccess
    _eventually(lambda: not _exists(run.name))
    assert time.monotonic() - ended >= 3  # secondsAfterSuccess is 5 (the store's stamps are whole seconds)
    assert not (wfexec_home / "runs" / run.name).exists()
    assert _exists(keep.name) and (wfexec_home / "runs" / keep.name / "logs").is_dir()
    failing = _copy("gc-ttl.yaml", tmp_path, **{'command: [echo]': 'command: [sh, -c]',
                                               'args: ["hello world"]': 'args: ["exit 3"]',
                                               "secondsAfterFailure: 5": "secondsAfterFailure: 0"})
    store = Store()
    doc = load_file(str(failing))[0]
    rec = api.create_run(store, api.workflow_from_document(doc.data, str(failing), []), api.SubmitOptions())
    assert api.run_foreground(store, rec.name) == "Failed"
    assert not _exists(rec.name)  # secondsAfterFailure (0) wins over secondsAfterCompletion (10)
    assert _exists(keep.name)


def test_ttl_and_pod_gc_fields() -> None:
    spec = {"ttlStrategy": {"secondsAfterCompletion": 10, "secondsAfterSuccess": 5}}
    assert ttl_seconds(spec, "Succeeded") == 5 and ttl_seconds(spec, "Error") == 10
    assert ttl_seconds({}, "Succeeded") is None
    gc = pod_gc_of({"podGC": {"strategy": "OnPodCompletion", "labelSelector": {"matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["a", "b"]}, {"key": "keep", "operator": "DoesNotExist"}]}}})
    assert gc is not None and gc.selects({"tier": "a"}) and not gc.selects({"tier": "c"})
    assert not gc.selects({"tier": "a", "keep": "1"})
    with pytest.raises(SpecError, match="spec.podGC.strategy"):
        pod_gc_of({"podGC": {"strategy": "OnSunday"}})
    with pytest.raises(SpecError, match="deleteDelayDuration"):
        pod_gc_of({"podGC": {"strategy": "OnPodSuccess", "deleteDelayDuration": "soon"}})


def test_pod_gc_strategy_deletes_succeeded_pods_after_the_delay(wfexec_home: Path, tmp_path: Path) -> None:
    path = _copy("pod-gc-strategy.yaml", tmp_path, **{"deleteDelayDuration: 30s": "deleteDelayDuration: 3s"})
    run = run_file(path)
    assert run.phase == "Failed"
    assert _pod_dir(run, "succeed") is not None  # the delay has not passed
    _eventually(lambda: _pod_dir(run, "succeed") is None)
    assert _pod_dir(run, "fail") is not None  # OnPodSuccess: a failed pod stays
    assert run.log(run.by_display("fail")) is not None and _exists(run.name)
    logs = wfexec_home / "runs" / run.name / "logs"  # the logs stay (it printed nothing: an entry, no file)
    assert printed_nothing(logs, run.by_display("succeed")["id"]) == {"main"}


def test_pod_gc_label_selector(wfexec_home: Path, tmp_path: Path) -> None:
    path = _copy("pod-gc-strategy-with-label-selector.yaml", tmp_path,
                 **{"deleteDelayDuration: 30s": "deleteDelayDuration: 1s"})
    run = run_file(path)
    assert run.phase == "Failed"
    _eventually(lambda: _pod_dir(run, "succeed-deleted") is None)
    assert _pod_dir(run, "succeed-not-deleted") is not None  # its label says "false"
    assert _pod_dir(run, "fail") is not None  # selected, but it failed


def _stored(run: Finished, name: str) -> tuple[Any, ArtifactLocation]:
    rec = run.store.get_run(run.name)
    repo, _ = repository_for_run(rec.manifest, rec.options, rec.status)
    art = next(a for a in run.pods()[0]["outputs"]["artifacts"] if a["name"] == name)
    return repo, ArtifactLocation.from_argo(art)


def _artifact_gc(config: str | None) -> None:
    from wfexec.cli.main import main

    run = run_file(EX / "artifact-gc-workflow.yaml", config=config)
    assert run.phase == "Succeeded", run.message
    repo, completion = _stored(run, "on-completion")
    _, deletion = _stored(run, "on-deletion")
    assert not repo.exists(completion)  # OnWorkflowCompletion, the artifact's own strategy
    assert repo.exists(deletion)  # the workflow's OnWorkflowDeletion
    status = run.store.get_run(run.name).status
    assert status["artifactGCStatus"] == {"strategiesProcessed": {"OnWorkflowCompletion": True}}
    assert main(["delete", run.name]) == 0
    assert not repo.exists(deletion) and not _exists(run.name)


def test_artifact_gc_local_repository(wfexec_home: Path) -> None:
    _artifact_gc(None)


def test_artifact_gc_s3_repository(wfexec_home: Path, tmp_path: Path, moto_s3: MotoS3) -> None:  # noqa: F811
    from tests.artifacts_e2e.conftest import s3_config

    moto_s3.client().create_bucket(Bucket="gc-bucket")
    cfg = s3_config(tmp_path, moto_s3, "gc-bucket", "gc-creds")
    keep = moto_s3.client().put_object(Bucket="gc-bucket", Key="unrelated.txt", Body=b"x")
    assert keep
    _artifact_gc(cfg)
    keys = [o["Key"] for o in moto_s3.client().list_objects_v2(Bucket="gc-bucket").get("Contents", [])]
    assert keys == ["unrelated.txt"]


def test_retention_policy_keeps_the_newest(wfexec_home: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("retentionPolicy:\n  completed: 1\n")
    older = run_file(EX / "hello-world.yaml")
    time.sleep(1.1)  # finishedAt is stamped in whole seconds
    newer = run_file(EX / "hello-world.yaml", config=str(cfg))  # its end applies the policy
    assert not _exists(older.name) and _exists(newer.name)
    assert apply_retention(Store(), str(cfg)) == []


WORKFLOW_GC = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: wf-gc-}
spec:
  entrypoint: main
  podGC:
    strategy: STRATEGY
    labelSelector:
      matchExpressions: [{key: keep, operator: DoesNotExist}]
  templates:
  - name: main
    steps:
    - - {name: a, template: ok}
      - {name: b, template: kept}
    - - {name: c, template: last}
  - name: ok
    container: {image: busybox, command: [sh, -c, "exit 0"]}
  - name: kept
    metadata: {labels: {keep: "yes"}}
    container: {image: busybox, command: [sh, -c, "exit 0"]}
  - name: last
    container: {image: busybox, command: [sh, -c, "exit EXIT"]}
"""


@pytest.mark.parametrize(("strategy", "code", "collected"), [
    ("OnWorkflowSuccess", 0, True), ("OnWorkflowSuccess", 1, False), ("OnWorkflowCompletion", 1, True)])
def test_workflow_pod_gc_strategies(wfexec_home: Path, tmp_path: Path, strategy: str, code: int,
                                    collected: bool) -> None:
    src = tmp_path / "wf.yaml"
    src.write_text(WORKFLOW_GC.replace("STRATEGY", strategy).replace("EXIT", str(code)))
    run = run_file(src)
    assert run.phase == ("Succeeded" if code == 0 else "Failed")
    for step in ("a", "c"):
        assert (_pod_dir(run, step) is None) == collected, step
    assert _pod_dir(run, "b") is not None  # its label keeps it out of the selector
