"""`wfexec cache list|delete`: the memoization caches kept in the run store (Argo keeps each in a
ConfigMap; `list -o yaml` prints them in that shape)."""

from __future__ import annotations

import argparse

from wfexec.cli.common import dump, say


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("cache", help="list or delete memoization cache entries",
                              description="The memoization caches (memoize.cache.configMap) in the run store.")
    sub = p.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    ls = sub.add_parser("list", help="list cache entries: cache, key, node, created, last hit")
    ls.add_argument("cache", nargs="?", help="only this cache (its ConfigMap name)")
    ls.add_argument("-o", "--output", choices=("yaml", "json"),
                    help="print each cache as the ConfigMap Argo would hold")
    ls.set_defaults(func=run_list)
    rm = sub.add_parser("delete", help="delete a cache, or one key of it")
    rm.add_argument("cache", help="the cache (its ConfigMap name)")
    rm.add_argument("key", nargs="?", help="only this key")
    rm.set_defaults(func=run_delete)


def _cache():  # noqa: ANN202 - imported here: `wfexec --help` loads no engine module
    from wfexec.engine.memo import MemoCache
    from wfexec.engine.store import Store

    return MemoCache(Store())


def run_list(args: argparse.Namespace) -> int:
    cache = _cache()
    entries = cache.entries(args.cache)
    if args.output:
        names = sorted({c for c, _, _ in entries}) or ([args.cache] if args.cache else [])
        docs = [cache.as_configmap(n) for n in names]
        dump(docs[0] if len(docs) == 1 else {"apiVersion": "v1", "kind": "List", "items": docs}, args.output)
        return 0
    if not entries:
        say("no cache entries")
        return 0
    say(f"{'CACHE':<24} {'KEY':<32} {'NODE':<32} {'CREATED':<21} LAST HIT")
    for c, k, e in entries:
        say(f"{c:<24} {k:<32} {e.node_id:<32} {e.created:<21} {e.last_hit}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    gone = _cache().delete(args.cache, args.key)
    what = f"key {args.key!r} of cache {args.cache!r}" if args.key else f"cache {args.cache!r}"
    if not gone:
        say(f"nothing to delete: no {what}")
        return 1
    say(f"deleted {what} ({gone} entr{'y' if gone == 1 else 'ies'})")
    return 0
