"""An S3 artifact repository end to end, against moto's S3 server on loopback.

The corpus files name buckets that do not exist here (artifact-repository-ref's ConfigMap,
key-only and explicit `s3:` artifacts), so each test creates a moto bucket and writes an
executor config (and ConfigMap file) pointing at it, with credentials in secret files.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.artifacts_e2e.conftest import RUNTIMES, artifact, fetch, s3_config, tgz_members, write_secret
from tests.conftest import CORPUS
from tests.support.moto_server import MotoS3
from tests.support.runs import Finished, run_file
from wfexec.cli.render import workflow_object
from wfexec.engine import api
from wfexec.engine import nodes as N
from wfexec.home import wfexec_home

EX = CORPUS / "argo-examples"
pytestmark = pytest.mark.parametrize(("runtime", "executor"), RUNTIMES)


def _bucket(s3: MotoS3) -> str:
    name = f"wfexec-{uuid.uuid4().hex[:12]}"
    s3.client().create_bucket(Bucket=name)
    return name


def _ok(run: Finished) -> Finished:
    assert run.phase == "Succeeded", (run.message, {n["displayName"]: n.get("message") for n in run.nodes.values()})
    return run


def _assert_no_secret(run: Finished, s3: MotoS3) -> None:
    """Neither `get -o json`, the run store nor anything under the run dir holds a credential."""
    secrets = (s3.secret_key, s3.access_key)
    shown = json.dumps(workflow_object(run.store.get_run(run.name), run.store.get_nodes(run.name)))
    db = run.store.path.read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = run.store.path.with_name(run.store.path.name + suffix)
        if extra.exists():
            db += extra.read_bytes()
    files = [p for p in api.run_dir(run.name).rglob("*") if p.is_file()]
    for secret in secrets:
        assert secret not in shown
        assert secret.encode() not in db
        for p in files:
            assert secret.encode() not in p.read_bytes(), p


def test_s3_repository_passes_artifacts_between_steps(runtime: str, executor: str, moto_s3: MotoS3,
                                                      tmp_path: Path) -> None:
    bucket = _bucket(moto_s3)
    cfg = s3_config(tmp_path, moto_s3, bucket, "e2e-s3-creds")
    run = _ok(run_file(EX / "artifact-passing.yaml", runtime=runtime, executor=executor, config=cfg))
    gen = run.by_display("generate-artifact")
    art = artifact(gen, "hello-art")
    key = f"{run.name}/{N.pod_name(run.name, gen['name'], gen['templateName'])}/hello-art.tgz"
    assert art["s3"]["key"] == key and art["s3"]["bucket"] == bucket and art["s3"]["endpoint"] == moto_s3.endpoint
    body = moto_s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    (tmp_path / "o.tgz").write_bytes(body)
    assert tgz_members(tmp_path / "o.tgz") == {"hello_world.txt": b"hello world\n"}
    assert run.log(run.by_display("consume-artifact")) == "hello world\n"
    ref = run.workflow["status"]["artifactRepositoryRef"]
    assert ref["default"] is True and ref["artifactRepository"]["s3"]["bucket"] == bucket
    assert fetch(run, art, tmp_path / "copied").read_text() == "hello world\n"
    _assert_no_secret(run, moto_s3)


def test_artifact_repository_ref_from_a_configmap_file(runtime: str, executor: str, moto_s3: MotoS3,
                                                       tmp_path: Path) -> None:
    """artifact-repository-ref.yaml (key: my-key): the ConfigMap comes from the config's `configMaps:`."""
    bucket = _bucket(moto_s3)
    write_secret("e2e-ref-creds", "accessKey", moto_s3.access_key)
    write_secret("e2e-ref-creds", "secretKey", moto_s3.secret_key)
    (tmp_path / "repos.yaml").write_text(f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: artifact-repositories
  annotations:
    workflows.argoproj.io/default-artifact-repository: default-v1
data:
  default-v1: |
    local: {{}}
  my-key: |
    archiveLogs: true
    s3:
      bucket: {bucket}
      endpoint: {moto_s3.endpoint}
      insecure: true
      keyFormat: "by-ref/{{{{workflow.name}}}}/{{{{pod.name}}}}"
      accessKeySecret: {{name: e2e-ref-creds, key: accessKey}}
      secretKeySecret: {{name: e2e-ref-creds, key: secretKey}}
""")
    cfg = tmp_path / "config.yaml"
    cfg.write_text("configMaps: [repos.yaml]\n")
    run = _ok(run_file(EX / "artifact-repository-ref.yaml", runtime=runtime, executor=executor, config=str(cfg)))
    (pod,) = run.pods()
    art = artifact(pod, "hello_world")
    assert art["s3"]["key"] == f"by-ref/{run.name}/{run.name}/hello_world.tgz"
    logs = artifact(pod, "main-logs")  # archiveLogs from the repository config
    assert logs["s3"]["key"] == f"by-ref/{run.name}/{run.name}/main.log"
    body = moto_s3.client().get_object(Bucket=bucket, Key=logs["s3"]["key"])["Body"].read()
    assert body == b"hello world\n"
    ref = run.workflow["status"]["artifactRepositoryRef"]
    assert (ref["configMap"], ref["key"]) == ("artifact-repositories", "my-key")
    _assert_no_secret(run, moto_s3)


def test_unknown_repository_ref_key_is_a_clear_error(runtime: str, executor: str, tmp_path: Path) -> None:
    (tmp_path / "repos.yaml").write_text("kind: ConfigMap\nmetadata: {name: artifact-repositories}\n"
                                         "data: {other: 'local: {}'}\n")
    (tmp_path / "config.yaml").write_text("configMaps: [repos.yaml]\n")
    run = run_file(EX / "artifact-repository-ref.yaml", runtime=runtime, executor=executor,
                   config=str(tmp_path / "config.yaml"))
    (pod,) = run.pods()
    assert pod["phase"] == "Error"
    assert "hello_world" in pod["message"] and "no key 'my-key'" in pod["message"], pod["message"]
    assert "Traceback" not in pod["message"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wf.yaml"
    path.write_text(text)
    return path


def test_key_only_and_explicit_bucket_artifacts(runtime: str, executor: str, moto_s3: MotoS3,
                                                tmp_path: Path) -> None:
    """Argo's key-only artifacts use the repository; an explicit `s3:` block its own bucket and secrets."""
    repo_bucket, other_bucket = _bucket(moto_s3), _bucket(moto_s3)
    cfg = s3_config(tmp_path, moto_s3, repo_bucket, "e2e-key-creds")
    write_secret("e2e-other-creds", "accessKey", moto_s3.access_key)
    write_secret("e2e-other-creds", "secretKey", moto_s3.secret_key)
    key = f"fixed/{uuid.uuid4().hex}/file"
    wf = _write(tmp_path, f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: key-only-}}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {{name: generate, template: generate}}
      - name: consume
        depends: generate
        template: consume
        arguments:
          artifacts:
          - {{name: other, from: "{{{{tasks.generate.outputs.artifacts.other}}}}"}}
  - name: generate
    container:
      image: busybox
      command: [sh, -c, "echo key-only > /tmp/file; echo elsewhere > /tmp/other"]
    outputs:
      artifacts:
      - name: file
        path: /tmp/file
        s3: {{key: {key}}}
      - name: other
        path: /tmp/other
        s3:
          bucket: {other_bucket}
          endpoint: {moto_s3.endpoint}
          insecure: true
          key: explicit/other.tgz
          accessKeySecret: {{name: e2e-other-creds, key: accessKey}}
          secretKeySecret: {{name: e2e-other-creds, key: secretKey}}
  - name: consume
    inputs:
      artifacts:
      - name: file
        path: /tmp/in/file
        s3: {{key: {key}}}
      - {{name: other, path: /tmp/in/other}}
    container:
      image: busybox
      command: [sh, -c, "cat /tmp/in/file /tmp/in/other"]
""")
    run = _ok(run_file(wf, runtime=runtime, executor=executor, config=cfg))
    gen = run.by_display("generate")
    assert artifact(gen, "file")["s3"]["key"] == key
    other = artifact(gen, "other")
    assert other["s3"]["bucket"] == other_bucket and other["s3"]["key"] == "explicit/other.tgz"
    assert other["s3"]["accessKeySecret"] == {"name": "e2e-other-creds", "key": "accessKey"}
    client = moto_s3.client()
    client.head_object(Bucket=repo_bucket, Key=key)
    client.head_object(Bucket=other_bucket, Key="explicit/other.tgz")
    assert run.log(run.by_display("consume")) == "key-only\nelsewhere\n"
    _assert_no_secret(run, moto_s3)


def test_s3_input_artifact_with_its_own_block(runtime: str, executor: str, moto_s3: MotoS3,
                                              tmp_path: Path) -> None:
    """input-artifact-s3 style: endpoint, bucket, key and secrets given on the input itself."""
    bucket = _bucket(moto_s3)
    write_secret("e2e-in-creds", "accessKey", moto_s3.access_key)
    write_secret("e2e-in-creds", "secretKey", moto_s3.secret_key)
    client = moto_s3.client()
    client.put_object(Bucket=bucket, Key="path/in/bucket/a.txt", Body=b"A\n")
    client.put_object(Bucket=bucket, Key="path/in/bucket/sub/b.txt", Body=b"B\n")
    wf = _write(tmp_path, f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: input-s3-}}
spec:
  entrypoint: main
  templates:
  - name: main
    inputs:
      artifacts:
      - name: my-art
        path: /tmp/my-artifact
        mode: 488  # 0750; decimal, since YAML 1.2 reads 0750 as 750
        s3:
          endpoint: {moto_s3.endpoint}
          insecure: true
          bucket: {bucket}
          key: path/in/bucket
          accessKeySecret: {{name: e2e-in-creds, key: accessKey}}
          secretKeySecret: {{name: e2e-in-creds, key: secretKey}}
    container:
      image: busybox
      command: [sh, -c, "cat /tmp/my-artifact/a.txt /tmp/my-artifact/sub/b.txt; stat -c %a /tmp/my-artifact"]
""")
    run = _ok(run_file(wf, runtime=runtime, executor=executor))
    assert run.log(run.pods()[0]) == "A\nB\n750\n"
    _assert_no_secret(run, moto_s3)


def test_secret_missing_is_a_clear_error(runtime: str, executor: str, moto_s3: MotoS3, tmp_path: Path) -> None:
    bucket = _bucket(moto_s3)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"artifactRepository:\n  s3:\n    bucket: {bucket}\n    endpoint: {moto_s3.endpoint}\n"
                   "    insecure: true\n    accessKeySecret: {name: e2e-absent, key: accessKey}\n"
                   "    secretKeySecret: {name: e2e-absent, key: secretKey}\n")
    run = run_file(EX / "artifact-passing.yaml", runtime=runtime, executor=executor, config=str(cfg))
    gen = run.by_display("generate-artifact")
    assert run.phase == "Failed" and gen["phase"] == "Error"
    assert "hello-art" in gen["message"] and "secret e2e-absent/accessKey not found" in gen["message"]
    assert str(wfexec_home() / "secrets") in gen["message"]
    # Steps that store nothing never read the credentials, so they run as usual.
    _ok(run_file(EX / "hello-world.yaml", runtime=runtime, executor=executor, config=str(cfg)))
