"""Waiting for a condition with a deadline, not for a fixed time: a loaded machine is slow, never wrong."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float = 30, what: str = "the condition", every: float = 0.05) -> T:
    """The first truthy value `check` gives; AssertionError naming `what` if none comes within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not so within {timeout} s (last: {value!r})"
        time.sleep(every)
