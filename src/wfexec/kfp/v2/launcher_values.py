"""Typed parameter values as the KFP v2 launcher reads and writes them, and its error.

Standard library only: it travels beside launcher.py into the step (the folder is bound) and
is imported from there as a top-level module; wfexec imports it as part of its package.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from typing import Any

ABSENT = "__kfp_absent__"  # an optional input given no value on the way down


class LaunchError(Exception):
    """A problem the launcher reports as one line and exit code 1."""


def to_text(value: Any, ptype: str) -> str:
    """A typed value as the text an Argo parameter carries."""
    if ptype == "STRING" and isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if ptype == "NUMBER_INTEGER" and isinstance(value, float) and value.is_integer():
        return str(int(value))  # the IR holds every number as a double: an int default reads 4.0
    if ptype in ("LIST", "STRUCT"):
        value = whole_numbers(value)
    return json.dumps(value)


def whole_numbers(value: Any) -> Any:
    """A list or struct with its whole doubles as integers, as KFP's backend hands it on: the IR and ML
    Metadata hold every number as a double, and protojson writes 2.0 as 2 (so `range(cfg["epochs"])`
    works with a default of {"epochs": 2})."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    return value


def from_text(text: str, ptype: str, name: str) -> Any:
    """Argo parameter text as the typed value KFP's executor expects."""
    try:
        if ptype == "STRING":
            return text
        if ptype == "NUMBER_INTEGER":
            return int(float(text)) if re.fullmatch(r"-?\d+(\.0*)?", text.strip()) else int(text)
        if ptype == "NUMBER_DOUBLE":
            return float(text)
        if ptype == "BOOLEAN":
            if text.strip().lower() in ("true", "1"):
                return True
            if text.strip().lower() in ("false", "0"):
                return False
            raise ValueError(text)
        if ptype in ("LIST", "STRUCT", "TASK_FINAL_STATUS"):
            value = json.loads(text)
            if ptype == "LIST" and not isinstance(value, list) or ptype != "LIST" and not isinstance(value, dict):
                raise ValueError(text)
            return value if ptype == "TASK_FINAL_STATUS" else whole_numbers(value)
    except ValueError:
        raise LaunchError(f"input parameter {name!r}: expected {ptype}, got {text[:80]!r}") from None
    return text


def from_collected(value: Any, ptype: str, depth: int, name: str) -> list[Any]:
    """A `dsl.Collected` input as typed nested lists, one level per loop. Each loop's aggregate holds
    its iterations' outputs as text, so the lists of an inner loop arrive as JSON text inside the outer."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, list):
        raise LaunchError(f"input parameter {name!r}: expected a collected list, got {str(value)[:80]!r}")
    value = [v for v in value if v != ABSENT]  # an iteration whose task did not run (its condition was false)
    if depth > 1:
        return [from_collected(v, ptype, depth - 1, name) for v in value]
    return [from_text(v if isinstance(v, str) else json.dumps(v), ptype, name) for v in value]


def normal(value: Any, ptype: str) -> Any:
    """A constant or default as its declared type (YAML may hold an integer as 2.0)."""
    if ptype == "NUMBER_INTEGER" and isinstance(value, float) and value.is_integer():
        return int(value)
    if ptype == "NUMBER_DOUBLE" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if ptype in ("LIST", "STRUCT"):
        return whole_numbers(value)
    return value


def selector_keys(selector: str) -> list[str | int]:
    """The keys and indexes of a parameterExpressionSelector, in the form kfp.compiler writes
    (`parseJson(string_value)["k"][0]`): the one grammar the launcher and the compiler share."""
    m = re.fullmatch(r'parseJson\(string_value\)((?:\[(?:"[^"]*"|\d+)\])+)', selector.strip())
    if not m:
        raise LaunchError(f"parameter selector {selector!r} is not supported")
    return [json.loads(k) if k.startswith('"') else int(k) for k in re.findall(r'\[("[^"]*"|\d+)\]', m.group(1))]


def select(value: str, selector: str) -> str:
    """parameterExpressionSelector applied to a JSON parameter's text: a string as is, else JSON."""
    data: Any = json.loads(value)
    for key in selector_keys(selector):
        data = data[key]
    return data if isinstance(data, str) else json.dumps(data)


def local_path(uri: str) -> str:
    """Where an artifact's URI is readable in the step, as KFP's executor derives its `path`."""
    for prefix, mount in (("gs://", "/gcs/"), ("s3://", "/s3/"), ("minio://", "/minio/"), ("oci://", "/oci/")):
        if uri.startswith(prefix):
            return mount + uri[len(prefix):]
    return uri


def copy_into(src: str, dest: str) -> None:
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    if os.path.isdir(src):
        shutil.copytree(src, dest, dirs_exist_ok=True)
    elif os.path.exists(src):
        shutil.copyfile(src, dest)
    else:
        raise LaunchError(f"the component set an artifact's path to {src}, which it did not write")
