"""Whether a KFP v2 task's node was taken from cache (its launcher reports `cached`)."""

from __future__ import annotations

from typing import Any

CACHED_MESSAGE = "taken from cache"


def taken_from_cache(node: dict[str, Any]) -> bool:
    return node.get("type") == "Pod" and any(
        p.get("name") == "cached" and p.get("value") == "true"
        for p in (node.get("outputs") or {}).get("parameters") or [])


def with_cache_messages(nodes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The nodes, a cached task's message saying so (unless it has one)."""
    return {k: ({**n, "message": CACHED_MESSAGE} if taken_from_cache(n) and not n.get("message") else n)
            for k, n in nodes.items()}
