"""The run graph endpoint's core: Argo's edges, folding of wide loops and retries, layout."""

from __future__ import annotations

from wfexec.server.ui.graph import build_graph
from wfexec.server.ui.graph_fold import FOLD_AT


def node(nid, display, kind, phase="Succeeded", children=(), boundary=None, name=None):
    n = {"id": nid, "name": name or display, "displayName": display, "type": kind, "phase": phase,
         "children": list(children)}
    if boundary:
        n["boundaryID"] = boundary
    return n


def steps_run(width: int, failed: int = 0) -> dict:
    """wf: [0] prep, [1] a loop of `width` items, [2] done; plus an exit handler."""
    items = [f"i{k}" for k in range(width)]
    nodes = {
        "wf": node("wf", "wf", "Steps", children=["g0", "g1", "g2"], name="wf"),
        "g0": node("g0", "[0]", "StepGroup", children=["prep"], boundary="wf"),
        "prep": node("prep", "prep", "Pod", boundary="wf"),
        "g1": node("g1", "[1]", "StepGroup", children=items, boundary="wf"),
        "g2": node("g2", "[2]", "StepGroup", children=["done"], boundary="wf"),
        "done": node("done", "done", "Pod", boundary="wf"),
        "exit": node("exit", "wf.onExit", "Pod", name="wf.onExit"),
    }
    for k, i in enumerate(items):
        nodes[i] = node(i, f"work({k}:{k})", "Pod", "Failed" if k < failed else "Succeeded", boundary="wf")
    return nodes


def edges(graph) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in graph.edges}


def test_step_groups_chain_through_their_outbound_nodes_and_exit_handler_hangs_from_the_end():
    g = build_graph("wf", "argo", "Succeeded", steps_run(3))
    got = edges(g)
    assert ("wf", "g0") in got and ("wf", "g1") not in got
    assert ("prep", "g1") in got and {("g1", f"i{k}") for k in range(3)} <= got
    assert {(f"i{k}", "g2") for k in range(3)} <= got
    assert ("done", "exit") in got
    boxes = {n.id: n for n in g.nodes}
    assert boxes["wf"].y < boxes["g0"].y < boxes["prep"].y < boxes["g1"].y < boxes["i0"].y < boxes["g2"].y


def test_a_wide_loop_folds_with_counts_and_unfolds_on_demand():
    width = 2000
    g = build_graph("wf", "argo", "Failed", steps_run(width, failed=3))
    folds = [n for n in g.nodes if n.fold]
    assert len(folds) == 1 and len(g.nodes) == 8
    fold = folds[0]
    assert fold.fold.count == width and fold.fold.phases == {"Failed": 3, "Succeeded": width - 3}
    assert fold.phase == "Failed" and fold.label == "work (2,000 items)"
    assert ("g1", fold.id) in edges(g) and (fold.id, "g2") in edges(g)
    assert g.failed == [fold.id]
    opened = build_graph("wf", "argo", "Failed", steps_run(width, failed=3), unfold={fold.id})
    assert len(opened.nodes) == width + 7 and opened.unfolded == [fold.id]
    assert "i0" in opened.failed


def test_a_small_loop_stays_unfolded():
    g = build_graph("wf", "argo", "Succeeded", steps_run(FOLD_AT))
    assert not [n for n in g.nodes if n.fold]


def test_what_is_inside_a_folded_item_folds_with_it():
    nodes = steps_run(0)
    items = []
    for k in range(50):  # each item is a Retry of one attempt, whose pod is a child of the retry
        r, a = f"r{k}", f"a{k}"
        nodes[r] = node(r, f"work({k}:{k})", "Retry", children=[a], boundary="wf")
        nodes[a] = node(a, f"work({k}:{k})(0)", "Pod", boundary="wf")
        items.append(r)
    nodes["g1"]["children"] = items
    g = build_graph("wf", "argo", "Succeeded", nodes)
    fold = next(n for n in g.nodes if n.fold)
    assert len(g.nodes) == 8 and not any(n.id.startswith("a") for n in g.nodes)
    assert {(e.source, e.target) for e in g.edges if e.target == "g2"} == {(fold.id, "g2")}


def test_a_big_retry_set_folds():
    nodes = {"wf": node("wf", "wf", "Retry", "Failed", children=[f"t{k}" for k in range(30)], name="wf")}
    for k in range(30):
        nodes[f"t{k}"] = node(f"t{k}", f"wf({k})", "Pod", "Failed")
    g = build_graph("wf", "argo", "Failed", nodes)
    fold = next(n for n in g.nodes if n.fold)
    assert fold.fold.retry and fold.label == "wf (30 attempts)" and fold.fold.phases == {"Failed": 30}


def test_dag_edges_follow_dependencies():
    nodes = {
        "d": node("d", "d", "DAG", children=["a"], name="d"),
        "a": node("a", "a", "Pod", children=["b", "c"], boundary="d"),
        "b": node("b", "b", "Pod", children=["e"], boundary="d"),
        "c": node("c", "c", "Pod", children=["e"], boundary="d"),
        "e": node("e", "e", "Pod", "Running", boundary="d"),
    }
    g = build_graph("d", "argo", "Running", nodes)
    assert edges(g) == {("d", "a"), ("a", "b"), ("a", "c"), ("b", "e"), ("c", "e")}
    for e in g.edges:
        assert len(e.points) >= 2
    assert g.width > 0 and g.height > 0
