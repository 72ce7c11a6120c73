"""Enhanced `depends`: results, bare names, dashes, continueOn, iterations, readiness."""

from __future__ import annotations

import pytest

from wfexec.errors import ExpressionError
from wfexec.expr import (
    TaskState,
    dependencies_to_depends,
    is_resolvable,
    parse_depends,
    task_completed,
)


def states(**phases: str) -> dict[str, TaskState]:
    return {name.replace("_", "-"): TaskState(phase) for name, phase in phases.items()}


def test_tasks_and_dashes() -> None:
    expr = parse_depends("build-image.Succeeded && (test-a || !test-b.Failed)")
    assert expr.tasks() == {"build-image", "test-a", "test-b"}
    assert expr.order == ("build-image", "test-a", "test-b")
    assert expr.evaluate(states(build_image="Succeeded", test_a="Failed", test_b="Succeeded"))
    assert not expr.evaluate(states(build_image="Succeeded", test_a="Failed", test_b="Failed"))


@pytest.mark.parametrize(("result", "phase", "expected"), [
    ("Succeeded", "Succeeded", True), ("Succeeded", "Failed", False),
    ("Failed", "Failed", True), ("Errored", "Error", True), ("Errored", "Failed", False),
    ("Skipped", "Skipped", True), ("Omitted", "Omitted", True), ("Omitted", "Skipped", False),
])
def test_results(result: str, phase: str, expected: bool) -> None:
    assert parse_depends(f"A.{result}").evaluate({"A": TaskState(phase)}) is expected


@pytest.mark.parametrize(("phase", "expected"), [
    ("Succeeded", True), ("Skipped", True), ("Failed", False), ("Error", False), ("Omitted", False),
])
def test_bare_name_means_succeeded_skipped_or_daemoned(phase: str, expected: bool) -> None:
    assert parse_depends("A").evaluate({"A": TaskState(phase)}) is expected


def test_daemoned() -> None:
    running_daemon = TaskState("Running", daemoned=True)
    assert task_completed(running_daemon)
    assert parse_depends("A").evaluate({"A": running_daemon})
    assert parse_depends("A.Daemoned").evaluate({"A": running_daemon})
    pending_daemon = TaskState("Pending", daemoned=True)
    assert not task_completed(pending_daemon)
    assert parse_depends("A").decide({"A": pending_daemon}) is None


def test_continue_on_widens_bare_names() -> None:
    expr = parse_depends("A && B")
    failed = TaskState("Failed", continue_on_failed=True)
    errored = TaskState("Error", continue_on_error=True)
    ok = TaskState("Succeeded")
    assert expr.evaluate({"A": failed, "B": ok})
    assert expr.evaluate({"A": ok, "B": errored})
    assert not expr.evaluate({"A": TaskState("Failed"), "B": ok})
    # an explicit result is not widened
    assert not parse_depends("A.Succeeded").evaluate({"A": failed})


def test_iterations() -> None:
    some = TaskState("Failed", children_phases=["Failed", "Succeeded"])
    none = TaskState("Failed", children_phases=["Failed", "Failed"])
    assert parse_depends("A.AnySucceeded").evaluate({"A": some})
    assert not parse_depends("A.AnySucceeded").evaluate({"A": none})
    assert parse_depends("A.AllFailed").evaluate({"A": none})
    assert not parse_depends("A.AllFailed").evaluate({"A": some})
    assert not parse_depends("A.AllFailed").evaluate({"A": TaskState("Failed")})
    assert parse_depends("A.AllFailed || B").item_tasks() == {"A"}


def test_operators_and_precedence() -> None:
    expr = parse_depends("A || B && C")  # && binds tighter
    assert expr.evaluate(states(A="Succeeded", B="Failed", C="Failed"))
    assert not parse_depends("(A || B) && C").evaluate(states(A="Succeeded", B="Failed", C="Failed"))
    assert parse_depends("!A.Failed").evaluate(states(A="Succeeded"))
    assert parse_depends("!!A").evaluate(states(A="Succeeded"))


def test_decide_waits_for_every_mentioned_task() -> None:
    expr = parse_depends("A || B")
    # A already makes it true, but Argo still waits for B to complete
    assert expr.decide(states(A="Succeeded", B="Running")) is None
    assert expr.decide(states(A="Succeeded")) is None
    assert not is_resolvable(expr, states(A="Succeeded", B="Pending"))
    assert is_resolvable("A || B", states(A="Succeeded", B="Failed"))
    assert expr.decide(states(A="Succeeded", B="Failed")) is True
    assert expr.decide(states(A="Failed", B="Failed")) is False


def test_evaluate_needs_every_state() -> None:
    with pytest.raises(ExpressionError, match="no state for task\\(s\\) 'B'"):
        parse_depends("A && B").evaluate(states(A="Succeeded"))


def test_legacy_dependencies() -> None:
    text = dependencies_to_depends(["A", "b-2"])
    assert text == "A && b-2"
    assert parse_depends(text).evaluate(states(A="Skipped", b_2="Succeeded"))
    assert dependencies_to_depends([]) == ""


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "empty expression"),
    ("A &&", "unexpected end of expression"),
    ("A.Finished", "task result 'Finished' for task 'A' is invalid"),
    ("(A", "missing ')'"),
    ("A B", "unexpected 'B'"),
    ("A & B", "unexpected '& B'"),
    ("A)", "unexpected ')'"),
])
def test_errors(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_depends(text)
    assert fragment in str(info.value)
    assert f"invalid depends '{text}'" in str(info.value)


def test_parse_is_cached() -> None:
    assert parse_depends("A && B") is parse_depends("A && B")


def test_ten_thousand_node_dag_is_cheap() -> None:
    import time

    from wfexec.expr import evaluate_when
    states = {f"t-{i}": TaskState("Succeeded") for i in range(10_000)}
    start = time.perf_counter()
    for i in range(1, 10_000):
        expr = parse_depends(f"t-{i - 1} && (t-{i // 2}.Succeeded || t-{i // 3}.Failed)")
        assert expr.decide(states) is True
        assert evaluate_when(f"{i % 3} == 0") is (i % 3 == 0)
    assert time.perf_counter() - start < 20.0  # ~0.4 s on an idle machine
