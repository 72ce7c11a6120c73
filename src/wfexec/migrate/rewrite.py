"""Write `command` (and `args`) into a spec, leaving every other byte of the file as it was.

ruamel.yaml finds where each container mapping and its keys are; the new keys are then inserted
as lines beside `image:`, so comments, key order, quoting and flow-style `args: [...]` spread over
lines all survive. Where that is not possible (a flow-style container mapping, an image value
spread over lines) the document is re-dumped by ruamel's round-trip dumper instead, which still
keeps comments and order.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from wfexec.migrate.specs import rt_yaml


@dataclass
class Edit:
    """Set `command` on one container; `args` too when given; `rename_args` turns `args:` into `command:`."""

    node: Any
    command: list[str]
    args: list[str] | None = None
    rename_args: bool = False


def flow_list(items: list[str]) -> str:
    """A YAML flow sequence with every item double-quoted (JSON strings are valid YAML)."""
    return "[" + ", ".join(json.dumps(str(x), ensure_ascii=False) for x in items) + "]"


def _line_edit(lines: list[str], edit: Edit) -> list[tuple[int, str, str | None]] | None:
    """(line index, "insert-after"/"replace", text) operations, or None when text editing is unsafe."""
    node = edit.node
    if node.fa.flow_style():
        return None
    try:
        key_line, key_col = node.lc.key("image")
        value_line, _ = node.lc.value("image")
    except (KeyError, TypeError, AttributeError):
        return None
    if value_line != key_line or str(node["image"]) not in lines[key_line]:
        return None
    nl = "\r\n" if lines[key_line].endswith("\r\n") else "\n"
    indent = " " * key_col
    if edit.rename_args:
        args_line, args_col = node.lc.key("args")
        text = lines[args_line]
        if text[args_col:args_col + 5] != "args:":
            return None
        return [(args_line, "replace", text[:args_col] + "command:" + text[args_col + 5:])]
    new = f"{indent}command: {flow_list(edit.command)}{nl}"
    if edit.args is not None:
        new += f"{indent}args: {flow_list(edit.args)}{nl}"
    return [(key_line, "insert-after", new)]


def apply_edits(text: str, docs: list[Any], edits: list[Edit]) -> str:
    """The file's new text with every edit applied."""
    lines = text.splitlines(keepends=True)
    ops: list[tuple[int, str, str | None]] = []
    fallback = False
    for edit in edits:
        found = _line_edit(lines, edit)
        if found is None:
            fallback = True
            break
        ops += found
    if fallback:
        return _redump(docs, edits, text)
    if lines and not lines[-1].endswith("\n") and any(op[0] == len(lines) - 1 for op in ops):
        lines[-1] += "\n"
    for index, op, new in sorted(ops, key=lambda o: o[0], reverse=True):
        if op == "replace":
            lines[index] = new or ""
        else:
            lines.insert(index + 1, new or "")
    return "".join(lines)


def _seq(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq(DoubleQuotedScalarString(str(x)) for x in items)
    seq.fa.set_flow_style()
    return seq


def _redump(docs: list[Any], edits: list[Edit], original: str) -> str:
    for edit in edits:
        node = edit.node
        keys = list(node.keys())
        if edit.rename_args:
            pos = keys.index("args")
            value = node.pop("args")
            node.insert(pos, "command", value)
            continue
        pos = keys.index("image") + 1 if "image" in keys else len(keys)
        node.insert(pos, "command", _seq(edit.command))
        if edit.args is not None:
            node.insert(pos + 1, "args", _seq(edit.args))
    buf = io.StringIO()
    yaml = rt_yaml()
    if len(docs) == 1 and not original.lstrip().startswith("---"):
        yaml.dump(docs[0], buf)
    else:
        yaml.explicit_start = True
        yaml.dump_all(docs, buf)
    return buf.getvalue()


def unified_diff(file: Path, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=_label("a", file), tofile=_label("b", file)))


def write_atomic(file: Path, text: str) -> None:
    """Replace the file in one rename, so it is never seen half-written; keep its mode."""
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, file.stat().st_mode & 0o7777)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _label(side: str, file: Path) -> str:
    return str(file) if file.is_absolute() else f"{side}/{file}"
