"""A fault of the engine's own: an exception that is no WfexecError (a bug, or a stored run the engine
cannot read, as one written by another tool or an older wfexec).

The run ends in Error, with the exception's name and where its traceback is, as Argo's controller marks a
workflow whose operation panicked. Left Running, the run would be taken up by the next command that
reads the store (as after a `kill -9`), whose engine would meet the same fault, and so on for ever.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.store import Store, pid_alive

#: How much of the exception's own text the run's message keeps (its traceback is in the engine's log).
MESSAGE_CHARS = 300


def fault_message(exc: BaseException, log: Path) -> str:
    """What the run and its unfinished nodes say; the traceback goes to the engine's log (stderr) now."""
    traceback.print_exception(exc)
    text = " ".join(str(exc).split())
    if len(text) > MESSAGE_CHARS:
        text = text[: MESSAGE_CHARS - 3] + "..."
    return f"engine fault: {type(exc).__name__}{': ' + text if text else ''} (traceback in {log})"


def end_in_error(store: Store, name: str, message: str) -> None:
    """End a run the engine could not take to its end itself (the fault came before or after its loop):
    the run and each of its unfinished nodes end in Error. A run that has ended already stays as it is."""
    rec = store.get_run(name)
    if rec.phase not in (N.PENDING, N.RUNNING):
        return
    if rec.engine_pid not in (None, os.getpid()) and pid_alive(rec.engine_pid):
        return  # another engine drives it (this one failed before it could claim the run)
    now = N.now()
    open_nodes: list[dict[str, Any]] = []
    for node in store.get_nodes(name).values():
        if node.get("phase") not in N.FULFILLED:
            node.update(phase=N.ERROR, message=message, finishedAt=now)
            open_nodes.append(node)
    if open_nodes:
        store.put_nodes(name, open_nodes)
    store.update_run(name, phase=N.ERROR, message=message, finished_at=now, started_at=rec.started_at or now,
                     engine_pid=None)


__all__ = ["end_in_error", "fault_message"]
