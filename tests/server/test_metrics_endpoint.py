"""`/metrics` on the server: a template's custom metric and the controller's own, as Prometheus scrapes them."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.server.workflows import container_wf, create, wait_phase


def test_metrics_endpoint_serves_custom_and_controller_metrics(server) -> None:
    wf = container_wf("echo scraped")
    wf["spec"]["templates"][0]["metrics"] = {"prometheus": [{
        "name": "scrape_answer", "help": "a gauge set by the template",
        "labels": [{"key": "kind", "value": "fixed"}], "gauge": {"value": "42", "realtime": False}}]}
    name = create(server.url, wf)
    assert wait_phase(server.url, name)["status"]["phase"] == "Succeeded"
    r = requests.get(server.url + "/metrics", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for fam in text_string_to_metric_families(r.text) for s in fam.samples}
    assert samples[("argo_workflows_scrape_answer", (("kind", "fixed"),))] == 42.0
    succeeded = [v for (n, labels), v in samples.items()
                 if n == "argo_workflows_gauge" and ("phase", "Succeeded") in labels]
    assert succeeded and succeeded[0] >= 1
