"""Bad memoize, synchronization, metrics and podGC fields: a clear error naming the field (or, for a
metric, Argo's skip), never a traceback; a semaphore limit from the config."""

from __future__ import annotations

from pathlib import Path

from tests.engine_fast.conftest import dag, pod, wf

OK = pod("ok", "sleep 0")


def test_semaphore_without_a_limit_names_the_field(run) -> None:
    t = dict(OK, synchronization={"semaphores": [{"configMapKeyRef": {"name": "absent", "key": "k"}}]})
    r = run(wf([dag("main", {"name": "a", "template": "ok"}), t]))
    assert r.phase in ("Error", "Failed")
    node = r.node("a")
    assert node["phase"] == "Error"
    assert "templates[ok].synchronization.semaphores[0].configMapKeyRef" in node["message"]
    assert "semaphoreLimits['absent/k']" in node["message"]
    assert not r.backend.pods


def test_semaphore_limit_from_the_config_admits_that_many(run, wfexec_home: Path) -> None:
    cfg = wfexec_home / "config.yaml"
    cfg.write_text("semaphoreLimits:\n  gate: 2\n")
    nap = pod("nap", "sleep 0.2", synchronization={"semaphores": [{"database": {"key": "gate"}}]})
    loop = {"name": "n", "template": "nap", "withSequence": {"count": "5"}}
    r = run(wf([dag("main", loop), nap]), config=str(cfg))
    assert r.phase == "Succeeded", r.message
    assert len(r.backend.pods) == 5 and r.backend.max_running == 2


def test_bad_memoize_key_names_the_field(run) -> None:
    for key in ("not a key!", "data.csv", "k_1", "-lead"):  # Argo's cacheKeyRegex: letters, digits, '-'
        t = dict(OK, memoize={"key": key, "cache": {"configMap": {"name": "c"}}})
        r = run(wf([dag("main", {"name": "a", "template": "ok"}), t]))
        assert "templates[ok].memoize.key" in r.node("a")["message"] and not r.backend.pods, key
    t = dict(OK, memoize={"key": "k"})
    r = run(wf([dag("main", {"name": "a", "template": "ok"}), t]))
    assert "memoize.cache.configMap.name" in r.node("a")["message"]


def test_bad_pod_gc_strategy_is_the_runs_error(run) -> None:
    r = run(wf([dag("main", {"name": "a", "template": "ok"}), OK], podGC={"strategy": "Sometimes"}))
    assert r.phase == "Error" and "spec.podGC.strategy" in (r.message or "")


def test_a_metric_that_cannot_be_computed_is_skipped(run, wfexec_home: Path) -> None:
    t = dict(OK, metrics={"prometheus": [
        {"name": "m", "help": "h", "gauge": {"value": "{{outputs.parameters.absent}}"}},
        {"name": "n", "help": "h", "counter": {"value": "1"}}]})
    r = run(wf([dag("main", {"name": "a", "template": "ok"}), t]))
    assert r.phase == "Succeeded", r.message
    text = (wfexec_home / "metrics.prom").read_text()
    assert "argo_workflows_n_total 1.0" in text and "argo_workflows_m " not in text
