"""Repositories: keys in Argo's layout, the local default, artifactRepositoryRef, and S3 on moto."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.moto_server import MotoS3
from wfexec.artifacts.keys import artifact_file_name, output_key, render_key
from wfexec.artifacts.local_repo import LocalRepository
from wfexec.artifacts.location import ArtifactLocation
from wfexec.artifacts.repository import make_repository, resolve_repository_ref
from wfexec.artifacts.s3_repo import S3Repository
from wfexec.errors import ArtifactError, ConfigError, UnsafeArchiveError

VARS = {"workflow.name": "hello-x7k2p", "pod.name": "hello-x7k2p-123", "workflow.namespace": "argo",
        "workflow.creationTimestamp": datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)}


def test_default_key_layout_is_argos() -> None:
    assert output_key(None, VARS, artifact_file_name("result", "/tmp/r.txt", None)) == \
        "hello-x7k2p/hello-x7k2p-123/result.tgz"
    assert artifact_file_name("result", "/tmp/r.txt", {"none": {}}) == "r.txt"
    assert artifact_file_name("result", "/tmp/r", {"zip": {}}) == "result.zip"


def test_key_format_with_timestamps() -> None:
    fmt = "{{workflow.creationTimestamp.Y}}/{{workflow.creationTimestamp.m}}/{{workflow.creationTimestamp.d}}" \
          "/{{ workflow.name }}/{{pod.name}}"
    assert render_key(fmt, VARS) == "2026/03/04/hello-x7k2p/hello-x7k2p-123"
    assert render_key("{{workflow.creationTimestamp.Y}}", {"workflow.creationTimestamp": "2025-01-02T03:04:05Z"}) \
        == "2025"


@pytest.mark.parametrize("fmt", ["{{workflow.uid}}/x", "../{{workflow.name}}", "/abs/../../x"])
def test_bad_key_formats_are_clear_errors(fmt: str) -> None:
    with pytest.raises(ArtifactError, match="keyFormat|leaves"):
        render_key(fmt, VARS)


def test_local_repository_default_lives_in_wfexec_home(wfexec_home: Path, tmp_path: Path) -> None:
    repo = make_repository(None)
    assert isinstance(repo, LocalRepository) and repo.root == wfexec_home / "artifacts"
    src = tmp_path / "f.tgz"
    src.write_bytes(b"payload")
    loc = repo.put(src, "wf/pod/out.tgz", name="out")
    assert (wfexec_home / "artifacts" / "wf" / "pod" / "out.tgz").read_bytes() == b"payload"
    assert loc.to_argo() == {"name": "out", "local": {"key": "wf/pod/out.tgz", "root": str(repo.root)}}
    assert repo.exists(loc)
    back = ArtifactLocation.from_argo(loc.with_name("out", "/tmp/out").to_argo())
    assert back.key == loc.key and back.path == "/tmp/out"
    assert repo.get(back, tmp_path / "back").read_bytes() == b"payload"
    repo.delete(loc)
    assert not repo.exists(loc)
    with pytest.raises(ArtifactError, match="not found"):
        repo.get(loc, tmp_path / "again")


def test_local_repository_stores_directories_and_refuses_escaping_keys(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "repo")
    d = tmp_path / "d"
    (d / "s").mkdir(parents=True)
    (d / "s" / "f").write_text("x")
    loc = repo.put(d, "wf/p/d")
    assert repo.get(loc, tmp_path / "out").joinpath("s", "f").read_text() == "x"
    with pytest.raises(ArtifactError, match="leaves the repository"):
        repo.put(d / "s" / "f", "../../evil")
    assert not (tmp_path / "evil").exists()


def test_a_killed_writers_copy_is_removed_by_the_next_write_a_live_ones_is_not(tmp_path: Path) -> None:
    """A writer killed mid-copy (the engine's kill -9) leaves its temporary directory; its lock went
    with it. A writer still copying holds its lock, and keeps its directory."""
    import fcntl
    import os
    import signal

    repo = LocalRepository(tmp_path / "repo")
    src = tmp_path / "a.txt"
    src.write_text("made\n")
    key_dir = tmp_path / "repo" / "run" / "pod"
    key_dir.mkdir(parents=True)
    abandoned = key_dir / ".art.tgz.k1ll3d"
    (abandoned / "part").mkdir(parents=True)
    (abandoned / "part" / "half").write_text("half a copy")
    live = key_dir / ".art.tgz.l1v3"
    live.mkdir()
    r, w = os.pipe()
    child = os.fork()
    if child == 0:  # a writer that is still copying: it holds its directory's lock
        fd = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(w, b"locked")
        signal.pause()
        os._exit(0)
    os.close(w)
    try:
        assert os.read(r, 16) == b"locked"
        repo.put(src, "run/pod/art.tgz")
        assert sorted(p.name for p in key_dir.iterdir()) == [".art.tgz.l1v3", "art.tgz"]
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        os.close(r)
    repo.put(src, "run/pod/art.tgz")  # that writer is gone now: its directory goes with the next write
    assert sorted(p.name for p in key_dir.iterdir()) == ["art.tgz"]
    assert (key_dir / "art.tgz").read_text() == "made\n"


def test_archive_logs_and_explicit_local_path(tmp_path: Path) -> None:
    repo = make_repository({"archiveLogs": True, "local": {"path": str(tmp_path / "r"), "keyFormat": "k/{{pod.name}}"}})
    assert repo.archive_logs and repo.key_format == "k/{{pod.name}}" and repo.root == tmp_path / "r"
    with pytest.raises(ConfigError, match="gcs"):
        make_repository({"gcs": {"bucket": "b"}})


CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: other
data: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: artifact-repositories
  annotations:
    workflows.argoproj.io/default-artifact-repository: default-v1
data:
  default-v1: |
    archiveLogs: true
    s3:
      bucket: my-bucket
      endpoint: minio:9000
      insecure: true
      accessKeySecret: {name: my-minio-cred, key: accesskey}
      secretKeySecret: {name: my-minio-cred, key: secretkey}
  my-key: |
    local:
      path: /srv/artifacts
"""


def test_resolve_repository_ref(tmp_path: Path) -> None:
    f = tmp_path / "cm.yaml"
    f.write_text(CM)
    cfg = resolve_repository_ref({}, [f])
    assert cfg["archiveLogs"] is True and cfg["s3"]["bucket"] == "my-bucket"
    assert resolve_repository_ref({"configMap": "artifact-repositories", "key": "my-key"}, [f]) == \
        {"local": {"path": "/srv/artifacts"}}
    with pytest.raises(ConfigError, match="no key 'nope'"):
        resolve_repository_ref({"key": "nope"}, [f])
    with pytest.raises(ConfigError, match="no ConfigMap named 'missing'"):
        resolve_repository_ref({"configMap": "missing"}, [f])


# --- S3 on a real (moto) server ---------------------------------------------------------


@pytest.fixture
def bucket(moto_s3: MotoS3, request: pytest.FixtureRequest) -> str:
    name = "b-" + request.node.name.lower().replace("_", "-")[:50]
    moto_s3.client().create_bucket(Bucket=name)
    return name


def _secrets(home: Path, s3: MotoS3) -> None:
    d = home / "secrets" / "my-minio-cred"
    d.mkdir(parents=True)
    (d / "accesskey").write_text(s3.access_key + "\n")
    (d / "secretkey").write_text(s3.secret_key)


def test_s3_round_trip_with_secret_files(moto_s3: MotoS3, bucket: str, wfexec_home: Path, tmp_path: Path) -> None:
    _secrets(wfexec_home, moto_s3)
    repo = make_repository({"s3": {"endpoint": moto_s3.endpoint, "bucket": bucket, "insecure": True,
                                   "accessKeySecret": {"name": "my-minio-cred", "key": "accesskey"},
                                   "secretKeySecret": {"name": "my-minio-cred", "key": "secretkey"}}})
    assert isinstance(repo, S3Repository)
    src = tmp_path / "a.tgz"
    src.write_bytes(b"\x1f\x8b" + b"y" * 5000)
    loc = repo.put(src, "wf/pod/a.tgz", name="a")
    assert loc.to_argo() == {"name": "a", "s3": {"key": "wf/pod/a.tgz", "bucket": bucket,
                                                 "endpoint": moto_s3.endpoint, "insecure": True}}
    obj = moto_s3.client().get_object(Bucket=bucket, Key="wf/pod/a.tgz")
    assert obj["Body"].read() == src.read_bytes()
    assert repo.exists(loc)
    assert repo.get(loc, tmp_path / "got").read_bytes() == src.read_bytes()
    repo.delete(loc)
    assert not repo.exists(loc)
    with pytest.raises(ArtifactError, match=r"artifact 'a'.*not found"):
        repo.get(loc, tmp_path / "gone")


def test_s3_directory_with_env_credentials(moto_s3: MotoS3, bucket: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto_s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto_s3.secret_key)
    repo = make_repository({"s3": {"endpoint": moto_s3.url, "bucket": bucket}})
    d = tmp_path / "d"
    (d / "x").mkdir(parents=True)
    (d / "x" / "y.txt").write_text("deep")
    (d / "top.txt").write_text("top")
    loc = repo.put(d, "wf/pod/d")
    out = repo.get(loc, tmp_path / "out")
    assert (out / "x" / "y.txt").read_text() == "deep" and (out / "top.txt").read_text() == "top"


def test_s3_refuses_object_keys_that_escape(moto_s3: MotoS3, bucket: str, tmp_path: Path) -> None:
    moto_s3.client().put_object(Bucket=bucket, Key="wf/d/../../../escape", Body=b"x")
    moto_s3.client().put_object(Bucket=bucket, Key="wf/d/ok", Body=b"x")
    repo = S3Repository(bucket=bucket, endpoint=moto_s3.url, access_key=moto_s3.access_key,
                        secret_key=moto_s3.secret_key)
    with pytest.raises(UnsafeArchiveError, match=r"artifact 'esc'.*wf/d/\.\./\.\./\.\./escape"):
        repo.get(repo.location("wf/d", "esc"), tmp_path / "out" / "d")
    assert not (tmp_path / "escape").exists() and not (tmp_path / "out").exists()


def test_credentials_never_appear_in_errors_or_reprs(moto_s3: MotoS3, wfexec_home: Path, tmp_path: Path) -> None:
    _secrets(wfexec_home, moto_s3)
    cfg = {"endpoint": moto_s3.endpoint, "bucket": "no-such-bucket", "insecure": True,
           "accessKeySecret": {"name": "my-minio-cred", "key": "accesskey"},
           "secretKeySecret": {"name": "my-minio-cred", "key": "secretkey"}}
    repo = make_repository({"s3": cfg})
    src = tmp_path / "f"
    src.write_text("x")
    texts = [repr(repo), str(repo), repr(vars(repo)), repr(repo.location("k", "n")),
             repr(repo.location("k", "n").to_argo())]
    for op in (lambda: repo.put(src, "k/f", name="n"), lambda: repo.get(repo.location("k"), tmp_path / "o"),
               lambda: repo.exists(repo.location("k"))):
        with pytest.raises(ArtifactError) as exc:
            op()
        texts.append(str(exc.value))
    assert any("NoSuchBucket" in t for t in texts)
    bad = S3Repository(bucket="x", endpoint=moto_s3.url, access_key="AKIAWRONGKEY0000",
                       secret_key="wrong-secret-value-zzz")
    texts.append(repr(vars(bad)))
    for t in texts:
        for secret in (moto_s3.access_key, moto_s3.secret_key, "AKIAWRONGKEY0000", "wrong-secret-value-zzz"):
            assert secret not in t, t


def test_missing_secret_file_names_the_file_not_a_value(wfexec_home: Path) -> None:
    with pytest.raises(ArtifactError, match=r"secret nope/accesskey not found: expected the file .*secrets/nope/accesskey"):
        make_repository({"s3": {"bucket": "b", "accessKeySecret": {"name": "nope", "key": "accesskey"},
                                "secretKeySecret": {"name": "nope", "key": "secretkey"}}})
    with pytest.raises(ArtifactError, match="not a valid"):
        make_repository({"s3": {"bucket": "b", "accessKeySecret": {"name": "../x", "key": "k"},
                                "secretKeySecret": {"name": "x", "key": "k"}}})


def test_store_output_and_logs_use_argos_keys(tmp_path: Path) -> None:
    from wfexec.artifacts.outputs import store_log, store_output

    repo = LocalRepository(tmp_path / "repo")
    packed = tmp_path / "result.tgz"
    packed.write_bytes(b"tgz")
    loc = store_output(repo, packed, name="result", path="/tmp/result.txt", archive=None, variables=VARS)
    assert loc.to_argo() == {"name": "result", "path": "/tmp/result.txt",
                             "local": {"key": "hello-x7k2p/hello-x7k2p-123/result.tgz", "root": str(repo.root)}}
    log = tmp_path / "combined"
    log.write_text("hello\n")
    lg = store_log(repo, log, container="main", variables=VARS)
    assert lg.name == "main-logs" and lg.key == "hello-x7k2p/hello-x7k2p-123/main.log"
