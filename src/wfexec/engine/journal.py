"""Group commit of node transitions: one writer thread, one transaction per batch.

Why not commit on the event loop's thread: a commit gives up the GIL several times, and each
time a busy worker thread may keep it for a whole switch interval (5 ms); at 10,000 nodes that
was most of the controller's time. Here the loop only serialises the node and goes on; the writer
commits whatever piled up in the last few milliseconds.

What keeps a killed engine from losing work: a pod's directory holds all that its pod came to;
it is removed only once the pod's end is committed (`after_commit`, run by the writer once the
batch holding that end is in), and it is written before the pod starts, so a restarted engine
finds the pod whether or not its node's latest state was committed. Batches are written in order.
Nobody waits for that commit on a step's path: a chain's next step starts while it is written.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from wfexec.engine.nodes import Node
from wfexec.engine.store import Store
from wfexec.errors import StoreError

log = logging.getLogger(__name__)
GATHER_SECONDS = 0.02  # how long a batch may wait for more transitions when nobody waits on it


class NodeJournal:
    def __init__(self, store: Store, run: str) -> None:
        self.store = store
        self.run = run
        self._cond = threading.Condition()
        self._pending: dict[str, str] = {}  # node id -> its latest JSON, in first-written order
        self._queued = 0  # transitions handed in
        self._done = 0  # transitions committed
        self._error: BaseException | None = None
        self._closing = False
        self._blocked = 0  # threads in wait()
        self._after: list[tuple[int, Callable[[], None]]] = []  # (transitions to commit first, what then)
        self._thread = threading.Thread(target=self._write_loop, name="wfexec-journal", daemon=True)
        self._thread.start()

    def put(self, node: Node) -> None:
        """Queue a snapshot of the node; raises the writer's failure, if it had one."""
        data = json.dumps(node)
        with self._cond:
            if self._error is not None:
                raise self._error
            if not self._pending:  # else the writer is already gathering this batch: no wake-up
                self._cond.notify()
            self._pending[node["id"]] = data
            self._queued += 1

    def wait(self) -> None:
        """Block until everything queued so far is committed."""
        with self._cond:
            target = self._queued
            self._blocked += 1
            self._cond.notify_all()
            try:
                while self._done < target and self._error is None:
                    self._cond.wait()
            finally:
                self._blocked -= 1
            if self._error is not None:
                raise self._error

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` in the writer once every transition queued so far is committed (at once,
        here, when it already is). Never run when the write failed: what it would have removed
        stays for a restarted engine."""
        with self._cond:
            if self._error is not None:
                return
            if self._done < self._queued:
                self._after.append((self._queued, action))
                return
        action()

    def close(self) -> None:
        """Commit what is left and stop the writer."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if not self._pending:
                    return
                end = time.monotonic() + GATHER_SECONDS
                while self._pending and not (self._closing or self._blocked) and (left := end - time.monotonic()) > 0:
                    self._cond.wait(left)
                batch, self._pending = self._pending, {}
                target = self._queued
            try:
                self.store.put_node_rows(self.run, list(batch.items()))
            except Exception as exc:  # noqa: BLE001 - raised to whoever puts or waits next
                with self._cond:
                    self._error = StoreError(f"writing node status failed: {exc}" if isinstance(exc, StoreError)
                                             else f"run store {self.store.path}: writing node status failed: {exc}")
                    self._cond.notify_all()
                return
            with self._cond:
                due = [a for t, a in self._after if t <= target]
                self._after = [(t, a) for t, a in self._after if t > target]
            for action in due:  # before `wait` returns: a waiter sees them done
                try:
                    action()
                except Exception:  # noqa: BLE001 - one failed clean-up must not stop the writer
                    log.exception("after-commit action failed")
            with self._cond:
                self._done = target
                self._cond.notify_all()
