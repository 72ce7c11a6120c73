"""`wfexec suspend RUN…`: pause a running workflow as `argo suspend` does; `wfexec resume` continues it.

The run's `spec.suspend` is set and its engine told (control "suspend"), the same change the server's
suspend makes, so a run suspended here resumes from the API and the other way round.
"""

from __future__ import annotations

import argparse

from wfexec.cli.common import console, open_store
from wfexec.engine import nodes as N
from wfexec.errors import WfexecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suspend", help="suspend a running workflow (resume continues it)")
    p.add_argument("runs", nargs="+")
    p.set_defaults(func=cmd_suspend)


def cmd_suspend(args: argparse.Namespace) -> int:
    store = open_store()
    for name in args.runs:
        rec = store.get_run(name)
        if rec.phase not in (N.PENDING, N.RUNNING):
            raise WfexecError(f"run {rec.name} has already ended ({rec.phase})")
        manifest = rec.manifest
        manifest.setdefault("spec", {})["suspend"] = True
        store.update_run(rec.name, manifest=manifest, control="suspend")
        console.print(f"workflow {rec.name} suspended")
    return 0
