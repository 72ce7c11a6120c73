"""Reading `depends` expressions and walking the DAG's dependency graph."""

from __future__ import annotations

from wfexec.spec.dag_graph import ancestors, depends_terms, find_cycle


def test_depends_terms() -> None:
    assert depends_terms("(task-1.Succeeded || B) && !c.AnySucceeded") == [
        ("task-1", "Succeeded"), ("B", None), ("c", "AnySucceeded")]
    assert depends_terms("") == []


def test_ancestors_are_transitive() -> None:
    deps = {"d": ["b", "c"], "b": ["a"], "c": ["a"], "a": []}
    assert ancestors(deps, "d") == {"a", "b", "c"}
    assert ancestors(deps, "a") == set()


def test_find_cycle() -> None:
    assert find_cycle({"a": [], "b": ["a"], "c": ["a", "b"]}) is None
    assert find_cycle({"a": ["c"], "b": ["a"], "c": ["b"]}) == ["a", "c", "b", "a"]
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    long_chain = {f"t{i}": [f"t{i + 1}"] for i in range(5000)}
    assert find_cycle(long_chain) is None
