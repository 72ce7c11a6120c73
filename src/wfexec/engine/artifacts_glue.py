"""Where the controller meets the artifact layer: stage inputs, save outputs and logs.

The controller calls this from worker threads (staging, collecting) and from the event loop
(composite outputs). An output artifact is recorded in the node the way Argo records it:
`{name, path, <driver>: {key, …}[, archive][, globalName]}`; that dict is also the value of
`steps.X.outputs.artifacts.Y` in the scope, so `from: "{{…}}"` arrives here as its JSON text.
Credentials never appear in those dicts: only the names of the secrets holding them.

The artifact layer (`wfexec.artifacts`) is imported by the first artifact a run stores or
fetches, not with this module: most steps have none, and every run's engine imports this one.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfexec.engine import kept_logs
from wfexec.engine import nodes as N
from wfexec.engine.artifact_repos import choose_repository
from wfexec.engine.nodes import Node
from wfexec.engine.values import expr_env
from wfexec.errors import ArtifactError, WfexecError
from wfexec.pod import InputFile, PodResult

if TYPE_CHECKING:
    from wfexec.artifacts.repository import Repository
    from wfexec.engine.context import RunContext

SECRET_FIELDS = ("accessKeySecret", "secretKeySecret", "sessionTokenSecret")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def repository_config_for_run(manifest: dict[str, Any], options: dict[str, Any],
                              status: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The run's `artifactRepository` config (None: local default) and its status record: the one
    the status already holds, else chosen afresh (see artifact_repos)."""
    ref = status.get("artifactRepositoryRef")
    if isinstance(ref, dict) and ("artifactRepository" in ref or ref.get("default")):
        return ref.get("artifactRepository"), ref
    choice = choose_repository(manifest.get("spec") or {}, (manifest.get("metadata") or {}).get("namespace")
                               or "default", options.get("config"))
    return choice.config, choice.ref


def repository_for_run(manifest: dict[str, Any], options: dict[str, Any],
                       status: dict[str, Any]) -> tuple[Repository, dict[str, Any]]:
    """The run's repository (see repository_config_for_run)."""
    from wfexec.artifacts.repository import make_repository

    config, ref = repository_config_for_run(manifest, options, status)
    return make_repository(config), ref


def parse_artifact_ref(value: Any, name: str) -> dict[str, Any]:
    """An artifact dict from what `from:` became after substitution (JSON text, or a dict)."""
    from wfexec.artifacts.location import DRIVERS

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ArtifactError(f"artifact {name!r}: from {value[:200]!r} is not an artifact "
                                "(expected {{steps.X.outputs.artifacts.Y}}, {{tasks.…}} or "
                                "{{workflow.outputs.artifacts.Y}})") from None
    if not isinstance(value, dict) or not any(isinstance(value.get(d), dict) for d in DRIVERS):
        raise ArtifactError(f"artifact {name!r}: from does not name a stored artifact")
    return value


def node_input_artifacts(arts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A node's `inputs.artifacts` as Argo records them: name and path and, for an input `from` a stored
    artifact, its location (the same fields as on its producer's outputs), which the input-artifacts
    endpoints serve. Other inputs (raw, git, http: nothing stored to serve) keep only name and path."""
    from wfexec.artifacts.location import DRIVERS

    out = []
    for a in arts:
        entry = {"name": a["name"], **({"path": a["path"]} if a.get("path") else {})}
        ref = a.get("from")
        if ref not in (None, "") and "{{" not in str(ref):
            try:
                stored = parse_artifact_ref(ref, str(a["name"]))
            except ArtifactError:
                stored = {}  # staging the input reports it; the node still records the input's name
            entry.update({d: stored[d] for d in DRIVERS if isinstance(stored.get(d), dict)})
            if stored.get("archive") and "archive" not in a:
                entry["archive"] = stored["archive"]
        if a.get("archive"):
            entry["archive"] = a["archive"]
        out.append(entry)
    return out


def artifact_source(art: dict[str, Any], scope: Mapping[str, Any], where: str) -> Any:
    """What an argument's or a steps/DAG output's `from` or `fromExpression` names in scope (Argo's
    scope.resolveArtifact): `from`'s JSON text, or the artifact an expr-lang expression chose."""
    from wfexec.expr.exprlang import evaluate_expr  # expr-lang: only for a run that has a fromExpression
    from wfexec.expr.template import substitute

    if art.get("from"):
        return substitute(str(art["from"]), scope, where=where)
    if art.get("fromExpression"):
        text = str(art["fromExpression"])
        return parse_artifact_ref(evaluate_expr(text, expr_env(text, scope)), str(art.get("name")))
    raise ArtifactError("give from or fromExpression")


def substitute_arguments(arguments: dict[str, Any], scope: Mapping[str, Any], *, where: str,
                         strict: bool = True) -> dict[str, Any]:
    """A step's or task's arguments in its caller's scope, as steps.go and dag.go resolve them:
    everything substituted, then each artifact's `from`/`fromExpression` resolved; an optional
    artifact that names nothing stored (a producer's optional output never made) is left out."""
    from wfexec.expr.template import substitute_obj

    arts = arguments.get("artifacts") if isinstance(arguments, dict) else None
    if not isinstance(arts, list) or not any(_has_source(a) for a in arts):
        return substitute_obj(arguments, scope, where=where, strict=strict)
    bare = [{k: v for k, v in a.items() if k not in ("from", "fromExpression")} if _has_source(a) else a
            for a in arts]
    out = dict(substitute_obj({**arguments, "artifacts": bare}, scope, where=where, strict=strict))
    kept = []
    for i, (art, resolved) in enumerate(zip(arts, out["artifacts"], strict=True)):
        if _has_source(art):
            key = "from" if art.get("from") else "fromExpression"
            try:
                source = artifact_source(art, scope, f"{where}, field 'artifacts[{i}].{key}'")
                if art.get("optional"):
                    parse_artifact_ref(source, str(art.get("name")))
            except WfexecError as exc:
                if art.get("optional"):
                    continue
                if key == "from":
                    raise
                raise ArtifactError(f"{_named(exc, str(art.get('name')))} ({where}, field "
                                    f"'artifacts[{i}].fromExpression')") from None
            resolved["from"] = source if isinstance(source, str) else json.dumps(source)
        kept.append(resolved)
    out["artifacts"] = kept
    return out


def _has_source(art: Any) -> bool:
    return isinstance(art, dict) and bool(art.get("from") or art.get("fromExpression"))


class ArtifactGlue:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._config: tuple[dict[str, Any] | None] | None = None
        self._repo: Repository | None = None
        self._others: dict[str, Repository] = {}

    # -- repositories ------------------------------------------------------------------------
    def repository_config(self) -> dict[str, Any] | None:
        """The run's repository config, chosen on first use and recorded in the run's status."""
        with self._lock:
            if self._config is None:
                config, ref = repository_config_for_run(self.ctx.manifest, self.ctx.options.to_dict(),
                                                        self.ctx.status)
                self.ctx.status["artifactRepositoryRef"] = ref
                self._config = (config,)
            return self._config[0]

    def repository(self) -> Repository:
        """The run's repository, built (credentials read) only when an artifact needs it."""
        config = self.repository_config()
        with self._lock:
            if self._repo is None:
                from wfexec.artifacts.repository import make_repository

                self._repo = make_repository(config)
            return self._repo

    def _block_repository(self, driver: str, block: dict[str, Any], what: str) -> Repository:
        """The repository an artifact's (or archiveLocation's) own driver block points at.

        A block with nothing but `key` means the run's repository (Argo's key-only artifacts),
        whatever its driver; a local block may not name its own root (a workflow must not pick
        host directories to write to).
        """
        own = {k: v for k, v in block.items() if k != "key"}
        if not own:
            return self.repository()
        if driver == "local":
            raise ArtifactError(f"{what}: a local location may only give a key")
        base = self.repository()
        if base.driver == "s3" and all(own.get(k) in (None, getattr(base, k, None)) for k in ("bucket", "endpoint")) \
                and not any(own.get(k) for k in SECRET_FIELDS):
            return base
        cache_key = json.dumps(own, sort_keys=True, default=str)
        with self._lock:
            if cache_key not in self._others:
                from wfexec.artifacts.s3_repo import S3Repository

                self._others[cache_key] = S3Repository.from_config(own)
            return self._others[cache_key]

    # -- logs --------------------------------------------------------------------------------
    def save_logs(self, node: Node, tmpl: dict[str, Any], result: PodResult) -> None:
        """Keep each container's log under the run dir, for `wfexec logs` after the pod is gone."""
        if result.logs:
            kept_logs.keep(self.ctx.run_dir / "logs", node["id"], result.logs)

    def archive_logs_enabled(self, tmpl: dict[str, Any]) -> bool:
        """Argo's order: the template's archiveLocation, then the workflow spec, then the repository."""
        loc = tmpl.get("archiveLocation") or {}
        if loc.get("archiveLogs") is not None:
            return bool(loc["archiveLogs"])
        if self.ctx.spec.get("archiveLogs") is not None:
            return bool(self.ctx.spec["archiveLogs"])
        return bool((self.repository_config() or {}).get("archiveLogs"))

    def _archive_logs(self, node: Node, tmpl: dict[str, Any], result: PodResult,
                      variables: dict[str, Any]) -> list[dict[str, Any]]:
        if not self.archive_logs_enabled(tmpl):
            return []
        from wfexec.artifacts.outputs import store_log

        repo, key_format = self._archive_target(tmpl)
        if "containerSet" in tmpl:
            mains = [c.get("name") for c in (tmpl["containerSet"] or {}).get("containers") or []]
        else:
            mains = ["main"]
        out = []
        for container in mains:
            path = result.logs.get(container or "")
            if container and path is not None and Path(path).exists():
                try:
                    loc = store_log(_with_format(repo, key_format), Path(path), container=container,
                                    variables=variables)
                except WfexecError as exc:
                    raise ArtifactError(f"step {node.get('displayName')!r}: archiving the {container} "
                                        f"log failed: {exc}") from None
                out.append(loc.to_argo())
        return out

    # -- inputs ------------------------------------------------------------------------------
    def stage_inputs(self, node: Node, tmpl: dict[str, Any], argo_dir: Path,
                     scope: dict[str, Any]) -> list[InputFile] | None:
        """Fetch every input artifact onto the host; on failure the node ends in Error."""
        files: list[InputFile] = []
        for i, art in enumerate((tmpl.get("inputs") or {}).get("artifacts") or []):
            if not art.get("path"):
                continue
            name = str(art.get("name") or f"artifact-{i}")
            safe = name if _SAFE_NAME.match(name) else f"artifact-{i}"
            dest = argo_dir / "inputs" / "artifacts" / safe
            try:
                staged = self.fetch(art, dest)
            except WfexecError as exc:
                self.ctx.book.finish_node(node, N.ERROR, f"failed to load input artifacts of step "
                                                    f"{node.get('displayName')!r}: {_named(exc, name)}")
                return None
            if staged is not None:
                files.append(InputFile(staged, str(art["path"]), art.get("mode")))
        return files

    def fetch(self, art: dict[str, Any], dest: Path) -> Path | None:
        """One input artifact at dest (safely unpacked, subPath and mode applied); None if optional and absent."""
        from wfexec.artifacts.inputs import fetch_input
        from wfexec.artifacts.local_repo import LocalRepository
        from wfexec.artifacts.location import DRIVERS, ArtifactLocation

        spec = dict(art)
        name = str(spec.get("name") or "?")
        source = None
        ref = spec.pop("from", None)
        if ref not in (None, ""):
            stored = parse_artifact_ref(ref, name)
            source = ArtifactLocation.from_argo(stored).with_name(name)
            for driver in DRIVERS:
                if isinstance(stored.get(driver), dict):
                    spec[driver] = stored[driver]  # secret names travel with the location
            if "archive" not in spec and stored.get("archive"):
                spec["archive"] = stored["archive"]
        needs_repo = source is not None or any(isinstance(spec.get(d), dict) for d in DRIVERS)
        repo = self.repository() if needs_repo else LocalRepository()  # raw, http, git: no repository needed
        s3 = spec.get("s3")
        if source is None and isinstance(s3, dict) and set(s3) == {"key"} and repo.driver == "local":
            spec["local"] = spec.pop("s3")  # key-only artifact: the run's repository, whatever it is
        return fetch_input(spec, dest, repository=repo, source=source)

    # -- outputs -----------------------------------------------------------------------------
    def _key_variables(self, node: Node, tmpl: dict[str, Any]) -> dict[str, Any]:
        scope = self.ctx.gscope
        out: dict[str, Any] = {k: v for k, v in scope.items() if isinstance(v, str)}
        out["pod.name"] = N.pod_name(self.ctx.name, node["name"], tmpl.get("name", ""))
        out["workflow.name"] = self.ctx.name
        return out

    def _archive_target(self, tmpl: dict[str, Any]) -> tuple[Repository, str | None]:
        """The template's archiveLocation (a driver block, its key replacing keyFormat), else the run's."""
        from wfexec.artifacts.location import DRIVERS

        loc = tmpl.get("archiveLocation") or {}
        for driver in DRIVERS:
            block = loc.get(driver)
            if isinstance(block, dict):
                repo = self._block_repository(driver, block, f"template {tmpl.get('name')!r} archiveLocation")
                return repo, block.get("key") or None
        return self.repository(), None

    def save_outputs(self, node: Node, tmpl: dict[str, Any], result: PodResult) -> list[dict[str, Any]]:
        """Store each packed output (and archived logs); Argo-shaped entries for the node's outputs."""
        variables = self._key_variables(node, tmpl)
        step = node.get("displayName") or node.get("name")
        out: list[dict[str, Any]] = []
        for art in (tmpl.get("outputs") or {}).get("artifacts") or []:
            if not art.get("path"):
                continue
            name = str(art["name"])
            packed = result.artifacts.get(name)
            if packed is None or not os.path.lexists(packed):
                if art.get("optional") or result.phase != N.SUCCEEDED:
                    continue
                raise ArtifactError(f"failed to save outputs: output artifact {name!r} of step {step!r}: "
                                    f"{art['path']}: no such file or directory")
            try:
                entry = self._store(art, Path(packed), tmpl, variables)
            except WfexecError as exc:
                raise ArtifactError(f"failed to save outputs of step {step!r}: {_named(exc, name)}") from None
            out.append(entry)
            if art.get("globalName"):
                self.set_global(str(art["globalName"]), entry)
        return out + self._archive_logs(node, tmpl, result, variables)

    def _store(self, art: dict[str, Any], packed: Path, tmpl: dict[str, Any],
               variables: dict[str, Any]) -> dict[str, Any]:
        from wfexec.artifacts.keys import artifact_file_name, check_key, output_key
        from wfexec.artifacts.location import DRIVERS

        name, path, archive = str(art["name"]), str(art["path"]), art.get("archive")
        block, driver = next(((art[d], d) for d in DRIVERS if isinstance(art.get(d), dict)), (None, None))
        if block is not None and block.get("key"):
            repo = self._block_repository(driver or "s3", block, f"artifact {name!r}")
            key = check_key(str(block["key"]))
        else:
            repo, key_format = self._archive_target(tmpl)
            key = output_key(key_format or repo.key_format, variables, artifact_file_name(name, path, archive))
        if packed.is_dir() and not packed.is_symlink():
            drop_escaping_links(packed)
        entry = repo.put(packed, key, name=name).with_name(name, path).to_argo()
        if block is not None:
            drv = next(d for d in DRIVERS if d in entry)
            entry[drv].update({k: block[k] for k in SECRET_FIELDS if isinstance(block.get(k), dict)})
        if archive:
            entry["archive"] = archive
        if art.get("globalName"):
            entry["globalName"] = art["globalName"]
        return entry

    def set_global(self, global_name: str, entry: dict[str, Any]) -> None:
        """`globalName`: the run's status.outputs.artifacts and `{{workflow.outputs.artifacts.X}}`."""
        value = {k: v for k, v in entry.items() if k != "globalName"}
        value["name"] = global_name
        self.ctx.global_artifacts[global_name] = value
        self.ctx.gscope[f"workflow.outputs.artifacts.{global_name}"] = value

    def restore_globals(self, nodes: Iterable[Node]) -> None:
        """After an engine restart: republish the global artifacts of nodes that already ran."""
        done = [n for n in nodes if n.get("phase") == N.SUCCEEDED and n.get("type") not in ("Retry",)]
        for n in sorted(done, key=lambda n: n.get("finishedAt") or ""):
            for a in (n.get("outputs") or {}).get("artifacts") or []:
                if a.get("globalName"):
                    self.set_global(str(a["globalName"]), a)

    def composite_outputs(self, node: Node, outputs: dict[str, Any], scope: dict[str, Any],
                          where: str) -> list[dict[str, Any]]:
        """outputs.artifacts of a steps/DAG template: `from` a child's artifact, or `fromExpression`."""
        arts = []
        for a in outputs.get("artifacts") or []:
            name = str(a.get("name"))
            what = f"output artifact {name!r} of {node.get('displayName')!r}"
            try:
                value = parse_artifact_ref(artifact_source(a, scope, f"{where}.artifacts.{name}.from"), name)
            except WfexecError as exc:
                if a.get("optional"):
                    continue
                raise ArtifactError(f"{what}: {exc}") from None
            entry = {"name": name, **{k: v for k, v in value.items() if k not in ("name", "globalName")}}
            if a.get("globalName"):
                entry["globalName"] = a["globalName"]
                self.set_global(str(a["globalName"]), entry)
            arts.append(entry)
        return arts

    def input_scope(self, arts: list[dict[str, Any]]) -> dict[str, Any]:
        """`{{inputs.artifacts.X}}` for inputs that came `from` a stored artifact (to pass them on)."""
        out: dict[str, Any] = {}
        for a in arts:
            if a.get("from") not in (None, "") and "{{" not in str(a["from"]):
                try:
                    out[f"inputs.artifacts.{a['name']}"] = {**parse_artifact_ref(a["from"], a["name"]),
                                                           "name": a["name"]}
                except ArtifactError:
                    continue
        return out


def drop_escaping_links(tree: Path) -> list[str]:
    """Remove symlinks in an unarchived directory output that point outside it; return them.

    Such a link means nothing once the tree leaves its container (Argo's upload would follow
    it in the wait container), and following it here would read the host's files, so it is
    not kept; safe unpacking would refuse the whole artifact for it later anyway.
    """
    from wfexec.artifacts.unpack import escaping_links

    dropped = escaping_links(tree)
    for rel in dropped:
        os.unlink(tree / rel)
    return dropped


def _with_format(repo: Repository, key_format: str | None) -> Repository:
    """repo itself, or a shallow copy writing under key_format (a template's archiveLocation key)."""
    if not key_format:
        return repo
    import copy

    clone = copy.copy(repo)
    clone.key_format = key_format
    return clone


def _named(exc: BaseException, name: str) -> str:
    """The error text, naming the artifact if it does not already."""
    text = str(exc)
    return text if repr(name) in text else f"artifact {name!r}: {text}"
