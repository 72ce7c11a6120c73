"""Big runs' graphs laid out in the background, so the first view of a run page finds them cached.

Laying out thousands of distinct nodes costs the server a few hundred ms of CPU, and on a busy machine
several times that in wall time. The engine writes a run's nodes as the run proceeds, so the server
can do that work before anyone asks: the warmer follows the store watcher, and each time a run with
at least `WARM_AT` nodes changes it builds the run's graph answer, which fills the layout cache (by
structure: a later phase change re-uses it) and the answer cache (an unchanged run is served as is).

A growing run is laid out at most once per `gap_factor` times its last layout's CPU time (so warming
takes at most ~1/gap_factor of a core), on one worker thread at a lower OS priority. At start the most
recent big runs are laid out too (a restarted server). `WFEXEC_UI_GRAPH_WARM=0` turns warming off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from wfexec.engine.store import Store
from wfexec.server.watch import DELETED, StoreWatcher, Subscription

log = logging.getLogger("wfexec.server")

WARM_AT = 500  # nodes; smaller graphs lay out on demand in a few tens of ms
AT_START = 8  # most recent big runs laid out when the server starts
ENV_SWITCH = "WFEXEC_UI_GRAPH_WARM"

Build = Callable[[Store, str, str], None]  # (store, namespace, name): build and cache the run's graph


def warming_enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def _lower_priority() -> None:
    with contextlib.suppress(OSError, AttributeError):  # Linux: a thread has its own nice value
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 5)


class GraphWarmer:
    def __init__(self, store: Store, build: Build, *, warm_at: int = WARM_AT, gap_factor: float = 8.0,
                 min_gap: float = 1.0) -> None:
        self.store, self.build = store, build
        self.warm_at, self.gap_factor, self.min_gap = warm_at, gap_factor, min_gap
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="wfexec-graph-warm", initializer=_lower_priority)
        self._due: dict[str, float] = {}  # run -> monotonic time before which it is not laid out again
        self._task: asyncio.Task[None] | None = None
        self.warmed = 0  # layouts built (for tests and logs)

    def start(self, watcher: StoreWatcher) -> None:
        sub = watcher.subscribe()
        self._task = asyncio.get_running_loop().create_task(self._run(watcher, sub))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _run(self, watcher: StoreWatcher, sub: Subscription) -> None:
        loop = asyncio.get_running_loop()
        try:
            pending: dict[str, str] = dict(await loop.run_in_executor(self._pool, self._recent_big))
            while True:
                now = time.monotonic()
                wait = None if not pending else max(0.0, min(self._due.get(n, 0.0) for n in pending) - now)
                for change in await sub.next(wait):
                    if change.kind == DELETED:
                        pending.pop(change.name, None)
                        self._due.pop(change.name, None)
                    else:
                        pending[change.name] = change.namespace
                now = time.monotonic()
                for name in [n for n in pending if self._due.get(n, 0.0) <= now]:
                    namespace = pending.pop(name)
                    spent = await loop.run_in_executor(self._pool, self._warm, namespace, name)
                    if spent is not None:
                        self._due[name] = time.monotonic() + max(self.min_gap, spent * self.gap_factor)
                if len(self._due) > 10_000:  # a long-lived server: forget gaps that have run out
                    now = time.monotonic()
                    self._due = {n: t for n, t in self._due.items() if t > now}
        finally:
            watcher.unsubscribe(sub)

    def _recent_big(self) -> list[tuple[str, str]]:
        rows = self.store._read(
            "SELECT runs.name, runs.namespace FROM runs JOIN (SELECT run, COUNT(*) AS n FROM nodes GROUP BY run)"
            " AS c ON c.run = runs.name WHERE c.n >= ? ORDER BY runs.created_at DESC LIMIT ?",
            (self.warm_at, AT_START))
        return [(r[0], r[1]) for r in rows]

    def _warm(self, namespace: str, name: str) -> float | None:
        """Lay the run out if it is big; the CPU time it took (0: too small; None: gone or unreadable)."""
        try:
            if self.store.nodes_version(name)[0] < self.warm_at:
                return 0.0  # looked at again no sooner than min_gap
            t = time.thread_time()
            self.build(self.store, namespace, name)
        except Exception as exc:  # noqa: BLE001 - a run deleted meanwhile, a busy store: the view builds on demand
            log.debug("graph warm %s/%s: %s", namespace, name, exc)
            return None
        self.warmed += 1
        return time.thread_time() - t
