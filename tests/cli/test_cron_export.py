"""CronWorkflows in Argo 3.x's spelling (`schedule`, `mutex`, `semaphore`) and 4.x's lists, both accepted;
`export --argo-version` writes the one the target reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.cli.helpers import wfexec
from wfexec.errors import SpecError
from wfexec.export.argo_version import for_argo_version

V3 = """\
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedule: "0 1 * * *"
  workflowSpec:
    entrypoint: main
    synchronization:
      mutex: {name: one-at-a-time}
    templates:
    - name: main
      container: {image: busybox, command: [echo, hi]}
"""


def test_v3_spelling_lints_runs_and_exports_both_ways(tmp_path: Path) -> None:
    home = tmp_path / "home"
    v3 = tmp_path / "v3.yaml"
    v3.write_text(V3)
    v4 = tmp_path / "v4.yaml"
    v4.write_text(V3.replace('schedule: "0 1 * * *"', 'schedules: ["0 1 * * *"]')
                  .replace("mutex: {name: one-at-a-time}", "mutexes: [{name: one-at-a-time}]"))
    assert wfexec("lint", str(v3), str(v4), home=home).returncode == 0
    neither = tmp_path / "none.yaml"
    neither.write_text(V3.replace('  schedule: "0 1 * * *"\n', ""))
    res = wfexec("lint", str(neither), home=home)
    assert res.returncode == 1 and '"schedules" (or "schedule"' in res.stdout
    assert wfexec("submit", str(v3), "--wait", home=home).returncode == 0
    yaml = YAML(typ="safe")
    # export writes the run a CronWorkflow makes: its synchronization is respelt, either way
    out4 = yaml.load(wfexec("export", str(v3), "--argo-version", "4", "--no-daemon", "--no-registry",
                            home=home, check=True).stdout)
    assert out4["spec"]["synchronization"] == {"mutexes": [{"name": "one-at-a-time"}]}
    out3 = yaml.load(wfexec("export", str(v4), "--argo-version", "3", "--no-daemon", "--no-registry",
                            home=home, check=True).stdout)
    assert out3["spec"]["synchronization"] == {"mutex": {"name": "one-at-a-time"}}


def test_cron_documents_respelt_for_each_version() -> None:
    cron = YAML(typ="safe").load(V3)
    for_argo_version([cron], 4, "v3.yaml")
    assert cron["spec"]["schedules"] == ["0 1 * * *"] and "schedule" not in cron["spec"]
    assert cron["spec"]["workflowSpec"]["synchronization"] == {"mutexes": [{"name": "one-at-a-time"}]}
    for_argo_version([cron], 3, "v3.yaml")
    assert cron["spec"]["schedule"] == "0 1 * * *" and "schedules" not in cron["spec"]
    assert cron["spec"]["workflowSpec"]["synchronization"] == {"mutex": {"name": "one-at-a-time"}}
    cron["spec"]["schedules"] = ["0 1 * * *", "0 2 * * *"]
    with pytest.raises(SpecError, match="Argo 3.x takes one schedule"):
        for_argo_version([cron], 3, "v3.yaml")
