"""Benchmark: sequential one-container pods on the docker runtime vs bare `docker run --rm`.

Runs, in one process and interleaved per round so drift hits all three alike:
  - a pod through DockerBackend with the emissary executor,
  - a pod through DockerBackend with the docker executor,
  - `docker run --rm IMAGE echo hello` through the docker CLI,
then prints per-step medians and the ratios to the bare runs (target ≤ 1.15×). It also times
the emissary's own start inside a busybox container (a loop of `emissary -- /bin/true`
against a loop of the interpreter alone) and in a scratch container (median `docker run`
with the emissary minus without). Usage: python bench/docker_steps.py [--steps 50]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.images import busybox_image, scratch_hello_image  # noqa: E402

from wfexec.pod import ContainerPlan, PodPlan  # noqa: E402
from wfexec.runtimes.docker.backend import DockerBackend  # noqa: E402
from wfexec.runtimes.docker.bundle import BUNDLE_MOUNT, prepare_emissary_bundle  # noqa: E402


def run_pod(backend: DockerBackend, root: Path, image: str) -> float:
    argo = root / uuid.uuid4().hex[:8]
    pod = PodPlan(run_id="bench", node_id=argo.name, pod_name=f"bench-{argo.name}", argo_dir=argo,
                  containers=[ContainerPlan("main", image=image, command=["echo", "hello"])],
                  template={"name": "bench"})
    done = threading.Event()
    out = []
    t0 = time.perf_counter()
    backend.start(pod, lambda r: (out.append(r), done.set()))
    done.wait(120)
    dt = time.perf_counter() - t0
    if not out or out[0].phase != "Succeeded" or out[0].result != "hello":
        raise SystemExit(f"bench pod failed: {out[0] if out else 'timeout'}")
    return dt


def run_bare(image: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(["docker", "run", "--rm", image, "echo", "hello"], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0 or proc.stdout.strip() != "hello":
        raise SystemExit(f"bare docker run failed: {proc.stderr}")
    return dt


def emissary_start_busybox(image: str, loops: int = 20) -> tuple[float, float]:
    """(per-run seconds of `emissary -- /bin/true`, of the bare interpreter) inside one container."""
    bundle = prepare_emissary_bundle()
    py = (f"{BUNDLE_MOUNT}/lib/ld-linux-x86-64.so.2 --library-path {BUNDLE_MOUNT}/lib "
          f"{BUNDLE_MOUNT}/bin/python3.11 -I -S -B -c pass")
    script = (
        f"t0=$(cat /proc/uptime); i=0; while [ $i -lt {loops} ]; do "
        "ARGO_CONTAINER_NAME=c$i /var/run/argo/emissary -- /bin/true || exit 9; i=$((i+1)); done; "
        f"t1=$(cat /proc/uptime); i=0; while [ $i -lt {loops} ]; do {py} || exit 8; i=$((i+1)); done; "
        "t2=$(cat /proc/uptime); echo $t0 $t1 $t2"
    )
    with tempfile.TemporaryDirectory() as argo:
        bundle.install(Path(argo))
        Path(argo, "template").write_text("{}")
        proc = subprocess.run(["docker", "run", "--rm", "-v", f"{argo}:/var/run/argo", "-v",
                               f"{bundle.root}:{BUNDLE_MOUNT}:ro", image, "sh", "-c", script],
                              capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"emissary start measurement failed: {proc.stdout} {proc.stderr}")
    # /proc/uptime has 10 ms resolution, fine over 20 runs
    t0, t1, t2 = (float(x) for x in proc.stdout.split()[0::2])
    return (t1 - t0) / loops, (t2 - t1) / loops


def emissary_start_scratch(image: str, rounds: int = 15) -> tuple[float, float]:
    """Median `docker run` of the scratch hello with the emissary in front, and without."""
    bundle = prepare_emissary_bundle()
    with_e, bare = [], []
    with tempfile.TemporaryDirectory() as argo:
        bundle.install(Path(argo))
        Path(argo, "template").write_text("{}")
        for _ in range(rounds):
            t0 = time.perf_counter()
            subprocess.run(["docker", "run", "--rm", "-v", f"{argo}:/var/run/argo", "-v",
                            f"{bundle.root}:{BUNDLE_MOUNT}:ro", "--entrypoint", "/var/run/argo/emissary",
                            "-e", f"ARGO_CONTAINER_NAME=c{uuid.uuid4().hex[:6]}", image, "--", "/hello"],
                           capture_output=True, check=True)
            with_e.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run(["docker", "run", "--rm", "-v", f"{argo}:/var/run/argo", "-v",
                            f"{bundle.root}:{BUNDLE_MOUNT}:ro", image], capture_output=True, check=True)
            bare.append(time.perf_counter() - t0)
    return statistics.median(with_e), statistics.median(bare)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    opts = parser.parse_args()
    image = busybox_image()
    hello = scratch_hello_image()
    backends = {ex: DockerBackend(None, executor=ex) for ex in ("emissary", "docker")}
    for b in backends.values():
        b.check()
    times: dict[str, list[float]] = {"emissary": [], "docker": [], "bare docker run --rm": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for b in backends.values():  # warm-up: image cache, bundle, connection pool
            run_pod(b, root, image)
        run_bare(image)
        for _ in range(opts.steps):
            times["emissary"].append(run_pod(backends["emissary"], root, image))
            times["docker"].append(run_pod(backends["docker"], root, image))
            times["bare docker run --rm"].append(run_bare(image))
    bare = statistics.median(times["bare docker run --rm"])
    print(f"{opts.steps} sequential steps each, image {image}, command: echo hello")
    print(f"{'':24} {'median':>9} {'p90':>9} {'ratio to bare':>14}")
    for name, ts in times.items():
        p90 = sorted(ts)[int(0.9 * (len(ts) - 1))]
        print(f"{name:24} {statistics.median(ts) * 1000:7.0f}ms {p90 * 1000:7.0f}ms "
              f"{statistics.median(ts) / bare:13.2f}x")
    em, py = emissary_start_busybox(image)
    print(f"emissary in busybox: emissary -- /bin/true {em * 1000:.0f} ms a run; "
          f"interpreter alone (-I -S -c pass) {py * 1000:.0f} ms")
    with_e, without = emissary_start_scratch(hello)
    print(f"emissary in scratch: docker run median {with_e * 1000:.0f} ms with the emissary, "
          f"{without * 1000:.0f} ms without: +{(with_e - without) * 1000:.0f} ms")
    for b in backends.values():
        b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
