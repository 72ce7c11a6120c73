"""Where the controller meets the artifact layer: stage inputs, save outputs and logs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfexec.errors import ArtifactError
from wfexec.pod import InputFile, PodResult

if TYPE_CHECKING:
    from wfexec.engine.controller import Controller


class ArtifactGlue:
    def __init__(self, ctl: Controller) -> None:
        self.ctl = ctl

    # -- logs ----------------------------------------------------------------------------
    def log_dir(self, node_id: str) -> Path:
        return self.ctl.run_dir / "logs" / node_id

    def save_logs(self, node: dict[str, Any], tmpl: dict[str, Any], result: PodResult) -> None:
        if not result.logs:
            return
        dest = self.log_dir(node["id"])
        dest.mkdir(parents=True, exist_ok=True)
        for container, path in result.logs.items():
            if Path(path).exists():
                shutil.copyfile(path, dest / f"{container}.log")

    # -- inputs --------------------------------------------------------------------------
    def stage_inputs(self, node: dict[str, Any], tmpl: dict[str, Any], argo_dir: Path,
                     scope: dict[str, Any]) -> list[InputFile] | None:
        files: list[InputFile] = []
        for art in (tmpl.get("inputs") or {}).get("artifacts") or []:
            if not art.get("path"):
                continue
            staging = argo_dir / "inputs" / "artifacts" / art["name"]
            staging.parent.mkdir(parents=True, exist_ok=True)
            try:
                staged = self._fetch(art, staging)
            except ArtifactError as exc:
                self.ctl.finish_node(node, "Error", str(exc))
                return None
            if staged is not None:
                files.append(InputFile(staged, art["path"], art.get("mode")))
        return files

    def _fetch(self, art: dict[str, Any], dest: Path) -> Path | None:
        if "raw" in art:
            dest.write_text((art["raw"] or {}).get("data", ""))
            return dest
        if art.get("optional") and not any(k in art for k in ("from", "s3", "http", "git", "raw", "path")):
            return None
        raise ArtifactError(f"input artifact {art['name']!r}: no source given (from, raw, s3, http, git)")

    # -- outputs -------------------------------------------------------------------------
    def save_outputs(self, node: dict[str, Any], tmpl: dict[str, Any], result: PodResult) -> list[dict[str, Any]]:
        return []

    def composite_outputs(self, node: dict[str, Any], outputs: dict[str, Any], scope: dict[str, Any],
                          where: str) -> list[dict[str, Any]]:
        arts = []
        for a in outputs.get("artifacts") or []:
            if a.get("from"):
                value = scope.get(a["from"].strip("{} ").strip())
                if isinstance(value, str):
                    try:
                        value = json.loads(value)
                    except ValueError:
                        value = None
                if isinstance(value, dict):
                    arts.append({**value, "name": a["name"]})
        return arts
