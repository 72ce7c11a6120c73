"""Shared CLI pieces: parameter parsing, output formats, config and store access.

`console` and `err` (rich consoles) are made on first use: the verbs that print plain text
(`list`, `get`, `logs`) then never import rich, and start faster.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from wfexec.engine.store import Store
from wfexec.errors import WfexecError


def _console() -> Any:
    """A terminal keeps its width; a pipe or file gets wide lines, as `argo get` prints them."""
    from rich.console import Console

    probe = Console()
    return Console(highlight=False, soft_wrap=True, width=None if probe.is_terminal else 250)


def __getattr__(name: str) -> Any:
    if name == "console":
        value = _console()
    elif name == "err":
        from rich.console import Console

        value = Console(stderr=True, highlight=False, soft_wrap=True)
    else:
        raise AttributeError(name)
    globals()[name] = value
    return value


def say(text: str) -> None:
    """One line on stdout, as is."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def warn(text: str) -> None:
    """One line on stderr (stdout may be -o json)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def parse_kv(values: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        for part in item.split(",") if flag in ("-l", "--labels") else [item]:
            if "=" not in part:
                raise WfexecError(f"{flag} {part!r}: expected NAME=VALUE")
            k, v = part.split("=", 1)
            out[k.strip()] = v
    return out


def add_output_flag(p: argparse.ArgumentParser, choices: tuple[str, ...] = ("json", "yaml", "wide", "name")) -> None:
    p.add_argument("-o", "--output", choices=choices, help="output format")


def dump(obj: Any, fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(obj, indent=2) + "\n")
    else:
        from ruamel.yaml import YAML

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
