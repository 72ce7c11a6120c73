"""custom-metrics and dag-custom-metrics: their metrics are scraped back, with their values, from
the Prometheus text wfexec writes (parsed by prometheus_client's own parser)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import CORPUS
from tests.support.runs import run_file
from wfexec.engine.metrics import render_prometheus
from wfexec.engine.values import node_duration

EX = CORPUS / "argo-examples"


def _scrape(home: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = render_prometheus(home)
    assert text == (home / "metrics.prom").read_text()  # the file is the exposition as of the last run's end
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_custom_metrics(wfexec_home: Path) -> None:
    run = run_file(EX / "custom-metrics.yaml")
    m = _scrape(wfexec_home)
    rand = int(run.param("random-int", "rand-int-value"))
    hist = "argo_workflows_random_int_step_histogram"
    assert m[(hist + "_count", ())] == 1 and m[(hist + "_sum", ())] == rand
    for bound in (2.01, 4.01, 6.01, 8.01, 10.01):
        assert m[(hist + "_bucket", (("le", str(bound)),))] == (1 if rand <= bound else 0)
    assert m[(hist + "_bucket", (("le", "+Inf"),))] == 1
    gauge = "argo_workflows_duration_gauge"
    assert m[(gauge, (("name", "random-int"),))] == node_duration(run.by_display("random-int"))
    assert m[(gauge, (("name", "steps"),))] == node_duration(run.nodes[run.name])
    assert m[(gauge, (("name", "workflow"),))] >= m[(gauge, (("name", "steps"),))]
    flakey = run.by_display("flakey")
    assert m[("argo_workflows_result_counter_total", (("name", "flakey"), ("status", flakey["phase"])))] == 1
    assert run.phase == flakey["phase"]
    # Argo's controller metrics
    assert m[("argo_workflows_gauge", (("phase", run.phase),))] == 1
    assert m[("argo_workflows_total_count_total", (("phase", "Pending"),))] == 1
    assert m[("argo_workflows_queue_depth_gauge", (("queue_name", "workflow_queue"),))] == 0


def test_dag_custom_metrics_add_up_over_two_runs(wfexec_home: Path) -> None:
    first = run_file(EX / "dag-custom-metrics.yaml")
    second = run_file(EX / "dag-custom-metrics.yaml")
    assert first.phase == second.phase == "Succeeded", (first.message, second.message)
    m = _scrape(wfexec_home)
    wf = (("playground_id_workflow", "test"), ("status", "Succeeded"))
    assert m[("argo_workflows_playground_workflow_duration", wf)] >= 0  # a gauge: the last run's duration
    counter = (("playground_id_workflow_counter", "test"), ("status", "Succeeded"))
    assert m[("argo_workflows_playground_workflow_result_counter_total", counter)] == 2
    for tag in ("TEST-ONE-A", "TEST-ONE-B", "TEST-TWO-A", "TEST-TWO-B"):
        labels = (("playground_task_name_counter", tag), ("status", "Succeeded"))
        assert m[("argo_workflows_playground_workflow_result_task_counter_total", labels)] == 2
        node = next(n for n in second.pods() if tag in str(n["inputs"]["parameters"]))
        assert m[("argo_workflows_playground_workflow_duration_task_seconds",
                  (("playground_task_name", tag), ("status", "Succeeded")))] == node_duration(node)
    assert m[("argo_workflows_gauge", (("phase", "Succeeded"),))] == 2
    assert m[("argo_workflows_total_count_total", (("phase", "Running"),))] == 2


def test_exposition_escapes_and_parses(wfexec_home: Path) -> None:
    from wfexec.engine.metrics import MetricsTable, resolve_metrics
    from wfexec.engine.store import Store

    specs = [{"name": "odd", "help": 'a "help"\\ text\nwith a newline', "labels": [{"key": "v", "value": "{{x}}"}],
              "counter": {"value": "2"}},
             {"name": "bad name", "help": "skipped: not a metric name", "gauge": {"value": "1"}},
             {"name": "skipped_by_when", "help": "h", "when": "{{x}} == nope", "gauge": {"value": "1"}},
             {"name": "h", "help": "h", "histogram": {"buckets": [1, 0.5], "value": "0.7"}}]
    table = MetricsTable(Store())
    table.record(resolve_metrics(specs, {"x": 'a"b\\c\nd'}, "test"))
    table.record(resolve_metrics(specs, {"x": 'a"b\\c\nd'}, "test"))
    fams = {f.name: f for f in text_string_to_metric_families(render_prometheus(wfexec_home))}
    assert "argo_workflows_skipped_by_when" not in fams and not any("bad" in n for n in fams)
    (sample,) = fams["argo_workflows_odd"].samples
    assert sample.labels == {"v": 'a"b\\c\nd'} and sample.value == 4
    assert fams["argo_workflows_odd"].documentation == 'a "help"\\ text\nwith a newline'
    buckets = {s.labels.get("le"): s.value for s in fams["argo_workflows_h"].samples if s.name.endswith("_bucket")}
    assert buckets == {"0.5": 0, "1.0": 2, "+Inf": 2}


REALTIME = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: realtime-}
spec:
  entrypoint: slow
  templates:
  - name: slow
    metrics:
      prometheus:
      - name: slow_duration
        help: "how long slow has run"
        gauge: {realtime: true, value: "{{duration}}"}
    container: {image: busybox, command: [sh, -c, "sleep 4"]}
"""


def test_realtime_gauge_follows_the_running_node(wfexec_home: Path, tmp_path: Path) -> None:
    import threading
    import time

    src = tmp_path / "wf.yaml"
    src.write_text(REALTIME)
    seen: list[float] = []
    done = threading.Event()

    def scrape() -> None:
        while not done.is_set():
            text = (wfexec_home / "metrics.prom").read_text() if (wfexec_home / "metrics.prom").exists() else ""
            seen.extend(s.value for f in text_string_to_metric_families(text) for s in f.samples
                        if s.name == "argo_workflows_slow_duration")
            time.sleep(0.2)

    watcher = threading.Thread(target=scrape)
    watcher.start()
    try:
        run = run_file(src)
    finally:
        done.set()
        watcher.join()
    assert run.phase == "Succeeded"
    final = node_duration(run.pods()[0])
    assert any(0 < v < final for v in seen), (seen, final)  # values while it ran, below the final one
    assert _scrape(wfexec_home)[("argo_workflows_slow_duration", ())] == final
