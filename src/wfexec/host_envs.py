"""Host environments for images (host runtime): the executor config's `hostEnvironments` maps an
image name or glob to what a step of that image sees on the host instead of the image — a
virtualenv, directories put first on PATH, PYTHONPATH entries and environment variables:

    hostEnvironments:
    - image: "python:3.*"        # a name or glob, as in imageMap
      venv: /tmp/venvs/py311     # its bin/ goes first on PATH; VIRTUAL_ENV is set
      path: [/opt/tools/bin]     # then these
      pythonPath: [/srv/code]
      env: {PIP_NO_INDEX: "1"}

The first entry whose pattern matches is used; the step's own `env` wins over `env` here.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wfexec.errors import ConfigError

FIELDS = ("image", "venv", "path", "pythonPath", "env")


@dataclass(frozen=True)
class HostEnvironment:
    image: str
    venv: str | None = None
    path: tuple[str, ...] = ()
    python_path: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    def search_path(self, base: str) -> str:
        """PATH with the venv's bin/ and the extra directories first."""
        first = ([os.path.join(self.venv, "bin")] if self.venv else []) + list(self.path)
        return ":".join([*first, base] if base else first)

    def apply(self, env: dict[str, str], own: dict[str, str]) -> dict[str, str]:
        """`env` (the step's base environment) with this environment laid over it; `own` (the step's
        own `env`) still wins."""
        out = dict(env)
        out.update(self.env)
        out["PATH"] = self.search_path(env.get("PATH", ""))
        if self.venv:
            out["VIRTUAL_ENV"] = self.venv
        if self.python_path:
            out["PYTHONPATH"] = ":".join([*self.python_path, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
        out.update(own)
        return out


def find(environments: list[HostEnvironment], image: str | None) -> HostEnvironment | None:
    if not image:
        return None
    return next((e for e in environments if e.image == image or fnmatch.fnmatchcase(image, e.image)), None)


def which(program: str, search_path: str) -> str | None:
    """Where `program` resolves on `search_path` (for the one line that says what runs)."""
    return shutil.which(program, path=search_path)


def parse(value: Any, fail: Callable[[str, str], ConfigError]) -> list[HostEnvironment]:
    """The config's `hostEnvironments` list; a bad entry is a ConfigError naming it."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail("hostEnvironments", "expected a list of {image, venv, path, pythonPath, env}")
    out: list[HostEnvironment] = []
    for i, entry in enumerate(value):
        where = f"[{i}]"
        if not isinstance(entry, dict):
            raise fail("hostEnvironments", f"{where}: expected a mapping with image and venv/path/pythonPath/env")
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise fail("hostEnvironments", f"{where}: unknown field {unknown[0]!r} (expected {', '.join(FIELDS)})")
        if not isinstance(entry.get("image"), str) or not entry["image"]:
            raise fail("hostEnvironments", f"{where}.image: expected an image name or glob such as \"python:3.*\"")
        lists = {}
        for key in ("path", "pythonPath"):
            items = entry.get(key) or []
            if isinstance(items, str):
                items = [items]
            if not isinstance(items, list) or not all(isinstance(x, str) and x.startswith("/") for x in items):
                raise fail("hostEnvironments", f"{where}.{key}: expected a list of absolute directories")
            lists[key] = tuple(items)
        venv = entry.get("venv")
        if venv is not None and (not isinstance(venv, str) or not venv.startswith("/")):
            raise fail("hostEnvironments", f"{where}.venv: expected the absolute path of a virtualenv")
        env = entry.get("env") or {}
        if not isinstance(env, dict):
            raise fail("hostEnvironments", f"{where}.env: expected a mapping NAME: value")
        out.append(HostEnvironment(entry["image"], venv, lists["path"], lists["pythonPath"],
                                   {str(k): str(v) for k, v in env.items()}))
    return out
