"""The fields Argo 3.x and 4.x spell differently, written the way the target version reads them.

Argo up to 3.5 reads a CronWorkflow's `schedule:` and a synchronization's `mutex:`/`semaphore:`;
3.6 added the lists `schedules:`, `mutexes:` and `semaphores:`, and 4.x reads only the lists.
wfexec accepts both spellings; `export --argo-version` picks one.
"""

from __future__ import annotations

from typing import Any

from wfexec.errors import SpecError

#: single (3.x) → list (4.x), per object that carries them.
SPELLINGS = {"schedule": "schedules", "mutex": "mutexes", "semaphore": "semaphores"}


def for_argo_version(docs: list[dict[str, Any]], version: int, file: str) -> None:
    """Rewrite `docs` in place for Argo `version` (3 or 4)."""
    for doc in docs:
        spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        where = f"{doc.get('kind')} {(doc.get('metadata') or {}).get('name') or ''}".strip()
        if doc.get("kind") == "CronWorkflow":
            _respell(spec, "schedule", version, f"{where}: spec", file)
            spec = spec.get("workflowSpec") if isinstance(spec.get("workflowSpec"), dict) else {}
        holders = [("spec.synchronization", spec.get("synchronization"))]
        for i, tmpl in enumerate(spec.get("templates") or []):
            if isinstance(tmpl, dict):
                holders.append((f"spec.templates[{i}].synchronization", tmpl.get("synchronization")))
        for path, sync in holders:
            if isinstance(sync, dict):
                for single in ("mutex", "semaphore"):
                    _respell(sync, single, version, f"{where}: {path}", file)


def _respell(obj: dict[str, Any], single: str, version: int, where: str, file: str) -> None:
    plural = SPELLINGS[single]
    if version >= 4:
        if single in obj:
            value = obj.pop(single)
            obj[plural] = [value, *[v for v in obj.get(plural) or [] if v != value]]
        return
    items = list(obj.get(plural) or [])
    if single in obj:
        items = [obj[single], *[v for v in items if v != obj[single]]]
    if not items:
        return
    if len(items) > 1:
        raise SpecError(f"{where}: {len(items)} {plural}, but Argo 3.x takes one {single}; "
                        f"export with --argo-version 4 (Argo 3.6 and later read {plural})", file=file, field=plural)
    obj.pop(plural, None)
    obj[single] = items[0]
