"""`wfexec archive list|get|delete`: the finished runs, named by uid, in `argo archive`'s shapes.

Argo keeps finished Workflows in its archive (a database) once the controller lets them go; here
every finished run is already kept in the store, so the archive is the store's finished runs.
"""

from __future__ import annotations

import argparse
import time

from wfexec.cli.common import add_output_flag, dump, open_store, say
from wfexec.cli.render import list_lines, print_run, workflow_object
from wfexec.cli.term import stdout_terminal, write_lines
from wfexec.engine import nodes as N
from wfexec.engine.store import RunRecord, Store
from wfexec.errors import WfexecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("archive", help="finished runs, by uid, as `argo archive` shows them: list, get, delete")
    verbs = p.add_subparsers(dest="archive_verb", metavar="VERB", required=True)
    lst = verbs.add_parser("list", help="list finished runs with their uid")
    lst.add_argument("--prefix", help="only runs whose name starts with this")
    lst.add_argument("-l", "--selector", action="append", metavar="SELECTOR", help="only runs whose labels match")
    add_output_flag(lst, ("json", "yaml", "wide", "name"))
    lst.set_defaults(func=cmd_list)
    get = verbs.add_parser("get", help="show a finished run by uid")
    get.add_argument("uid", help="the run's uid (metadata.uid, as `archive list` shows it)")
    add_output_flag(get, ("json", "yaml", "wide"))
    get.set_defaults(func=cmd_get)
    delete = verbs.add_parser("delete", help="delete finished runs by uid")
    delete.add_argument("uids", nargs="+", help="uids, as `archive list` shows them")
    delete.set_defaults(func=cmd_delete)


def _finished(store: Store) -> list[RunRecord]:
    return [r for r in store.list_runs() if r.phase not in (N.PENDING, N.RUNNING)]


def _by_uid(store: Store, uid: str) -> RunRecord:
    hits = [r for r in _finished(store) if r.uid == uid or (len(uid) >= 8 and r.uid.startswith(uid))]
    if len(hits) != 1:
        raise WfexecError(f"no archived run with uid {uid!r}" if not hits
                          else f"uid {uid!r} names {len(hits)} runs: give more of it")
    return hits[0]


def cmd_list(args: argparse.Namespace) -> int:
    store = open_store()
    recs = [r for r in _finished(store) if not args.prefix or r.name.startswith(args.prefix)]
    if args.selector:
        from wfexec.cli.selectors import labels_match
        from wfexec.engine.status import run_labels

        recs = [r for r in recs if labels_match(args.selector, run_labels(r))]
    if args.output in ("json", "yaml"):
        dump([workflow_object(r, store.get_nodes(r.name)) for r in recs], args.output)
    elif args.output == "name":
        write_lines([r.name for r in recs])
    elif not recs:
        say("No workflows found")
    else:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_lines(list_lines(recs, stdout_terminal(), now, namespace=True, uid=True))
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    store = open_store()
    rec = _by_uid(store, args.uid)
    nodes = store.get_nodes(rec.name)
    if args.output in ("json", "yaml"):
        dump(workflow_object(rec, nodes), args.output)
    else:
        print_run(None, rec, nodes, wide=args.output == "wide")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    import shutil

    from wfexec.engine import api

    store = open_store()
    recs = [_by_uid(store, uid) for uid in args.uids]
    for rec in recs:
        store.delete_run(rec.name)
        shutil.rmtree(api.run_dir(rec.name), ignore_errors=True)
        say(f"Archived workflow '{rec.uid}' deleted")
    store.compact()
    return 0
