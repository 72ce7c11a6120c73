"""A small least-recently-used cache of built answers, safe across the server's worker threads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class ResponseCache:
    """One build per key at a time: a view that asks while the background warmer (or another view)
    is building the same answer waits for it instead of building it again beside it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._building: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], bytes]) -> bytes:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
            done = self._building.get(key)
            if done is None:
                done = self._building[key] = threading.Event()
                builder = True
            else:
                builder = False
        if not builder:
            done.wait()
            with self._lock:
                hit = self._items.get(key)
            return hit if hit is not None else build()  # the other build failed: this one says why
        try:
            value = build()
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._building.pop(key, None)
            done.set()
