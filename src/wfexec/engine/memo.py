"""Memoization: a template's outputs kept under `memoize.key` in the cache `memoize.cache.configMap`.

Argo keeps each cache in a ConfigMap whose `data` maps a key to a JSON entry
(`{"nodeID", "outputs", "creationTimestamp", "lastHitTimestamp"}`). Here the caches live in the
run store (table `memo_cache`, one row per cache and key, the entry in that same JSON), so every
run sharing a `$WFEXEC_HOME` shares them. A ConfigMap of that name among the config's ConfigMap
files (`configMaps:`, `$WFEXEC_HOME/configmaps/`) seeds the cache: its entries are read when the
store has none for the key. An entry older than `maxAge` (by its `creationTimestamp`) is a miss.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, cast

from wfexec.engine import nodes as N
from wfexec.engine.artifact_repos import _configmap, configmap_files
from wfexec.engine.durations import parse_go_duration
from wfexec.engine.store import Store
from wfexec.engine.templates import resolve_text
from wfexec.errors import SpecError

SCHEMA = """
CREATE TABLE IF NOT EXISTS memo_cache (
    cache TEXT NOT NULL,
    key TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (cache, key)
);
"""
#: Argo's memoization key (cacheKeyRegex in its cache package): stricter than a ConfigMap key, so a key such
#: as `data.csv` that a ConfigMap would take is refused here as on a cluster.
KEY_PATTERN = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")


@dataclass(frozen=True)
class MemoEntry:
    """One cache entry in Argo's ConfigMap value format."""

    node_id: str
    outputs: dict[str, Any]
    created: str
    last_hit: str

    def to_json(self) -> str:
        return json.dumps({"nodeID": self.node_id, "outputs": self.outputs, "creationTimestamp": self.created,
                           "lastHitTimestamp": self.last_hit}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, where: str) -> MemoEntry:
        try:
            doc = json.loads(text)
            if not isinstance(doc, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise SpecError(f"cache entry is not Argo's JSON entry: {exc}", field=where) from None
        return cls(str(doc.get("nodeID") or ""), dict(doc.get("outputs") or {}),
                   str(doc.get("creationTimestamp") or ""), str(doc.get("lastHitTimestamp") or ""))


@dataclass(frozen=True)
class Memoize:
    """A template's `memoize`, its key resolved in the node's scope."""

    key: str
    cache: str
    max_age: float | None  # seconds; None: entries never expire

    def status(self, hit: bool) -> dict[str, Any]:
        return {"hit": hit, "key": self.key, "cacheName": self.cache}


def memoize_of(tmpl: dict[str, Any], scope: dict[str, Any]) -> Memoize | None:
    """The template's `memoize` (None when it has none); a bad field is a SpecError naming it."""
    spec = tmpl.get("memoize")
    if spec is None:
        return None
    where = f"templates[{tmpl.get('name')}].memoize"
    if not isinstance(spec, dict):
        raise SpecError("expected a mapping with key and cache", field=where)
    cache = ((spec.get("cache") or {}).get("configMap") or {}).get("name")
    if not cache or not isinstance(cache, str):
        raise SpecError("expected cache.configMap.name", field=f"{where}.cache.configMap.name")
    if spec.get("key") in (None, ""):
        raise SpecError("expected a key", field=f"{where}.key")
    key = resolve_text(str(spec["key"]), scope, f"{where}.key")
    if not KEY_PATTERN.match(key):
        raise SpecError(f"invalid cache key {key!r}: expected letters, digits and '-', starting with a letter or "
                        "digit, as Argo's memoization cache requires", field=f"{where}.key")
    max_age = None
    if spec.get("maxAge") not in (None, ""):
        max_age = parse_go_duration(resolve_text(str(spec["maxAge"]), scope, f"{where}.maxAge"), f"{where}.maxAge")
    return Memoize(key, cache, max_age)


class MemoCache:
    """The store's caches, seeded from the ConfigMap files."""

    def __init__(self, store: Store, config_path: str | None = None) -> None:
        self.store = store
        self.config_path = config_path
        with store._tx() as db:
            db.execute(SCHEMA.strip().rstrip(";"))

    def load(self, cache: str, key: str) -> MemoEntry | None:
        rows = self.store._read("SELECT entry FROM memo_cache WHERE cache=? AND key=?", (cache, key))
        if rows:
            return MemoEntry.from_json(rows[0][0], f"cache {cache} key {key}")
        doc = _configmap(cache, configmap_files(self.config_path))
        value = ((doc or {}).get("data") or {}).get(key)
        if value is None:
            return None
        return MemoEntry.from_json(str(value), f"ConfigMap {cache} data.{key}")

    def lookup(self, memo: Memoize) -> MemoEntry | None:
        """The entry for a hit (its lastHitTimestamp updated), or None: absent or older than maxAge."""
        entry = self.load(memo.cache, memo.key)
        if entry is None:
            return None
        if memo.max_age is not None:
            created = _parse_ts(entry.created)
            if created is None or created + memo.max_age < dt.datetime.now(dt.UTC).timestamp():
                return None
        hit = MemoEntry(entry.node_id, entry.outputs, entry.created, N.now())
        self._put(memo.cache, memo.key, hit)
        return hit

    def save(self, memo: Memoize, node_id: str, outputs: dict[str, Any]) -> None:
        stamp = N.now()
        self._put(memo.cache, memo.key, MemoEntry(node_id, outputs, stamp, stamp))

    def _put(self, cache: str, key: str, entry: MemoEntry) -> None:
        with self.store._tx() as db:
            db.execute("INSERT INTO memo_cache (cache, key, entry) VALUES (?,?,?)"
                       " ON CONFLICT(cache, key) DO UPDATE SET entry=excluded.entry", (cache, key, entry.to_json()))

    def entries(self, cache: str | None = None) -> list[tuple[str, str, MemoEntry]]:
        sql, args = "SELECT cache, key, entry FROM memo_cache", cast(tuple[str, ...], ())
        if cache:
            sql, args = sql + " WHERE cache=?", (cache,)
        rows = self.store._read(sql + " ORDER BY cache, key", args)
        return [(c, k, MemoEntry.from_json(e, f"cache {c} key {k}")) for c, k, e in rows]

    def delete(self, cache: str, key: str | None = None) -> int:
        """Remove a cache's entries (or one of them); the number removed."""
        with self.store._tx() as db:
            if key is None:
                cur = db.execute("DELETE FROM memo_cache WHERE cache=?", (cache,))
            else:
                cur = db.execute("DELETE FROM memo_cache WHERE cache=? AND key=?", (cache, key))
            return int(cur.rowcount)

    def as_configmap(self, cache: str) -> dict[str, Any]:
        """The cache as the ConfigMap Argo would hold."""
        return {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": cache, "labels": {"workflows.argoproj.io/configmap-type": "Cache"}},
                "data": {k: e.to_json() for _, k, e in self.entries(cache)}}


def _parse_ts(text: str) -> float | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


__all__ = ["MemoCache", "MemoEntry", "Memoize", "memoize_of"]
