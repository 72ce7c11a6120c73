"""The engine: runs one workflow to its end, node by node, in Argo's shapes.

Who does what (each module is one concept; the arrows are imports):

- `workflow.py` — `WorkflowRun`: one run from start to end (arguments, global scope, the
  entrypoint, stop/terminate/resume, activeDeadlineSeconds, the final status). It builds the parts
  below and hands each the narrow piece it needs.
- `context.py` — `RunContext`: what the parts share (name, spec, options, node book, global scope
  and outputs, whether the run is stopping).
- `nodebook.py` — `NodeBook`: the run's nodes; create, save, finish; batched writes via `journal.py`.
- `walker.py` — `Walker`: a template as a node (find, bind, dispatch by kind); one step or task
  (`when`, arguments, template, hooks).
- `templates.py` (resolve, templateDefaults, inputs, scope, loops) · `steps.py` · `dag.py` (`DagRun`)
  · `retry.py` · `pods.py` (pods, daemons) · `suspend.py` · `hooks.py` (hooks, exit handlers) ·
  `outputs.py` · `guard.py` (parallelism, failFast, continueOn) · `local_resources.py` (PVCs).
  Steps, DAG and hooks see only `protocols.ChildRunner` / `protocols.Execute`.
- `tree.py` (Argo's links: outbound nodes, the chain of step groups, the tree as drawn) ·
  `accounting.py` (per-node progress and resourcesDuration) · `estimate.py` (estimatedDuration from
  the latest Succeeded run of the same workflow).
- `around.py` (what wraps a template's body): `sync.py` (mutexes, semaphores) · `memo.py` (memoize
  caches) · `metrics.py` (custom and controller metrics, Prometheus text) · `gc.py` (podGC, ttlStrategy,
  artifactGC, retention).
- `nodes.py` (the `Node` TypedDict, ids, phases) · `options.py` (`RunOptions`) · `status.py`
  (the Argo Workflow object) · `store.py` (SQLite) · `api.py` (submit, drive, heal).

The engine reaches runtimes only through the `wfexec.pod.Backend` protocol.
"""
