"""A KFP task's `set_cpu_limit` and `set_memory_limit` reach its container on the docker runtime: the task
reads its own cgroup's limits (cgroup v1 or v2), under both executors. The launcher needs a python3 in the
image: every image is mapped to the test python image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.kfp_v2.helpers import param, submit
from tests.kfp_v2.ir_builder import container, pipeline, task, write
from tests.kfp_v2.test_task_settings import out_file
from tests.support import images

READ_LIMITS = (
    'if [ -f /sys/fs/cgroup/cpu.max ]; then read q p < /sys/fs/cgroup/cpu.max; m=$(cat /sys/fs/cgroup/memory.max);'
    ' else q=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us); p=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us);'
    ' m=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); fi; printf "%s %s %s" "$q" "$p" "$m" > "$0"'
)


@pytest.mark.docker
@pytest.mark.parametrize("executor", ["emissary", "docker"])
def test_cpu_and_memory_limits_reach_the_container(executor: str, tmp_path: Path) -> None:
    limited = container(READ_LIMITS, out_file("Output"), outputs={"Output": "STRING"})
    # what kfp writes for .set_cpu_limit("500m").set_memory_limit("64M")
    limited["executor"]["container"]["resources"] = {"cpuLimit": 0.5, "resourceCpuLimit": "500m",
                                                     "memoryLimit": 0.064, "resourceMemoryLimit": "64M"}
    doc = pipeline("limits", {"limited": task("limited")}, {"limited": limited})
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                  "metadata": {"name": "workflow-controller-configmap"},
                                  "data": {"imageMap": {"*": images.python_image()}}}))
    wf = submit(tmp_path / "home", write(tmp_path / "limits.yaml", doc),
                options=("--runtime", "docker", "--executor", executor, "--config", str(config)))
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    quota, period, memory = param(wf, "limited")[0].split()
    assert int(quota) / int(period) == 0.5
    assert int(memory) == 64_000_000
