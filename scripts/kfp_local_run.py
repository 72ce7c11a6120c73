"""Run one KFP pipeline from its Python source under kfp.local, for the comparison with wfexec.

Run by the Python of `.venv-kfplocal` (kfp 2.17, `make kfplocal-venv`), never by wfexec's:
    kfp_local_run.py SOURCE.py PIPELINE_NAME PIPELINE_ROOT [ARGUMENTS_JSON]
It imports SOURCE.py, takes the pipeline (or single component) whose name is PIPELINE_NAME
(`pipelineInfo.name` of the compiled YAML beside it), runs it with
`kfp.local.init(runner=SubprocessRunner(use_venv=False))` and the arguments given, and prints one JSON line last: {"status": "Succeeded"|"Failed", "error": text,
"tasks": {task name: parameterValues}} where the parameters are read from kfp.local's pipeline root.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import traceback


def find_pipeline(module, name: str):
    from kfp.dsl import base_component

    found = [v for v in vars(module).values() if isinstance(v, base_component.BaseComponent)]
    for pipeline in found:
        if pipeline.name == name or pipeline.name.replace("_", "-") == name:
            return pipeline
    # The YAML may have been compiled under another name: the function the source compiles.
    with open(module.__file__) as f:
        compiled = re.findall(r"pipeline_func\s*=\s*(\w+)", f.read())
    if compiled and isinstance(getattr(module, compiled[-1], None), base_component.BaseComponent):
        return getattr(module, compiled[-1])
    raise LookupError(f"no pipeline named {name!r} in the source (found: {[p.name for p in found]})")


def task_outputs(root: str) -> dict[str, list[dict]]:
    """Task name -> the output parameters of each of its runs (a loop runs a task several times)."""
    tasks: dict[str, list[dict]] = {}
    for run in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        for dirpath, _dirs, files in os.walk(os.path.join(root, run)):
            if "executor_output.json" in files:
                with open(os.path.join(dirpath, "executor_output.json")) as f:
                    values = (json.load(f) or {}).get("parameterValues") or {}
                name = os.path.basename(dirpath)
                name = re.sub(r"-loop-item-\d+$|-\d+-iteration$", "", name)
                tasks.setdefault(name, []).append(values)
    return tasks


def main(argv: list[str]) -> int:
    source, name, root = argv[:3]
    arguments = json.loads(argv[3]) if len(argv) > 3 else {}
    result = {"status": "Succeeded", "error": "", "tasks": {}}
    try:
        from kfp import local

        sys.path.insert(0, os.path.dirname(os.path.abspath(source)))
        spec = importlib.util.spec_from_file_location("kfp_local_subject", source)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        pipeline = find_pipeline(module, name)
        local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root, raise_on_error=True)
        pipeline(**arguments)
    except BaseException as e:  # noqa: BLE001 - any failure is a row of the table
        traceback.print_exc()
        lines = [line for line in str(e).strip().splitlines() if line.strip()]
        result = {"status": "Failed", "error": f"{type(e).__name__}: {lines[-1] if lines else ''}"[:300], "tasks": {}}
    result["tasks"] = task_outputs(root)
    sys.stdout.flush()
    print("\n" + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
