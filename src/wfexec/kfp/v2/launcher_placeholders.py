"""KFP v2 placeholders in a component's command line (Concat, IfPresent, `{{$.…}}` paths).

Standard library only, beside launcher.py in the step (see launcher_values.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

if __package__:  # imported as part of wfexec
    from wfexec.kfp.v2.launcher_values import LaunchError, local_path, to_text
else:  # inside the step: beside launcher.py, on sys.path[0]
    from launcher_values import LaunchError, local_path, to_text


class Placeholders:
    """KFP v2 placeholders in a command line, resolved as KFP's launcher resolves them."""

    REF = re.compile(r"\{\{\$(?:\.(?P<path>[^}]*))?\}\}")

    def __init__(self, executor_input: dict[str, Any], params: dict[str, Any],
                 in_arts: dict[str, list[dict[str, Any]]], out_arts: dict[str, list[dict[str, Any]]],
                 param_files: dict[str, str], job: dict[str, str], declared: dict[str, Any]) -> None:
        self.executor_input, self.params, self.in_arts, self.out_arts = executor_input, params, in_arts, out_arts
        self.param_files, self.job, self.declared = param_files, job, declared

    def expand(self, arg: str) -> list[str]:
        text = arg.strip()
        if text.startswith("{") and ('"Concat"' in text or '"IfPresent"' in text):
            try:
                node = json.loads(text)
            except ValueError:
                node = None
            if isinstance(node, dict):
                return self.structured(node)
        return [self.scalar(arg)]

    def structured(self, node: Any) -> list[str]:
        if isinstance(node, str):
            return self.expand(node)
        if isinstance(node, dict) and "Concat" in node:
            return ["".join(s for part in node["Concat"] for s in self.structured(part))]
        if isinstance(node, dict) and "IfPresent" in node:
            spec = node["IfPresent"]
            name = spec.get("InputName")
            present = name in self.params or name in self.in_arts
            branch = spec.get("Then") if present else spec.get("Else")
            if branch is None:
                return []
            branch = branch if isinstance(branch, list) else [branch]
            return [s for part in branch for s in self.structured(part)]
        return [json.dumps(node)]

    def scalar(self, arg: str) -> str:
        return self.REF.sub(lambda m: self.lookup(m.group("path")), arg)

    def lookup(self, path: str | None) -> str:
        if path is None:
            return json.dumps(self.executor_input)
        if path in self.job:
            return self.job[path]
        m = re.fullmatch(r"(inputs|outputs)\.(parameters|artifacts)\['([^']*)'\](?:\.(\w+)(?:\['([^']*)'\])?)?", path)
        if not m:
            if path == "outputs.output_file":
                return self.executor_input["outputs"]["outputFile"]
            raise LaunchError(f"placeholder {{{{$.{path}}}}} is not known")
        side, kind, name, attr, key = m.groups()
        if side == "inputs" and kind == "parameters":
            if name not in self.params:
                return ""
            value = self.params[name]
            return to_text(value, (self.declared.get(name) or {}).get("type", "STRING"))
        if side == "outputs" and kind == "parameters":
            return self.param_files[name]
        arts = (self.in_arts if side == "inputs" else self.out_arts).get(name) or []
        if not arts:
            return ""
        art = arts[0]
        if attr == "uri":
            return art["uri"]
        if attr == "path":
            return local_path(art["uri"])
        if attr == "metadata":
            return json.dumps(art["metadata"]) if key is None else to_text(art["metadata"].get(key), "STRING")
        return json.dumps(art)
