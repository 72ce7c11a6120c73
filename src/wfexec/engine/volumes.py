"""A run's volumes as host directories, and their clean-up (Argo's `volumeClaimGC`).

Where each kind of volume lives (all are bound into the containers by the runtime: through
bubblewrap on the host runtime, as bind mounts on the docker runtime):

| volume | host directory | removed |
|---|---|---|
| `emptyDir` (workflow or template `volumes`) | `<run>/volumes/emptydir/<node id>/<name>`: one per pod, as Kubernetes gives each pod its own | when the run ends |
| `volumeClaimTemplates` | `<run>/volumes/<name>`: one per run, shared by its steps | per `volumeClaimGC` (below) |
| `persistentVolumeClaim.claimName` (an existing claim) | `$WFEXEC_HOME/volumes/claim-<claim>`: shared by every run, like a PVC | never by wfexec |
| `hostPath` | the path as given | never |
| anything else (configMap, secret, …) | `<run>/volumes/<name>`, empty | when the run ends |

`volumeClaimGC.strategy`, as in Argo: `OnWorkflowSuccess` deletes the claim directories only
when the run Succeeded (a failed run keeps them for inspection or `retry`); `OnWorkflowCompletion`
deletes them whatever the outcome. Like Argo, a workflow without `volumeClaimGC` gets
`OnWorkflowSuccess` (Argo's `WorkflowSpec.GetVolumeClaimGC`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from wfexec.errors import SpecError
from wfexec.home import wfexec_home

ON_COMPLETION = "OnWorkflowCompletion"
ON_SUCCESS = "OnWorkflowSuccess"
STRATEGIES = (ON_COMPLETION, ON_SUCCESS)
EMPTY_DIRS = "emptydir"


def claim_template_names(spec: dict[str, Any]) -> list[str]:
    return [str((v.get("metadata") or {}).get("name")) for v in spec.get("volumeClaimTemplates") or []
            if (v.get("metadata") or {}).get("name")]


def pod_volumes(spec: dict[str, Any], tmpl: dict[str, Any], run_dir: Path, node_id: str) -> dict[str, Path]:
    """Volume name -> host directory for one pod (created, except hostPath, which is bound as given)."""
    vols: dict[str, Path] = {}
    for name in claim_template_names(spec):
        vols[name] = _made(run_dir / "volumes" / name)
    for vol in list(spec.get("volumes") or []) + list(tmpl.get("volumes") or []):
        name = vol.get("name")
        if not name:
            continue
        if (vol.get("hostPath") or {}).get("path"):
            vols[name] = Path(vol["hostPath"]["path"])
        elif (vol.get("persistentVolumeClaim") or {}).get("claimName"):
            claim = str(vol["persistentVolumeClaim"]["claimName"])
            vols[name] = _made(wfexec_home() / "volumes" / f"claim-{claim}")
        elif "emptyDir" in vol:
            vols[name] = _made(run_dir / "volumes" / EMPTY_DIRS / node_id / name)
        elif name not in vols:
            vols[name] = _made(run_dir / "volumes" / name)
    return vols


def gc_strategy(spec: dict[str, Any]) -> str:
    gc = spec.get("volumeClaimGC")
    strategy = (gc or {}).get("strategy") or ON_SUCCESS
    if strategy not in STRATEGIES:
        raise SpecError(f"volumeClaimGC.strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}",
                        field="spec.volumeClaimGC.strategy")
    return str(strategy)


def collect_volumes(spec: dict[str, Any], run_dir: Path, phase: str) -> list[Path]:
    """At the end of a run: delete its per-pod and ad-hoc volumes, and its claim directories
    when `volumeClaimGC` says so. Returns the claim directories kept."""
    base = run_dir / "volumes"
    if not base.is_dir():
        return []
    try:
        strategy = gc_strategy(spec)
    except SpecError:
        strategy = ON_SUCCESS  # the run already failed on it; keep what it made
    claims = set(claim_template_names(spec))
    delete_claims = strategy == ON_COMPLETION or phase == "Succeeded"
    kept = []
    for entry in base.iterdir():
        if entry.name in claims and not delete_claims:
            kept.append(entry)
            continue
        shutil.rmtree(entry, ignore_errors=True)
    if not kept:
        shutil.rmtree(base, ignore_errors=True)
    return kept


def _made(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
