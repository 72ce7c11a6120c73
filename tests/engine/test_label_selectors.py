"""Label selectors as kubectl and Kubernetes' API read them: the set, equality, existence and the
integer comparisons `key>N`, `key<N` (a label that is not an integer never matches these)."""

from __future__ import annotations

import pytest

from wfexec.engine.labels import SelectorError, parse_selector

LABELS = [{"gen": "3", "team": "a"}, {"gen": "10", "team": "b"}, {"gen": "x"}, {"team": "a"}, {"gen": "-2"}]


@pytest.mark.parametrize(("text", "picked"), [
    ("gen>2", [0, 1]), ("gen<3", [4]), ("gen > 2,team=a", [0]), ("gen<-1", [4]), ("gen>2,gen<10", [0]),
    ("team in (a,b),!gen", [3]), ("team!=a", [1, 2, 4]), ("gen", [0, 1, 2, 4]),
])
def test_each_kind_of_requirement_picks_what_kubernetes_picks(text: str, picked: list[int]) -> None:
    selector = parse_selector(text)
    assert [i for i, labels in enumerate(LABELS) if selector.matches(labels)] == picked


@pytest.mark.parametrize("text", ["gen>x", "gen>", ">2", "gen>>2", "gen in ()"])
def test_a_selector_that_does_not_parse_says_so(text: str) -> None:
    with pytest.raises(SelectorError, match="label selector"):
        parse_selector(text)
