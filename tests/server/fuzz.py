"""A small request generator driven by Argo's swagger: for each operation, path parameters, query
parameters and bodies built from the parameter and definition schemas, mostly well-typed, sometimes
not (wrong types, missing members, odd strings). Deterministic for a seed. `fuzz` sends the calls round after round
within a budget, `send_checked` one call, checking each answer as every fuzz test does."""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from tests.server.swagger import SWAGGER

ODD_STRINGS = ["", " ", "a" * 300, "ünï/cøde", "../..", "%2e%2e", "x\x00y", "{{workflow.name}}", "-1", "true",
               "null", "{}", "[", "a=b,c in (", "metadata.name=x", "default", "0", "9" * 30]


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    body: Any  # None: no body


class Generator:
    def __init__(self, swagger: dict[str, Any], seed: int = 0, names: list[str] | None = None) -> None:
        self.doc = swagger
        self.defs = swagger["definitions"]
        self.rng = random.Random(seed)
        self.names = names or []

    def operations(self, prefixes: tuple[str, ...], skip: tuple[str, ...] = ()) -> list[tuple[str, str, dict]]:
        out = []
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                oid = op.get("operationId", "") if isinstance(op, dict) else ""
                if oid.startswith(prefixes) and oid not in skip:
                    out.append((method.upper(), path, op))
        return out

    # -- values -------------------------------------------------------------------------------
    def odd(self) -> Any:
        return self.rng.choice([*ODD_STRINGS, 0, -5, 3.5, True, None, [], {}, [1, "a"], {"k": [None]}])

    def string(self) -> str:
        return self.rng.choice([*ODD_STRINGS, self.rng.choice(self.names or ["x"]),
                                "".join(self.rng.choice("abcxyz-._/") for _ in range(self.rng.randint(1, 12)))])

    def value(self, schema: dict[str, Any], depth: int = 0) -> Any:
        if self.rng.random() < 0.08:
            return self.odd()
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if depth > 5:
                return {}
            return self.value(self.defs.get(name, {}), depth + 1)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties") or {}
            keys = [k for k in props if self.rng.random() < (0.5 if depth < 3 else 0.15)]
            out = {k: self.value(props[k], depth + 1) for k in keys}
            if self.rng.random() < 0.05:
                out["unknownField"] = self.odd()
            return out
        if kind == "array":
            return [self.value(schema.get("items") or {}, depth + 1) for _ in range(self.rng.randint(0, 2))]
        if kind == "integer":
            return self.rng.choice([0, 1, 2, -1, 10**12])
        if kind == "number":
            return self.rng.choice([0.0, 1.5, -2.0])
        if kind == "boolean":
            return self.rng.random() < 0.5
        return self.string()

    def param(self, p: dict[str, Any]) -> str:
        kind = p.get("type")
        if self.rng.random() < 0.15:
            return str(self.rng.choice(ODD_STRINGS))
        if kind == "integer":
            return str(self.rng.choice([0, 1, 5, -3, 10**9]))
        if kind == "boolean":
            return self.rng.choice(["true", "false"])
        if kind == "array":
            return self.string()
        return self.string()

    def call(self, method: str, path: str, op: dict[str, Any], valid_body: dict[str, Any] | None = None) -> Call:
        params: dict[str, str] = {}
        body: Any = None
        url = path
        for p in op.get("parameters") or []:
            where = p.get("in")
            if where == "path":
                if p["name"] == "namespace":
                    val = self.rng.choice(["default", "default", "other", "a b", "x" * 80])
                elif p["name"] in ("name", "id", "uid"):
                    val = self.rng.choice([*self.names, "nope", "..", "a%2Fb"]) if self.names else "nope"
                else:
                    val = self.string() or "x"
                url = url.replace("{" + p["name"] + "}", re.sub(r"[/?#]", "_", str(val)) or "x")
            elif where == "query" and self.rng.random() < 0.4:
                params[p["name"]] = self.param(p)
            elif where == "body":
                roll = self.rng.random()
                if roll < 0.2 and valid_body is not None:
                    body = self.mutate(json.loads(json.dumps(valid_body)))
                elif roll < 0.3:
                    body = self.odd()
                else:
                    body = self.value(p.get("schema") or {})
        return Call(method, url, params, body)

    def mutate(self, obj: Any, depth: int = 0) -> Any:
        """A valid body with one member changed, dropped or retyped somewhere."""
        if isinstance(obj, dict) and obj and depth < 6:
            key = self.rng.choice(list(obj))
            roll = self.rng.random()
            if roll < 0.3:
                obj.pop(key)
            elif roll < 0.6:
                obj[key] = self.odd()
            else:
                obj[key] = self.mutate(obj[key], depth + 1)
            return obj
        if isinstance(obj, list) and obj and depth < 6:
            i = self.rng.randrange(len(obj))
            obj[i] = self.mutate(obj[i], depth + 1) if self.rng.random() < 0.7 else self.odd()
            return obj
        return self.odd()


def send_checked(session: requests.Session, base_url: str, call: Call) -> int:
    """Send `call`; assert the answer is never a 5xx nor a traceback, is Argo's error shape when refused and is
    valid against the swagger. Its status code."""
    kwargs = {} if call.body is None else {"data": json.dumps(call.body), "headers": {"content-type": "application/json"}}
    resp = session.request(call.method, base_url + call.path, params=call.params, timeout=30, **kwargs)
    where = f"{call.method} {call.path} {call.params} {str(call.body)[:300]}"
    assert resp.status_code < 500, f"{where} -> {resp.status_code} {resp.text[:500]}"
    assert "Traceback" not in resp.text and 'File "' not in resp.text, f"{where} -> {resp.text[:500]}"
    if resp.status_code >= 400:
        body = resp.json()
        assert set(body) >= {"code", "message"} and body["message"], where
    sent = resp.request.url  # `..` in a generated name is resolved before sending: check what was asked
    if SWAGGER.operation(call.method, sent) is None:
        return resp.status_code  # another path, answered with the error shape above
    try:
        SWAGGER.check(call.method, sent, resp.status_code, resp.content)
    except AssertionError as exc:
        raise AssertionError(f"{where}: {exc}") from None
    return resp.status_code


def fuzz(base_url: str, gen: Generator, ops: list[tuple[str, str, dict]], valid_body: Callable[[str], dict[str, Any]],
         seconds: float, max_calls: int, tweak: Callable[[Call], None] = lambda call: None) -> dict[int, int]:
    """Rounds of one generated call per operation (`tweak` may change it before it is sent) until `seconds` or
    `max_calls` are spent, each answer checked by `send_checked`; how many answers came with each status."""
    session = requests.Session()
    deadline = time.monotonic() + seconds
    calls = 0
    seen: dict[int, int] = {}
    while time.monotonic() < deadline and calls < max_calls:
        for method, path, op in ops:
            call = gen.call(method, path, op, valid_body(path))
            tweak(call)
            status = send_checked(session, base_url, call)
            calls += 1
            seen[status] = seen.get(status, 0) + 1
    return seen
