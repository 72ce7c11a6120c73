"""Input artifact sources, fetched for real: raw, http on loopback, git from a local bare repo,
s3 on moto, and an earlier step's stored output."""

from __future__ import annotations

import http.server
import os
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.artifacts.conftest import TarBuilder
from tests.support.moto_server import MotoS3
from wfexec.artifacts.inputs import fetch_input
from wfexec.artifacts.local_repo import LocalRepository
from wfexec.artifacts.pack import pack_path
from wfexec.artifacts.secrets import file_secret_resolver
from wfexec.errors import ArtifactError, UnsafeArchiveError


@pytest.fixture
def repo(tmp_path: Path) -> LocalRepository:
    return LocalRepository(tmp_path / "repo")


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path, list[dict[str, str]]]]:
    """A static file server on 127.0.0.1; records each request's headers."""
    root = tmp_path / "www"
    root.mkdir()
    seen: list[dict[str, str]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw) -> None:  # noqa: ANN002, ANN003
            super().__init__(*a, directory=str(root), **kw)

        def do_GET(self) -> None:  # noqa: N802
            seen.append(dict(self.headers))
            if self.path.startswith("/private") and self.headers.get("Authorization") is None:
                self.send_error(401)
                return
            super().do_GET()

        def log_message(self, *a) -> None:  # noqa: ANN002
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", root, seen
    finally:
        srv.shutdown()
        srv.server_close()


def test_raw_artifact_with_mode(tmp_path: Path, repo: LocalRepository) -> None:
    dest = fetch_input({"name": "cfg", "raw": {"data": "a: 1\n"}, "mode": 0o600}, tmp_path / "in" / "cfg.yaml",
                       repository=repo)
    assert dest.read_text() == "a: 1\n" and stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["cfg.yaml"]


def test_http_file_and_tarball_with_headers(tmp_path: Path, repo: LocalRepository, web) -> None:  # noqa: ANN001
    base, root, seen = web
    (root / "plain.txt").write_text("hello over http")
    src = tmp_path / "d"
    (src / "s").mkdir(parents=True)
    (src / "s" / "f").write_text("in a tarball")
    pack_path(str(src), str(root / "d.tgz"), None)
    spec = {"name": "p", "http": {"url": f"{base}/plain.txt", "headers": [{"name": "X-Token", "value": "t0k"}]}}
    assert fetch_input(spec, tmp_path / "plain", repository=repo).read_text() == "hello over http"
    assert seen[-1].get("X-Token") == "t0k"
    dest = fetch_input({"name": "t", "http": {"url": f"{base}/d.tgz"}}, tmp_path / "tree", repository=repo)
    assert (dest / "s" / "f").read_text() == "in a tarball"


def test_http_missing_optional_and_required(tmp_path: Path, repo: LocalRepository, web) -> None:  # noqa: ANN001
    base, _root, _ = web
    spec = {"name": "gone", "http": {"url": f"{base}/nope.tgz?token=SECRET123"}}
    assert fetch_input({**spec, "optional": True}, tmp_path / "x", repository=repo) is None
    with pytest.raises(ArtifactError, match=r"artifact 'gone'.*404") as exc:
        fetch_input(spec, tmp_path / "x", repository=repo)
    assert "SECRET123" not in str(exc.value)
    assert not (tmp_path / "x").exists()


def test_http_basic_auth_from_secret_files(tmp_path: Path, repo: LocalRepository, web) -> None:  # noqa: ANN001
    base, root, seen = web
    (root / "private.txt").write_text("ok")
    secrets = tmp_path / "secrets" / "web"
    secrets.mkdir(parents=True)
    (secrets / "user").write_text("alice")
    (secrets / "pass").write_text("pa55-word-xyz")
    auth = {"basicAuth": {"usernameSecret": {"name": "web", "key": "user"},
                          "passwordSecret": {"name": "web", "key": "pass"}}}
    dest = fetch_input({"name": "a", "http": {"url": f"{base}/private.txt", "auth": auth}}, tmp_path / "p",
                       repository=repo, resolve_secret=file_secret_resolver(tmp_path / "secrets"))
    assert dest.read_text() == "ok" and seen[-1]["Authorization"].startswith("Basic ")
    with pytest.raises(ArtifactError) as exc:
        fetch_input({"name": "a", "http": {"url": f"{base}/private-missing.txt", "auth": auth}}, tmp_path / "q",
                    repository=repo, resolve_secret=file_secret_resolver(tmp_path / "secrets"))
    assert "pa55-word-xyz" not in str(exc.value) and "alice" not in str(exc.value)


@pytest.fixture
def bare_repo(tmp_path: Path) -> tuple[Path, str]:
    """A bare git repository with two commits on main and a tag on the first."""
    work, bare = tmp_path / "gitwork", tmp_path / "origin.git"
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}

    def git(*args: str, cwd: Path = work) -> str:
        return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout

    work.mkdir()
    git("init", "-q", "-b", "main")
    (work / "README").write_text("v1\n")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    first = git("rev-parse", "HEAD").strip()
    git("tag", "v1")
    (work / "README").write_text("v2\n")
    (work / "src").mkdir()
    (work / "src" / "main.py").write_text("print('hi')\n")
    git("add", ".")
    git("commit", "-q", "-m", "two")
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare, first


def test_git_input_at_head_tag_and_commit(tmp_path: Path, repo: LocalRepository, bare_repo) -> None:  # noqa: ANN001
    bare, first = bare_repo
    url = f"file://{bare}"
    head = fetch_input({"name": "src", "git": {"repo": url, "depth": 1}}, tmp_path / "head", repository=repo)
    assert (head / "README").read_text() == "v2\n" and (head / "src" / "main.py").exists()
    tag = fetch_input({"name": "src", "git": {"repo": str(bare), "revision": "v1"}}, tmp_path / "tag",
                      repository=repo)
    assert (tag / "README").read_text() == "v1\n" and not (tag / "src").exists()
    commit = fetch_input({"name": "src", "git": {"repo": url, "revision": first}}, tmp_path / "c", repository=repo)
    assert (commit / "README").read_text() == "v1\n"
    sub = fetch_input({"name": "src", "subPath": "src", "git": {"repo": url, "revision": "main"}},
                      tmp_path / "sub", repository=repo)
    assert (sub / "main.py").read_text() == "print('hi')\n"


def test_git_bad_revision_is_a_clear_error(tmp_path: Path, repo: LocalRepository, bare_repo) -> None:  # noqa: ANN001
    bare, _ = bare_repo
    with pytest.raises(ArtifactError, match=r"artifact 'src': git fetch .* 'no-such-branch'"):
        fetch_input({"name": "src", "git": {"repo": f"file://{bare}", "revision": "no-such-branch"}},
                    tmp_path / "x", repository=repo)
    assert not (tmp_path / "x").exists()


def test_from_an_earlier_step_via_local_repository(tmp_path: Path, repo: LocalRepository) -> None:
    out = tmp_path / "produced"
    out.mkdir()
    (out / "model.bin").write_bytes(b"weights")
    (out / "meta.json").write_text("{}")
    pack_path(str(out), str(tmp_path / "out.tgz"), None)
    loc = repo.put(tmp_path / "out.tgz", "wf/pod-1/model.tgz", name="model")
    stored = loc.with_name("model", "/tmp/outputs").to_argo()  # as the node status holds it
    dest = fetch_input({"name": "in-model", **{k: v for k, v in stored.items() if k != "name"}, "path": "/in"},
                       tmp_path / "in-model", repository=repo)
    assert (dest / "model.bin").read_bytes() == b"weights"
    picked = fetch_input({"name": "m", "subPath": "model.bin", "mode": 0o640}, tmp_path / "only", repository=repo,
                         source=loc)
    assert picked.read_bytes() == b"weights" and stat.S_IMODE(picked.stat().st_mode) == 0o640


def test_sub_path_cannot_leave_the_artifact(tmp_path: Path, repo: LocalRepository) -> None:
    (tmp_path / "x").write_text("x")
    loc = repo.put(tmp_path / "x", "wf/p/x.txt")
    with pytest.raises(UnsafeArchiveError, match="subPath"):
        fetch_input({"name": "s", "subPath": "../../etc/passwd"}, tmp_path / "o", repository=repo, source=loc)


def test_hostile_input_archive_is_refused(tmp_path: Path, repo: LocalRepository) -> None:
    evil = TarBuilder(tmp_path / "evil.tgz").symlink("a", str(tmp_path)).file("a/planted", b"!").close()
    loc = repo.put(evil, "wf/p/evil.tgz")
    with pytest.raises(UnsafeArchiveError, match="artifact 'bad'"):
        fetch_input({"name": "bad"}, tmp_path / "dest", repository=repo, source=loc)
    assert not (tmp_path / "planted").exists() and not (tmp_path / "dest").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging left behind"


def test_missing_stored_artifact_and_no_source(tmp_path: Path, repo: LocalRepository) -> None:
    spec = {"name": "opt", "local": {"key": "wf/p/none.tgz"}}
    assert fetch_input({**spec, "optional": True}, tmp_path / "o", repository=repo) is None
    with pytest.raises(ArtifactError, match=r"artifact 'opt'.*not found"):
        fetch_input(spec, tmp_path / "o", repository=repo)
    assert fetch_input({"name": "n", "optional": True}, tmp_path / "n", repository=repo) is None
    with pytest.raises(ArtifactError, match="no source"):
        fetch_input({"name": "n"}, tmp_path / "n", repository=repo)


def test_s3_input_with_its_own_endpoint(tmp_path: Path, repo: LocalRepository, moto_s3: MotoS3) -> None:
    c = moto_s3.client()
    c.create_bucket(Bucket="inputs-bucket")
    TarBuilder(tmp_path / "data.tgz").file("data.csv", b"a,b\n1,2\n").close()
    c.upload_file(str(tmp_path / "data.tgz"), "inputs-bucket", "datasets/data.tgz")
    secrets = tmp_path / "secrets" / "s3"
    secrets.mkdir(parents=True)
    (secrets / "ak").write_text(moto_s3.access_key)
    (secrets / "sk").write_text(moto_s3.secret_key)
    spec = {"name": "data", "s3": {"endpoint": moto_s3.endpoint, "insecure": True, "bucket": "inputs-bucket",
                                   "key": "datasets/data.tgz", "accessKeySecret": {"name": "s3", "key": "ak"},
                                   "secretKeySecret": {"name": "s3", "key": "sk"}}}
    resolver = file_secret_resolver(tmp_path / "secrets")
    dest = fetch_input(spec, tmp_path / "data.csv", repository=repo, resolve_secret=resolver)
    assert dest.read_text() == "a,b\n1,2\n"
    missing = {**spec, "s3": {**spec["s3"], "key": "datasets/none.tgz"}}
    assert fetch_input({**missing, "optional": True}, tmp_path / "m", repository=repo,
                       resolve_secret=resolver) is None
    with pytest.raises(ArtifactError, match=r"artifact 'data'.*not found") as exc:
        fetch_input(missing, tmp_path / "m", repository=repo, resolve_secret=resolver)
    assert moto_s3.secret_key not in str(exc.value) and moto_s3.access_key not in str(exc.value)


def test_sub_path_refuses_links_leaving_the_picked_part(tmp_path: Path, repo: LocalRepository) -> None:
    archive = (TarBuilder(tmp_path / "a.tgz").dir("a").dir("a/b").file("a/secret", b"s")
               .symlink("a/b/l", "../secret").dir("c").close())
    loc = repo.put(archive, "wf/p/a.tgz")
    with pytest.raises(UnsafeArchiveError, match=r"subPath 'a/b'.*'l'"):
        fetch_input({"name": "s", "subPath": "a/b"}, tmp_path / "o", repository=repo, source=loc)
    assert fetch_input({"name": "s", "subPath": "a"}, tmp_path / "ok", repository=repo, source=loc) \
        .joinpath("b", "l").read_bytes() == b"s"


def test_unsupported_source_is_named(tmp_path: Path, repo: LocalRepository) -> None:
    with pytest.raises(ArtifactError, match="gcs artifacts are not supported"):
        fetch_input({"name": "g", "gcs": {"bucket": "b", "key": "k"}}, tmp_path / "g", repository=repo)
