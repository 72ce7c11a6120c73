"""Shared CLI pieces: parameter parsing, output formats, config and store access."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from ruamel.yaml import YAML

from wfexec.engine.store import Store
from wfexec.errors import WfexecError


def _console() -> Console:
    """A terminal keeps its width; a pipe or file gets wide lines, as `argo get` prints them."""
    probe = Console()
    return Console(highlight=False, soft_wrap=True, width=None if probe.is_terminal else 250)


console = _console()
err = Console(stderr=True, highlight=False, soft_wrap=True)


def parse_kv(values: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        if "=" not in item:
            raise WfexecError(f"{flag} {item!r}: expected NAME=VALUE")
        k, v = item.split("=", 1)
        out[k.strip()] = v
    return out


def add_output_flag(p: argparse.ArgumentParser, choices: tuple[str, ...] = ("json", "yaml", "wide", "name")) -> None:
    p.add_argument("-o", "--output", choices=choices, help="output format")


def dump(obj: Any, fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(obj, indent=2) + "\n")
    else:
        yaml = YAML()
        yaml.default_flow_style = False
        yaml.dump(obj, sys.stdout)


def open_store() -> Store:
    return Store()


def load_executor_config(path: str | None) -> Any:
    """The executor config (workflow-controller-configmap shape); None when the module is absent."""
    try:
        from wfexec.config import load_config
    except ImportError:
        return None
    return load_config(path)
