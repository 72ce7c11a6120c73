"""The doctor's decision: which executor to use here, why, and whether the configured one can work.

The rule: the docker executor is for those who value stability and backward compatibility
(images run as they are, specs need no `command`), and only where Docker really runs the
containers. Everyone else, and everywhere Docker cannot be used (containerd or CRI-O nodes, Pod
Security that rejects the docker socket's hostPath, GKE Autopilot, Argo 3.4 and later, or no
local daemon), should use the emissary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wfexec.cluster.facts import PSA_ENFORCE, PSA_REJECTS_HOSTPATH, ClusterFacts, LocalFacts
from wfexec.errors import SpecError
from wfexec.migrate.specs import file_containers, is_templated, spec_files


@dataclass
class MissingCommand:
    file: str
    line: int | None
    path: str
    image: str | None
    in_images_index: bool


@dataclass
class Report:
    target: str  # "local" or "cluster"
    configured_executor: str
    configured_source: str
    recommended: str
    reasons: list[str]
    blockers: list[str]  # why docker cannot work here
    facts: list[str]
    problems: list[str]  # why the configured executor cannot work
    missing_command: list[MissingCommand] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)  # commands that would clear the problems

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        return out


def cluster_blockers(facts: ClusterFacts) -> list[str]:
    """Why the docker executor cannot work in this cluster (empty: it can)."""
    out: list[str] = []
    ctl = facts.controller
    if ctl.emissary_only:
        out.append(f"Argo {ctl.version_text} is installed: from v3.4 the emissary is the only executor")
    if not facts.nodes:
        out.append("no nodes are visible, so Docker cannot be shown to be the container runtime")
    elif not facts.docker_nodes:
        others = sorted({n.runtime for n in facts.nodes if not n.runtime.startswith("docker://")})
        out.append(f"nodes run {', '.join(others)}, not Docker: there is no docker.sock for the docker executor")
    if facts.pod_security in PSA_REJECTS_HOSTPATH:
        out.append(f"namespace {facts.namespace} enforces Pod Security {facts.pod_security!r} "
                   f"({PSA_ENFORCE}), which rejects the docker socket's hostPath volume")
    if facts.autopilot_signals:
        out.append("GKE Autopilot (" + "; ".join(facts.autopilot_signals) + ") forbids hostPath and privileged pods")
    return out


def local_blockers(facts: LocalFacts) -> list[str]:
    if facts.docker_reachable:
        return []
    return [f"no Docker daemon answers here ({facts.docker_error or 'not reachable'})"]


def recommend(blockers: list[str], prefer_stable: bool) -> tuple[str, list[str]]:
    if blockers:
        return "emissary", ["the docker executor cannot work here:", *blockers]
    if prefer_stable:
        return "docker", ["Docker runs the containers here, and you value stability and backward compatibility "
                          "(--prefer-stable): the docker executor runs images as they are and needs no `command` "
                          "in specs",
                          "it reaches the Docker socket, which is root-equivalent on the host: accept that risk "
                          "knowingly"]
    return "emissary", ["Docker could work here, but the emissary needs no privilege and no Docker socket, works "
                        "on every runtime, and is Argo's default from v3.3 (the only executor from v3.4)",
                        "pass --prefer-stable if stability and backward compatibility matter more to you"]


def scan_specs(paths: list[str], images_index: dict[str, Any]) -> tuple[list[MissingCommand], list[str]]:
    """Containers without `command` in the given component specs and workflows."""
    missing: list[MissingCommand] = []
    warnings: list[str] = []
    for file in spec_files(paths) if paths else []:
        try:
            _, sites = file_containers(file)
        except SpecError as exc:
            warnings.append(str(exc))
            continue
        for site in sites:
            if site.has_command:
                continue
            image = str(site.image) if site.image else None
            indexed = bool(image) and image in images_index
            missing.append(MissingCommand(str(Path(file)), site.line, site.path, image, indexed))
    return missing, warnings


def diagnose(*, target: str, configured: str, source: str, blockers: list[str], facts: list[str],
             prefer_stable: bool, missing: list[MissingCommand], warnings: list[str]) -> Report:
    recommended, reasons = recommend(blockers, prefer_stable)
    problems: list[str] = []
    fixes: list[str] = []
    if configured == "docker" and blockers:
        problems.append("containerRuntimeExecutor is docker, which cannot work here: " + "; ".join(blockers))
        fixes.append("wfexec executor set emissary" + (" --kube" if target == "cluster" else ""))
    if configured == "emissary":
        unresolved = [m for m in missing if not m.in_images_index and not is_templated(m.image)]
        if unresolved:
            problems.append(f"containerRuntimeExecutor is emissary, but {len(unresolved)} container(s) have no "
                            "`command` and their image is not in the images: index; run `wfexec migrate` on them "
                            "or add the images to images:")
            files = " ".join(dict.fromkeys(m.file for m in unresolved))
            fixes.append(f"wfexec migrate {files}")
    return Report(target, configured, source, recommended, reasons, blockers, facts, problems, missing, warnings,
                  fixes)
