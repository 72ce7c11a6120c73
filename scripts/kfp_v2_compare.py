"""The KFP v2 corpus under wfexec (host runtime) and under kfp.local, side by side.

For each compiled pipeline of `corpus/kfp-v2-pipelines/{essential,critical}` with its Python source
beside it: `wfexec submit --wait FILE.yaml` runs the YAML; kfp.local (`.venv-kfplocal`, see
scripts/kfp_local_run.py) runs the pipeline function from the `.py`. The row says how each ended and,
for the tasks both ran, whether their output parameters agree (artifacts are not compared).

    .venv/bin/python scripts/kfp_v2_compare.py [--jobs 2] [--only NAME…] > table.md

tests/kfp_v2/test_kfp_local.py runs a few rows in CI; the full table goes in docs/kfp-v2.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "kfp-v2-pipelines"
KFP_PYTHON = REPO / ".venv-kfplocal" / "bin" / "python"
RUNNER = Path(__file__).with_name("kfp_local_run.py")
TIMEOUT = 900


@dataclass
class Side:
    status: str  # Succeeded, Failed, Error, Timeout
    error: str = ""
    tasks: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # task -> each run's output parameters


@dataclass
class Row:
    name: str  # essential/foo.yaml
    wfexec: Side
    kfp_local: Side
    compared: int = 0  # output parameters compared
    differences: list[str] = field(default_factory=list)


SAMPLE = {"STRING": "hello", "NUMBER_INTEGER": 3, "NUMBER_DOUBLE": 1.5, "BOOLEAN": True, "LIST": [1, 2],
          "STRUCT": {"a": 1}}


def arguments_for(path: Path) -> dict[str, object]:
    """A value for each pipeline parameter, the same for both runners: its default, else a sample of
    its type (KFP's e2e test gives its own, which the corpus does not hold). The `.py` may lack a
    default the YAML has."""
    doc = next(iter(yaml.safe_load_all(path.read_text())), None) or {}
    params = ((doc.get("root") or {}).get("inputDefinitions") or {}).get("parameters") or {}
    out: dict[str, object] = {}
    for name, p in params.items():
        kind = p.get("parameterType")
        if "defaultValue" in p:
            value = p["defaultValue"]
            out[name] = int(value) if kind == "NUMBER_INTEGER" and isinstance(value, float) else value
        elif not p.get("isOptional"):
            out[name] = SAMPLE.get(kind, "hello")
    return out


def corpus_pairs(only: list[str] | None = None) -> list[tuple[Path, Path, str]]:
    """(YAML, its .py, pipeline name) for every compiled pipeline that has its source beside it."""
    pairs = []
    for path in sorted(CORPUS.glob("*/*.yaml")):
        source = _source_of(path)
        if source is None or (only and not any(o in str(path) for o in only)):
            continue
        doc = next(iter(yaml.safe_load_all(path.read_text())), None) or {}
        name = (doc.get("pipelineInfo") or {}).get("name")
        if name:
            pairs.append((path, source, name))
    return pairs


def _source_of(path: Path) -> Path | None:
    for stem in (path.stem, path.stem.removesuffix("_compiled"), path.stem.removesuffix("_pipeline")):
        if (path.parent / f"{stem}.py").exists():
            return path.parent / f"{stem}.py"
    return None


def run_wfexec(path: Path, work: Path, arguments: dict[str, object], env: dict[str, str] | None = None) -> Side:
    wfexec = str(Path(sys.executable).with_name("wfexec"))
    env = dict(env or os.environ, WFEXEC_HOME=str(work / "home"))
    params = [a for k, v in arguments.items() for a in ("-p", f"{k}={v if isinstance(v, str) else json.dumps(v)}")]
    try:
        done = subprocess.run([wfexec, "submit", "--wait", str(path), *params], env=env, capture_output=True, text=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return Side("Timeout", f"no end within {TIMEOUT} s")
    got = subprocess.run([wfexec, "get", "@latest", "-o", "json"], env=env, capture_output=True, text=True)
    if got.returncode != 0:
        return Side("Error", _last_line(done.stderr or done.stdout or got.stderr))
    wf = json.loads(got.stdout)
    status = wf.get("status") or {}
    tasks: dict[str, list[dict[str, object]]] = {}
    for node in (status.get("nodes") or {}).values():
        if node.get("type") != "Pod" or node.get("phase") != "Succeeded":
            continue
        params = (node.get("outputs") or {}).get("parameters") or []
        name = re.sub(r"\(\d+(:.*)?\)$", "", node.get("displayName", ""))  # a loop's iteration
        tasks.setdefault(name, []).append({p["name"][2:]: _value(p.get("value")) for p in params
                                           if p["name"].startswith("p-")})
    phase = status.get("phase") or "Error"
    return Side(phase, "" if phase == "Succeeded" else (status.get("message") or _last_line(done.stderr)), tasks)


def run_kfp_local(source: Path, name: str, work: Path, arguments: dict[str, object],
                  env: dict[str, str] | None = None) -> Side:
    env = {k: v for k, v in (env or os.environ).items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    try:
        done = subprocess.run([str(KFP_PYTHON), str(RUNNER), str(source), name, str(work / "kfp-root"),
                               json.dumps(arguments)],
                              env=env, capture_output=True, text=True, timeout=TIMEOUT, cwd=work)
    except subprocess.TimeoutExpired:
        return Side("Timeout", f"no end within {TIMEOUT} s")
    last = (done.stdout.strip().splitlines() or [""])[-1]
    try:
        result = json.loads(last)
    except ValueError:
        return Side("Error", _last_line(done.stderr or done.stdout))
    return Side(result["status"], result["error"], result["tasks"])


def _value(text: object) -> object:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, str) and not isinstance(b, str):
        return _same(_value(a), b) if _value(a) != a else False
    if isinstance(b, str) and not isinstance(a, str):
        return _same(b, a)
    return a == b


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def compare(path: Path, source: Path, name: str, work: Path) -> Row:
    work.mkdir(parents=True, exist_ok=True)
    arguments = arguments_for(path)
    ours = run_wfexec(path, work, arguments)
    theirs = run_kfp_local(source, name, work, arguments)
    row = Row(f"{path.parent.name}/{path.name}", ours, theirs)
    if ours.status != "Succeeded" or theirs.status != "Succeeded":
        return row  # compared only where both ran the whole pipeline
    for task in sorted(set(ours.tasks) & set(theirs.tasks)):
        mine, other = ours.tasks[task], theirs.tasks[task]
        if len(mine) != len(other):  # the runners name a nested pipeline's tasks apart: not comparable
            continue
        for param in sorted(set().union(*mine) & set().union(*other)):
            row.compared += 1
            a = sorted((_norm(r.get(param)) for r in mine), key=json.dumps)
            b = sorted((_norm(r.get(param)) for r in other), key=json.dumps)
            if not all(_same(x, y) for x, y in zip(a, b, strict=True)):
                row.differences.append(f"{task}.{param}: wfexec {json.dumps(a if len(a) > 1 else a[0])[:70]}"
                                       f" / kfp.local {json.dumps(b if len(b) > 1 else b[0])[:70]}")
    return row


def _norm(value: object) -> object:
    """A path or URI, by its last component: each runner keeps artifacts in a place of its own."""
    if isinstance(value, str) and value.startswith(("/", "file://", "minio://", "s3://", "gs://")) \
            and "\n" not in value:
        return "…/" + value.rstrip("/").rsplit("/", 1)[-1]
    return value


def markdown(rows: list[Row]) -> str:
    out = ["| pipeline | wfexec (host) | kfp.local | outputs compared | differences |", "|---|---|---|---|---|"]
    for r in rows:
        def cell(s: Side) -> str:
            return s.status + (f": {s.error}" if s.error and s.status != "Succeeded" else "")
        diffs = "; ".join(r.differences) or ("none" if r.compared else "-")
        out.append(f"| {r.name} | {_md(cell(r.wfexec))} | {_md(cell(r.kfp_local))} | {r.compared} | {_md(diffs)} |")
    both = sum(r.wfexec.status == "Succeeded" and r.kfp_local.status == "Succeeded" for r in rows)
    out.append("")
    out.append(f"{len(rows)} pipelines: wfexec Succeeded {sum(r.wfexec.status == 'Succeeded' for r in rows)}, "
               f"kfp.local Succeeded {sum(r.kfp_local.status == 'Succeeded' for r in rows)}, both {both}; "
               f"{sum(r.compared for r in rows)} output parameters compared, "
               f"{sum(len(r.differences) for r in rows)} differ.")
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    if not os.access(KFP_PYTHON, os.X_OK):
        sys.exit(f"kfp.local's venv is missing ({KFP_PYTHON}): make kfplocal-venv")
    base = Path(tempfile.mkdtemp(prefix="wfexec-kfp-compare-"))
    os.environ.setdefault("WFEXEC_PYENV_DIR", str(base / "pyenvs"))  # one venv per package set for all rows
    pairs = corpus_pairs(args.only)
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda p: compare(p[0], p[1], p[2], base / p[0].parent.name / p[0].stem), pairs))
    print(markdown(rows))
    print(f"\n(work directory: {base})", file=sys.stderr)


if __name__ == "__main__":
    main()
