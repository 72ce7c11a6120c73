"""Artifacts through the real engine: helpers shared by the end-to-end tests.

RUNTIMES lists the (runtime, executor) pairs these tests run under; the docker runtime joins
it later, so every test takes `runtime, executor` from it rather than assuming the host.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from tests.support.moto_server import MotoS3, moto_s3  # noqa: F401 - a fixture, re-exported
from tests.support.runs import Finished
from wfexec.cli.cmd_cp import copy_artifact
from wfexec.home import wfexec_home

RUNTIMES = [("host", "emissary")]
# The corpus workflows also run on the docker runtime, under both executors, with images mapped.
CORPUS_RUNTIMES = [*RUNTIMES, ("docker", "emissary"), ("docker", "docker")]


def artifact(node: dict[str, Any], name: str) -> dict[str, Any]:
    arts = {a["name"]: a for a in (node.get("outputs") or {}).get("artifacts") or []}
    assert name in arts, f"{node['displayName']} has no output artifact {name!r}; has {sorted(arts)}"
    return arts[name]


def fetch(run: Finished, art: dict[str, Any], dest: Path, raw: bool = False) -> Path:
    """The artifact as `wfexec cp` gives it (unpacked, or the stored object with raw)."""
    rec = run.store.get_run(run.name)
    return copy_artifact(art, dest, manifest=rec.manifest, options=rec.options, status=rec.status, raw=raw)


def tgz_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tf:
        return {m.name: tf.extractfile(m).read() if m.isfile() else b"" for m in tf.getmembers()}  # type: ignore[union-attr]


def write_secret(name: str, key: str, value: str) -> None:
    """A Kubernetes-style secret as wfexec reads it: $WFEXEC_HOME/secrets/<name>/<key>."""
    d = wfexec_home() / "secrets" / name
    d.mkdir(parents=True, exist_ok=True)
    (d / key).write_text(value)


def s3_config(tmp: Path, s3: MotoS3, bucket: str, secret: str, *, extra: str = "") -> str:
    """An executor config whose artifactRepository is the moto bucket, credentials from secret files."""
    write_secret(secret, "accessKey", s3.access_key)
    write_secret(secret, "secretKey", s3.secret_key)
    cfg = tmp / "executor-config.yaml"
    cfg.write_text(
        "artifactRepository:\n"
        "  s3:\n"
        f"    bucket: {bucket}\n"
        f"    endpoint: {s3.endpoint}\n"
        "    insecure: true\n"
        f"    accessKeySecret: {{name: {secret}, key: accessKey}}\n"
        f"    secretKeySecret: {{name: {secret}, key: secretKey}}\n" + extra)
    return str(cfg)
