"""Benchmark: KFP v2 lightweight Python components, wfexec's host runtime vs kfp.local, in the same run.

Two pipelines of 20 tasks each, written with kfp and compiled by it: a chain (each task adds one to the
previous one's output) and a fan-out (20 independent tasks). Each is run, whole command, by
`wfexec submit --wait pipeline.yaml` and by a Python script that runs the pipeline function under
`kfp.local.init(runner=SubprocessRunner(use_venv=False))`. Target: wfexec at <= 0.2x kfp.local's wall
time per task.

wfexec's first run of a package set builds its venv (a pip install, once, then cached); that is timed
apart ("first run"). Its warm process, started by that run, lingers for $WFEXEC_PYENV_IDLE seconds; the
"cold" line stops it first, so that run pays for starting it as well; "no-warm" runs each task in a Python
of its own (WFEXEC_PYENV_WARM=0), which shows what the warm process saves.

Needs kfp.local in its own venv: `make kfplocal-venv` (.venv-kfplocal). Run: .venv/bin/python bench/kfp_v2.py
[--runs 3] [--kfp-python .venv-kfplocal/bin/python]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TASKS = 20

PIPELINES = textwrap.dedent('''
    import sys
    from kfp import compiler, dsl, local

    @dsl.component(base_image="python:3.11")
    def add_one(x: int) -> int:
        return x + 1

    @dsl.pipeline(name="chain-20")
    def chain(start: int = 0) -> int:
        task = add_one(x=start).set_caching_options(False)  # every run runs every task
        for _ in range({n} - 1):
            task = add_one(x=task.output).set_caching_options(False)
        return task.output

    @dsl.pipeline(name="fanout-20")
    def fanout(start: int = 0):
        for i in range({n}):
            add_one(x=i).set_caching_options(False)

    PIPELINES = {{"chain": chain, "fanout": fanout}}

    if __name__ == "__main__":
        what, name = sys.argv[1], sys.argv[2]
        if what == "compile":
            compiler.Compiler().compile(PIPELINES[name], sys.argv[3])
        else:
            local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=sys.argv[3])
            PIPELINES[name]()
''').format(n=TASKS)


def timed(argv: list[str], env: dict[str, str], log: Path) -> float:
    t = time.perf_counter()
    with open(log, "ab") as out:
        done = subprocess.run(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(argv)}; see {log}")
    return elapsed


def stop_warm(pyenvs: Path) -> None:
    for sock in pyenvs.glob("*/warm.sock"):
        sock.unlink()
    time.sleep(2.5)  # a warm process looks for its socket every 2 s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kfp-python", default=str(REPO / ".venv-kfplocal" / "bin" / "python"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if not os.access(args.kfp_python, os.X_OK):
        sys.exit(f"kfp.local's venv is missing ({args.kfp_python}): make kfplocal-venv")
    wfexec = str(Path(sys.executable).with_name("wfexec"))
    work = Path(tempfile.mkdtemp(prefix="wfexec-bench-kfp-"))
    log = work / "log.txt"
    env = dict(os.environ, WFEXEC_HOME=str(work / "home"), WFEXEC_PYENV_IDLE="120")
    local_env = {k: v for k, v in env.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    try:
        (work / "pipes.py").write_text(PIPELINES)
        results: dict[str, dict[str, list[float]]] = {}
        for name in ("chain", "fanout"):
            yaml_path = work / f"{name}.yaml"
            subprocess.run([args.kfp_python, str(work / "pipes.py"), "compile", name, str(yaml_path)], check=True,
                           env=local_env)
            submit = [wfexec, "submit", "--wait", str(yaml_path)]
            r = results[name] = {"first": [], "cold": [], "warm": [], "no-warm": [], "kfp.local": []}
            if name == "chain":
                r["first"].append(timed(submit, env, log))  # builds the venv
            for _ in range(args.runs):
                stop_warm(work / "home" / "pyenvs")
                r["cold"].append(timed(submit, env, log))
                r["warm"].append(timed(submit, env, log))
                r["no-warm"].append(timed(submit, dict(env, WFEXEC_PYENV_WARM="0"), log))
                r["kfp.local"].append(timed([args.kfp_python, str(work / "pipes.py"), "run", name,
                                             str(work / "kfp-root")], local_env, log))
        print(f"{TASKS}-task pipelines of lightweight Python components; cpus={os.cpu_count()}, "
              f"runs={args.runs} (median)")
        for name, r in results.items():
            base = statistics.median(r["kfp.local"])
            print(f"{name}:")
            for label in ("first", "cold", "warm", "no-warm", "kfp.local"):
                if r[label]:
                    med = statistics.median(r[label])
                    print(f"  {label:10s} {med:6.2f} s  {med / TASKS * 1000:6.0f} ms/task  ratio {med / base:5.2f}")
            warm_ratio = statistics.median(r["warm"]) / base
            cold_ratio = statistics.median(r["cold"]) / base
            print(f"  wfexec/kfp.local per task: warm {warm_ratio:.2f}, cold {cold_ratio:.2f}  (target <= 0.20)")
    finally:
        stop_warm(work / "home" / "pyenvs")
        if args.keep:
            print(f"work directory: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
