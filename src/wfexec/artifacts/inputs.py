"""Fetch one input artifact onto the host, ready to be mounted into a step.

Sources, as in an Argo template's `inputs.artifacts[*]`: `raw: {data}`, `http: {url,
headers, auth.basicAuth}`, `s3: {key[, endpoint, bucket, …]}` (missing fields come from the
configured repository, as in Argo), `git: {repo, revision, depth, branch, …}`, a stored
location (`local: {key}` / `s3: {key}` blocks, i.e. an earlier step's output as the engine
resolved `from:`), or an explicit `source=` location. Then Argo's rules apply: archives
are unpacked safely (a single top-level entry becomes dest itself), `subPath` picks a path
inside the artifact, `mode` is applied, and `optional` turns "not there" into None.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from wfexec.artifacts.location import ArtifactLocation
from wfexec.artifacts.repository import Repository
from wfexec.artifacts.secrets import SecretResolver, file_secret_resolver, secret_ref
from wfexec.errors import ArtifactError, UnsafeArchiveError

HTTP_TIMEOUT = 60
UNSUPPORTED = ("gcs", "oss", "hdfs", "azure", "artifactory", "huggingface", "plugin")


class _Missing(Exception):
    """The source answered that the artifact does not exist."""


def fetch_input(artifact_spec: dict[str, Any], dest: Path, *, repository: Repository,
                resolve_secret: SecretResolver | None = None,
                source: ArtifactLocation | None = None) -> Path | None:
    """Place the artifact at dest; None when it is optional and absent."""
    spec = artifact_spec
    name = str(spec.get("name") or "?")
    resolve = resolve_secret or file_secret_resolver()
    dest = Path(dest)
    other = [k for k in UNSUPPORTED if spec.get(k)]
    if other:
        raise ArtifactError(f"artifact {name!r}: {other[0]} artifacts are not supported by wfexec "
                            "(supported: raw, http, s3, git, and outputs of earlier steps)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.in-", dir=dest.parent))
    try:
        try:
            fetched, unpack = _fetch(spec, name, staging, repository, resolve, source)
        except _Missing as e:
            if spec.get("optional"):
                return None
            raise ArtifactError(f"artifact {name!r}: {e}") from None
        if fetched is None:
            if spec.get("optional"):
                return None
            raise ArtifactError(f"artifact {name!r}: no source given (raw, http, s3, git, or from an "
                                "earlier step) and it is not optional")
        placed = staging / "placed"
        if unpack:
            from wfexec.artifacts.unpack import unpack_to  # tarfile, zipfile: loaded by the runs that unpack

            unpack_to(fetched, placed, artifact=name, archive=spec.get("archive"))
        else:
            os.replace(fetched, placed)
        if spec.get("subPath"):
            placed = _sub_path(placed, str(spec["subPath"]), name)
        _clear(dest)
        os.replace(placed, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if spec.get("mode") is not None:
        _chmod(dest, int(spec["mode"]), bool(spec.get("recurseMode")))
    return dest


def _fetch(spec: dict[str, Any], name: str, staging: Path, repository: Repository,
           resolve: SecretResolver, source: ArtifactLocation | None) -> tuple[Path | None, bool]:
    """Download into staging; return (path, whether it may be an archive to unpack)."""
    out = staging / "fetched"
    if "raw" in spec:
        out.write_text(str((spec["raw"] or {}).get("data", "")))
        return out, False
    if spec.get("http"):
        _http(spec["http"], name, out, resolve)
        return out, True
    if spec.get("git"):
        _git(spec["git"], name, out, resolve)
        return out, False
    loc, repo = _stored(spec, name, repository, resolve, source)
    if loc is None or repo is None:
        return None, False
    if not repo.exists(loc):
        raise _Missing(f"key {loc.key!r} not found in the {loc.driver} repository")
    repo.get(loc, out)
    return out, True


def _stored(spec: dict[str, Any], name: str, repository: Repository, resolve: SecretResolver,
            source: ArtifactLocation | None) -> tuple[ArtifactLocation | None, Repository | None]:
    """The location and the repository holding it, for s3/local blocks and `from:` sources."""
    if source is None:
        for driver in ("s3", "local"):
            block = spec.get(driver)
            if isinstance(block, dict) and block.get("key"):
                source = ArtifactLocation.from_argo({**spec, driver: block})
                break
    if source is None:
        return None, None
    source = source.with_name(source.name or name)
    if source.driver == "s3":
        own = {k: v for k, v in (spec.get("s3") or source.extra).items() if k != "key"}
        same = repository.driver == "s3" and all(
            own.get(k) in (None, getattr(repository, k)) for k in ("bucket", "endpoint"))
        if not same:
            from wfexec.artifacts.s3_repo import S3Repository

            repo = S3Repository.from_config({**own, **(spec.get("s3") or {})}, resolve_secret=resolve)
            return repo.location(source.key, source.name), repo
    elif repository.driver != source.driver:
        raise ArtifactError(f"artifact {name!r}: stored in a {source.driver} repository, but the "
                            f"configured repository is {repository.driver}")
    return repository.location(source.key, source.name), repository


def _http(block: dict[str, Any], name: str, out: Path, resolve: SecretResolver) -> None:
    import requests

    url = str(block.get("url") or "")
    if not url:
        raise ArtifactError(f"artifact {name!r}: http.url is required")
    shown = _redact_url(url)
    headers = {}
    for h in block.get("headers") or []:
        headers[str(h["name"])] = str(h.get("value", ""))
    auth = None
    basic = ((block.get("auth") or {}).get("basicAuth")) or {}
    if basic:
        user, pw = secret_ref(basic, "usernameSecret"), secret_ref(basic, "passwordSecret")
        if user and pw:
            auth = (resolve(*user), resolve(*pw))
    try:
        with requests.get(url, headers=headers, auth=auth, stream=True, timeout=HTTP_TIMEOUT) as r:
            if r.status_code == 404:
                raise _Missing(f"GET {shown}: HTTP 404 Not Found")
            if r.status_code >= 400:
                raise ArtifactError(f"artifact {name!r}: GET {shown} failed: HTTP {r.status_code} {r.reason}")
            with open(out, "wb") as f:
                for block_ in r.iter_content(1 << 20):
                    f.write(block_)
    except requests.RequestException as e:
        raise ArtifactError(f"artifact {name!r}: GET {shown} failed: {type(e).__name__}") from None


def _git(block: dict[str, Any], name: str, out: Path, resolve: SecretResolver) -> None:
    repo = str(block.get("repo") or "")
    if not repo:
        raise ArtifactError(f"artifact {name!r}: git.repo is required")
    shown = _redact_url(repo)
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    askpass_dir = None
    user, pw = secret_ref(block, "usernameSecret"), secret_ref(block, "passwordSecret")
    secrets: list[str] = []
    if user and pw:
        askpass_dir = tempfile.mkdtemp(prefix="wfexec-askpass-")
        script = Path(askpass_dir) / "askpass"
        script.write_text('#!/bin/sh\ncase "$1" in Username*) printf %s "$WFEXEC_GIT_USER";;'
                          ' *) printf %s "$WFEXEC_GIT_PASS";; esac\n')
        script.chmod(0o700)
        env.update(GIT_ASKPASS=str(script), WFEXEC_GIT_USER=resolve(*user), WFEXEC_GIT_PASS=resolve(*pw))
        secrets = [env["WFEXEC_GIT_USER"], env["WFEXEC_GIT_PASS"]]
    if block.get("insecureIgnoreHostKey"):
        env["GIT_SSH_COMMAND"] = "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
    revision = block.get("revision") or block.get("branch") or "HEAD"
    depth = block.get("depth")
    fetch = ["fetch", "--quiet"] + (["--depth", str(int(depth))] if depth else []) + ["origin"]
    refspecs = [str(r) for r in block.get("fetch") or []]
    steps = [["init", "--quiet", str(out)], ["-C", str(out), "remote", "add", "origin", repo]]
    steps += [["-C", str(out), *fetch, *refspecs]] if refspecs else []
    steps += [["-C", str(out), *fetch, str(revision)],
              ["-C", str(out), "-c", "advice.detachedHead=false", "checkout", "--quiet", "FETCH_HEAD"]]
    if not block.get("disableSubmodules"):
        steps.append(["-C", str(out), "submodule", "update", "--init", "--recursive", "--quiet"])
    try:
        for args in steps:
            res = subprocess.run(["git", *args], env=env, capture_output=True, text=True, timeout=600)
            if res.returncode != 0:
                err = res.stderr.strip().replace(repo, shown)
                for s in secrets:
                    err = err.replace(s, "***")
                raise ArtifactError(f"artifact {name!r}: git {args[2] if args[0] == '-C' else args[0]} "
                                    f"of {shown} at {revision!r} failed: {err[-400:]}")
    except FileNotFoundError:
        raise ArtifactError(f"artifact {name!r}: git is not installed") from None
    finally:
        if askpass_dir:
            shutil.rmtree(askpass_dir, ignore_errors=True)


def _sub_path(root: Path, sub: str, name: str) -> Path:
    """root/sub, refusing a subPath that leaves the artifact (`..`, absolute, via symlinks)."""
    parts = [p for p in sub.split("/") if p not in ("", ".")]
    if sub.startswith("/") or ".." in parts:
        raise UnsafeArchiveError(f"artifact {name!r}: subPath {sub!r} leaves the artifact")
    target = root.joinpath(*parts)
    real_root = root.resolve()
    if not target.resolve().is_relative_to(real_root):
        raise UnsafeArchiveError(f"artifact {name!r}: subPath {sub!r} resolves outside the artifact")
    if not os.path.lexists(target):
        raise ArtifactError(f"artifact {name!r}: subPath {sub!r} not found in the artifact")
    from wfexec.artifacts.unpack import check_links_inside

    check_links_inside(target, artifact=name, what=f"subPath {sub!r}")
    picked = root.parent / "subpath"
    os.replace(target, picked)
    return picked


def _chmod(path: Path, mode: int, recurse: bool) -> None:
    if not 0 <= mode <= 0o777:
        raise ArtifactError(f"mode {mode} must be between 0 and 0777")
    if recurse and path.is_dir():
        for root, dirs, files in os.walk(path):
            for n in dirs + files:
                p = Path(root) / n
                if not p.is_symlink():
                    p.chmod(mode)
    path.chmod(mode)


def _clear(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def _redact_url(url: str) -> str:
    """scheme://host/path: no user info, query or fragment (where tokens hide)."""
    try:
        p = urlsplit(url)
    except ValueError:
        return "<url>"
    if not p.scheme:
        return url
    host = p.hostname or ""
    if p.port:
        host = f"{host}:{p.port}"
    return urlunsplit((p.scheme, host, p.path, "", ""))
