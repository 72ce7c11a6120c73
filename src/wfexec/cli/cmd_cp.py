"""`wfexec cp RUN ARTIFACT DEST`: copy one stored output artifact of a run to this machine.

ARTIFACT is `STEP/NAME` (STEP a display name, node name or node id) or just `NAME` when one
artifact (or one global artifact) has it. By default the artifact is unpacked the way a step
would receive it (safely: an archive may not write outside DEST); `--raw` saves the stored
object itself, e.g. the `.tgz`. When DEST is an existing directory the artifact goes inside it.
"""

from __future__ import annotations

import argparse
import posixpath
from pathlib import Path
from typing import Any

from wfexec.cli.common import console, open_store
from wfexec.errors import WfexecError

_SKIP_TYPES = ("StepGroup", "TaskGroup", "Retry")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cp", help="copy an output artifact of a run to a local path")
    p.add_argument("run", help="run name (a unique prefix will do; @latest for the newest)")
    p.add_argument("artifact", help="STEP/NAME, or NAME when it is unique in the run")
    p.add_argument("dest", help="file or directory to write (an existing directory receives it inside)")
    p.add_argument("--raw", action="store_true", help="save the stored object as is (no unpacking)")
    p.set_defaults(func=cmd_cp)


def cmd_cp(args: argparse.Namespace) -> int:
    store = open_store()
    rec = store.get_run(args.run)
    nodes = store.get_nodes(rec.name)
    step, art = find_artifact(nodes, rec.status, args.artifact)
    dest = Path(args.dest)
    path = copy_artifact(art, dest, manifest=rec.manifest, options=rec.options, status=rec.status, raw=args.raw)
    console.print(f"{step}/{art['name']} -> {path}")
    return 0


def find_artifact(nodes: dict[str, dict[str, Any]], status: dict[str, Any],
                  ref: str) -> tuple[str, dict[str, Any]]:
    """(step display name, Argo-shaped artifact) for `STEP/NAME` or a unique `NAME`."""
    step, _, name = ref.rpartition("/")
    hits: list[tuple[str, dict[str, Any]]] = []
    for n in nodes.values():
        if n.get("type") in _SKIP_TYPES:
            continue
        if step and step not in (n.get("displayName"), n.get("name"), n.get("id")):
            continue
        for a in (n.get("outputs") or {}).get("artifacts") or []:
            if a.get("name") == name:
                hits.append((str(n.get("displayName") or n.get("id")), a))
    if not step:
        for a in (status.get("outputs") or {}).get("artifacts") or []:
            if a.get("name") == name:
                hits.append(("workflow.outputs", a))
    if not hits:
        known = sorted({f"{n.get('displayName')}/{a.get('name')}" for n in nodes.values()
                        if n.get("type") not in _SKIP_TYPES
                        for a in (n.get("outputs") or {}).get("artifacts") or []})
        raise WfexecError(f"no artifact {ref!r} in this run (artifacts: {', '.join(known) or 'none'})")
    places = {_where(a) for _, a in hits}
    if len(places) > 1:
        options = ", ".join(sorted({f"{s}/{a['name']}" for s, a in hits}))
        raise WfexecError(f"artifact name {name!r} is ambiguous in this run; give STEP/NAME: {options}")
    return hits[0]


def copy_artifact(art: dict[str, Any], dest: Path, *, manifest: dict[str, Any], options: dict[str, Any],
                  status: dict[str, Any], raw: bool = False) -> Path:
    """Download art to dest (inside it when dest is a directory); return the path written."""
    from wfexec.artifacts.inputs import fetch_input
    from wfexec.artifacts.local_repo import LocalRepository
    from wfexec.artifacts.location import ArtifactLocation
    from wfexec.engine.artifacts_glue import repository_for_run

    loc = ArtifactLocation.from_argo(art)
    name = str(art.get("name") or "artifact")
    block = art[loc.driver]
    repo: Any
    if loc.driver == "local":
        repo = LocalRepository(block.get("root")) if block.get("root") else repository_for_run(
            manifest, options, status)[0]
    else:
        repo, _ = repository_for_run(manifest, options, status)
        own = {k: v for k, v in block.items() if k != "key"}
        if repo.driver != "s3" or any(own.get(k) not in (None, getattr(repo, k)) for k in ("bucket", "endpoint")):
            from wfexec.artifacts.s3_repo import S3Repository

            repo = S3Repository.from_config(own)
    if dest.is_dir():
        base = posixpath.basename(loc.key) if raw else posixpath.basename(str(art.get("path") or name).rstrip("/"))
        dest = dest / (base or name)
    src = repo.location(loc.key, name)
    if raw:
        if not repo.exists(src):
            raise WfexecError(f"artifact {name!r}: key {loc.key!r} not found in the {loc.driver} repository")
        return repo.get(src, dest)
    spec: dict[str, Any] = {"name": name}
    if art.get("archive"):
        spec["archive"] = art["archive"]
    placed = fetch_input(spec, dest, repository=repo, source=src)
    if placed is None:
        raise WfexecError(f"artifact {name!r}: not found")
    return placed


def _where(art: dict[str, Any]) -> str:
    for driver in ("s3", "local"):
        block = art.get(driver)
        if isinstance(block, dict):
            return f"{driver}:{block.get('bucket', '')}:{block.get('key')}"
    return repr(sorted(art.items()))
