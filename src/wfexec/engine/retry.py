"""retryStrategy: a Retry node whose children are the attempts, with Argo's limit, retryPolicy,
expression and backoff rules."""

from __future__ import annotations

import json
import math
import time
from typing import Any, Protocol

from wfexec.engine import nodes as N
from wfexec.engine.context import RunContext, Scope
from wfexec.engine.durations import parse_duration
from wfexec.engine.nodes import Node
from wfexec.engine.templates import TEMPLATE_KINDS, resolve_text
from wfexec.engine.values import expr_env, node_duration
from wfexec.errors import ExpressionError, SpecError
from wfexec.spec.backoff import backoff_factor

TRANSIENT_WORDS = ("transient", "timeout", "connection", "temporar")
#: The variables an attempt of a retried template sees (Argo's values before the first attempt).
FIRST_ATTEMPT = {"retries": "0", "lastRetry.exitCode": "0", "lastRetry.status": "", "lastRetry.duration": "0",
                 "lastRetry.message": ""}


def deferred_retry_vars(scope: Scope) -> Scope:
    """`{{retries}}` and `{{lastRetry.*}}` left as they are where the scope has no value for them: a
    caller's arguments may name them, and the callee's retries give them their value."""
    return {k: "{{" + k + "}}" for k in FIRST_ATTEMPT if k not in scope}


def holds_retry_vars(text: str) -> bool:
    return any("{{" + k + "}}" in text for k in FIRST_ATTEMPT)


def attempt_inputs(params: list[dict[str, Any]], scope: Scope, values: Scope,
                   where: str) -> tuple[list[dict[str, Any]], Scope]:
    """An attempt's input parameters and scope: `{{retries}}`/`{{lastRetry.*}}` in a value get this
    attempt's numbers."""
    bound = [dict(p, value=resolve_text(p["value"], values, f"{where}.inputs.parameters.{p['name']}", strict=False))
             if holds_retry_vars(str(p.get("value", ""))) else p for p in params]
    new_scope = dict(scope, **values)
    for p in bound:
        new_scope[f"inputs.parameters.{p['name']}"] = p["value"]
    if bound != params:
        new_scope["inputs.parameters"] = json.dumps(bound)
    return bound, new_scope


class RunBody(Protocol):
    """Runs one attempt: the template without its retryStrategy, as the node `name`."""

    async def __call__(self, name: str, display: str, tmpl: dict[str, Any], kinds: list[str],
                      params: list[dict[str, Any]], arts: list[dict[str, Any]], scope: Scope,
                      parent: Node | None, boundary: str | None) -> Node: ...


def policy_allows(policy: str, child: Node) -> bool:
    """Whether `retryPolicy` retries after this attempt."""
    phase = child["phase"]
    if policy == "Always":
        return phase in (N.FAILED, N.ERROR)
    if policy == "OnError":
        return phase == N.ERROR
    if policy == "OnTransientError":
        msg = (child.get("message") or "").lower()
        return phase == N.ERROR and any(w in msg for w in TRANSIENT_WORDS)
    return phase == N.FAILED  # OnFailure (the default)


def backoff_delay(backoff: dict[str, Any], attempt: int) -> float:
    """Seconds to wait before the attempt after `attempt`: duration × factor^attempt, at most `cap`."""
    if not backoff.get("duration"):
        return 0.0
    try:
        delay = parse_duration(str(backoff["duration"]), "retryStrategy.backoff.duration") * \
            (backoff_factor(backoff.get("factor")) ** attempt)
    except OverflowError:  # a large factor to a high attempt: a wait longer than any run
        delay = math.inf
    if backoff.get("cap"):
        delay = min(delay, parse_duration(str(backoff["cap"]), "retryStrategy.backoff.cap"))
    return delay


def backoff_limit(backoff: dict[str, Any]) -> float | None:
    """Seconds `maxDuration` allows for all attempts, or None when it does not apply (no base duration)."""
    if not (backoff.get("duration") and backoff.get("maxDuration")):
        return None
    return parse_duration(str(backoff["maxDuration"]), "retryStrategy.backoff.maxDuration")


async def run_retry(ctx: RunContext, run_body: RunBody, name: str, display: str, tmpl: dict[str, Any],
                    params: list[dict[str, Any]], arts: list[dict[str, Any]], scope: Scope, parent: Node | None,
                    boundary: str | None) -> Node:
    book = ctx.book
    strategy = tmpl.get("retryStrategy") or {}
    rnode = book.child_node(name=name, display=display, node_type=N.RETRY, template_name=tmpl.get("name"),
                            parent=parent, boundary=boundary)
    if params:
        rnode.setdefault("inputs", {})["parameters"] = params
    where = f"templates[{tmpl.get('name')}].retryStrategy"
    limit_raw = strategy.get("limit")
    limit = None if limit_raw in (None, "") else int(resolve_text(str(limit_raw), scope, f"{where}.limit"))
    policy = strategy.get("retryPolicy") or "OnFailure"
    backoff = strategy.get("backoff") or {}
    body = {k: v for k, v in tmpl.items() if k != "retryStrategy"}
    kinds = [k for k in TEMPLATE_KINDS if k in body]
    attempt = len(rnode.get("children") or [])
    if attempt:
        attempt -= 1  # re-enter the last attempt; a fulfilled one returns at once
    started = time.time()
    last: Scope = dict(FIRST_ATTEMPT)
    while True:
        cname = f"{name}({attempt})"
        a_params, a_scope = attempt_inputs(params, scope, dict(last, retries=str(attempt)),
                                           f"templates[{tmpl.get('name')}]")
        child = await run_body(cname, f"{display}({attempt})", body, kinds, a_params, arts, a_scope, rnode,
                               boundary)
        if not (child.get("nodeFlag") or {}).get("retried"):
            child.setdefault("nodeFlag", {})["retried"] = True
            book.save(child)
        if child["phase"] == N.SUCCEEDED or ctx.shutdown:
            break
        last = {"lastRetry.exitCode": (child.get("outputs") or {}).get("exitCode", "-1"),
                "lastRetry.status": child["phase"], "lastRetry.duration": str(int(node_duration(child))),
                "lastRetry.message": child.get("message", "")}
        if limit is not None and attempt >= limit:
            break
        if not policy_allows(policy, child):
            break
        if strategy.get("expression"):
            from wfexec.expr.exprlang import evaluate_expr  # expr-lang: only for a retry expression

            try:
                text = resolve_text(str(strategy["expression"]), scope, f"{where}.expression", strict=False)
                ok = evaluate_expr(text, expr_env(text, {**scope, **last}))
            except ExpressionError as exc:
                book.finish_node(rnode, N.ERROR, str(exc))
                return rnode
            if not ok:
                break
        try:
            delay, max_d = backoff_delay(backoff, attempt), backoff_limit(backoff)
        except SpecError as exc:  # Argo marks the Retry node Error with what it could not read
            return book.finish_node(rnode, N.ERROR, str(exc))
        if max_d is not None and time.time() - started + delay > max_d:
            book.finish_node(rnode, child["phase"], "Max duration limit exceeded")
            return rnode
        await ctx.pause(delay)
        if ctx.shutdown:
            break
        attempt += 1
    if child.get("outputs"):
        rnode["outputs"] = child["outputs"]
    if child["phase"] == N.SUCCEEDED:
        return book.finish_node(rnode, N.SUCCEEDED)
    message = child.get("message", "")
    if limit is not None and attempt >= limit:
        message = "No more retries left"
    return book.finish_node(rnode, child["phase"], message)
