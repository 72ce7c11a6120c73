"""Argo's validation rules beyond the schema: references, names, DAG shape and {{…}} variables."""

from __future__ import annotations

import time

import pytest

from tests.conftest import CORPUS
from wfexec.spec.lint import lint_documents, load_and_lint
from wfexec.spec.loader import load_file, load_text

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: w\nspec:\n"


def lint(spec: str, *, kind: str = "Workflow", templates: str | None = None) -> list[str]:
    docs = load_text(HEAD.format(kind=kind) + spec, "wf.yaml")
    given = load_text(templates, "lib.yaml") if templates is not None else None
    return [str(i) for i in lint_documents(docs, templates=given)]


def one(spec: str, **kw: str) -> str:
    found = lint(spec, **kw)
    assert len(found) == 1, found
    return found[0]


OK = """\
  entrypoint: main
  arguments:
    parameters: [{name: msg, value: hi}]
  templates:
    - name: main
      steps:
        - - name: a
            template: echo
            arguments: {parameters: [{name: text, value: "{{workflow.parameters.msg}}"}]}
        - - name: b
            template: echo
            withItems: [1, 2]
            arguments: {parameters: [{name: text, value: "{{steps.a.outputs.result}} {{item}}"}]}
    - name: echo
      inputs: {parameters: [{name: text}]}
      container: {image: alpine, args: ["{{inputs.parameters.text}}"]}
"""


def test_a_good_workflow_has_no_issues() -> None:
    assert lint(OK) == []


def test_missing_entrypoint() -> None:
    issue = one(OK.replace("  entrypoint: main\n", ""))
    assert issue.startswith("wf.yaml:5: spec: ") and '"entrypoint"' in issue
    # WorkflowTemplates may leave it to the submitter; workflowTemplateRef supplies it.
    assert lint(OK.replace("  entrypoint: main\n", ""), kind="WorkflowTemplate") == []
    assert lint("  workflowTemplateRef: {name: lib}\n") == []


def test_entrypoint_naming_a_missing_template() -> None:
    assert one(OK.replace("entrypoint: main", "entrypoint: mian")) == (
        'wf.yaml:6: spec.entrypoint: template "mian" is not defined (did you mean "main"?)')


def test_step_dag_onexit_and_hook_references() -> None:
    assert one(OK.replace("template: echo", "template: ecko", 1)).endswith(
        'spec.templates[0].steps[0][0].template: template "ecko" is not defined (did you mean "echo"?)')
    assert "spec.onExit: template \"bye\" is not defined" in one(OK + "  onExit: bye\n")
    spec = OK + "  hooks:\n    exit: {template: nothere}\n    running: {template: echo}\n"
    found = lint(spec)
    assert any('spec.hooks.exit.template: template "nothere" is not defined' in f for f in found)
    assert any('spec.hooks.running: hook "running" needs an "expression"' in f for f in found)
    dag = """\
  entrypoint: d
  templates:
    - name: d
      dag:
        tasks:
          - {name: a, template: t, onExit: gone}
          - {name: b, template: t2, dependencies: [a]}
    - name: t
      suspend: {}
"""
    found = lint(dag)
    assert any('spec.templates[0].dag.tasks[0].onExit: template "gone" is not defined' in f for f in found)
    assert any('spec.templates[0].dag.tasks[1].template: template "t2" is not defined (did you mean "t"?)' in f
               for f in found)


LIB = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec:
  templates:
    - {name: say, container: {image: alpine}}
"""

REF = """\
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: a
            templateRef: {name: %s, template: %s}
"""


def test_template_ref_resolves_against_given_and_same_file_templates() -> None:
    assert lint(REF % ("lib", "say")) == []
    assert lint(REF % ("other", "say")) == []  # unknown, but no templates were given
    assert lint(REF % ("lib", "say"), templates=LIB) == []
    assert 'templateRef.name: WorkflowTemplate "other" not found' in one(REF % ("other", "say"), templates=LIB)
    assert 'templateRef.template: template "sai" is not defined in WorkflowTemplate "lib" (did you mean "say"?)' in (
        one(REF % ("lib", "sai"), templates=LIB))
    # Templates in the same file count too, with no --templates.
    docs = load_text(LIB + "---\n" + HEAD.format(kind="Workflow") + REF % ("lib", "sai"), "both.yaml")
    (issue,) = lint_documents(docs)
    assert issue.line == 18 and "not defined in WorkflowTemplate" in issue.message
    # Cluster scope is a different namespace of names.
    assert "ClusterWorkflowTemplate \"lib\" not found" in one(
        REF.replace("template: %s}", "template: %s, clusterScope: true}") % ("lib", "say"), templates=LIB)


def test_workflow_template_ref_checks_entrypoint_and_parameters_against_the_template() -> None:
    lib = LIB.replace("  templates:", "  arguments: {parameters: [{name: p}]}\n  templates:")
    spec = "  workflowTemplateRef: {name: lib}\n  entrypoint: %s\n  arguments: {parameters: [{name: q, value: '{{workflow.parameters.p}}'}]}\n"
    assert lint(spec % "say", templates=lib) == []
    assert 'spec.entrypoint: template "sa" is not defined in WorkflowTemplate "lib"' in one(spec % "sa", templates=lib)
    assert 'WorkflowTemplate "nolib" not found' in one(
        spec.replace("name: lib", "name: nolib") % "say", templates=lib)


def test_undeclared_input_parameter() -> None:
    issue = one(OK.replace("{{inputs.parameters.text}}", "{{inputs.parameters.txt}}"))
    assert issue == ('wf.yaml:21: spec.templates[1].container.args[0]: {{inputs.parameters.txt}}: '
                     'template "echo" declares no input parameter "txt" (did you mean "text"?)')


def test_unknown_workflow_parameter_except_in_workflow_templates() -> None:
    spec = OK.replace("{{workflow.parameters.msg}}", "{{ workflow.parameters.mesg }}")
    assert 'no parameter "mesg" in spec.arguments.parameters (did you mean "msg"?)' in one(spec)
    assert lint(spec, kind="WorkflowTemplate") == []
    assert lint(spec, kind="ClusterWorkflowTemplate") == []


def test_steps_and_tasks_must_name_members_of_the_same_template() -> None:
    assert 'no step "c" in template "main"' in one(OK.replace("{{steps.a.outputs.result}}", "{{steps.c.outputs.result}}"))
    assert 'no task "a" in template "main"' in one(OK.replace("{{steps.a.outputs.result}}", "{{tasks.a.outputs.result}}"))
    dag = """\
  entrypoint: d
  templates:
    - name: d
      dag:
        tasks:
          - {name: a, template: t}
          - {name: b, template: t, depends: a, arguments: {parameters: [{name: x, value: "{{tasks.a.outputs.result}} {{tasks.z.id}}"}]}}
    - name: t
      inputs: {parameters: [{name: x, default: ""}]}
      script: {image: python, source: "print({{tasks.name}})"}
"""
    # {{tasks.name}} is the running task's own name, and tasks.a is a sibling: only z is wrong.
    assert one(dag) == ('wf.yaml:12: spec.templates[0].dag.tasks[1].arguments.parameters[0].value: '
                        '{{tasks.z.id}}: no task "z" in template "d"')


def test_runtime_variables_are_not_flagged() -> None:
    values = ["{{item}}", "{{item.a}}", "{{pod.name}}", "{{workflow.name}}", "{{workflow.uid}}",
              "{{workflow.status}}", "{{workflow.failures}}", "{{workflow.creationTimestamp.Y}}",
              "{{workflow.labels.x}}", "{{workflow.outputs.parameters.g}}", "{{inputs.artifacts.a.path}}",
              "{{outputs.parameters.o.path}}", "{{outputs.result}}", "{{retries}}", "{{lastRetry.exitCode}}",
              "{{node.name}}", "{{steps.name}}", "{{workflow.parameters.json}}", "{{workflow.parameters}}",
              "{{inputs.parameters}}", "{{=sprig.upper(inputs.parameters.nope)}}", "{{ .Values.go.template }}",
              "{{cronworkflow.name}}", "{{workflow.scheduledTime}}"]
    spec = OK.replace('args: ["{{inputs.parameters.text}}"]', "args: " + str(values).replace("'", '"'))
    assert lint(spec) == []


def test_dag_dependencies_depends_and_cycles() -> None:
    dag = """\
  entrypoint: d
  templates:
    - name: t
      suspend: {}
    - name: d
      dag:
        target: a zz
        tasks:
          - {name: a, template: t, depends: "b.Succeeded || (c.Failed && !b)"}
          - {name: b, template: t, depends: "a.Succeded"}
"""
    found = lint(dag)
    assert any('dag.tasks[0].depends: depends names task "c", which is not defined in this DAG' in f for f in found)
    assert any('"a.Succeded": unknown task result' in f for f in found)
    assert any("dag.tasks: dependency cycle: a -> b -> a" in f for f in found)
    assert any('dag.target: target task "zz" is not defined' in f for f in found)
    mixed = dag.replace('depends: "a.Succeded"', "dependencies: [a, x]").replace('target: a zz', 'target: a')
    found = lint(mixed)
    assert any('use either "depends" or "dependencies"' in f for f in found)
    assert any('dag.tasks[1].dependencies[1]: task "x" is not defined in this DAG' in f for f in found)


def test_duplicate_and_invalid_names() -> None:
    spec = OK + "    - name: echo\n      suspend: {}\n"
    assert 'spec.templates[2].name: template name "echo" is not unique (first at line 19)' in one(spec)
    dup_step = OK.replace("- - name: b", "- - name: a")
    assert 'step name "a" is not unique (first at line 12)' in one(dup_step)
    assert 'template name "my_echo" is invalid' in one(OK.replace("- name: echo", "- name: my_echo").replace(
        "template: echo", "template: my_echo"))


def test_template_types() -> None:
    assert 'template "echo" has several types (container, script): give only one' in one(
        OK.replace("container: {image: alpine,", "script: {image: a, source: x}\n      container: {image: alpine,"))
    assert 'template "echo" has no type' in one(OK.replace(
        '      container: {image: alpine, args: ["{{inputs.parameters.text}}"]}\n', ""))


def test_steps_need_exactly_one_target_and_one_loop() -> None:
    spec = OK.replace("withItems: [1, 2]", "withItems: [1, 2]\n            withParam: '[1]'\n            inline: {suspend: {}}")
    found = lint(spec)
    assert any("only one of template, inline may be given" in f for f in found)
    assert any("only one of withItems, withParam may be given" in f for f in found)


def test_inline_templates_are_checked_with_their_own_inputs() -> None:
    spec = """\
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: a
            inline:
              inputs: {parameters: [{name: p}]}
              container: {image: a, args: ["{{inputs.parameters.p}}", "{{inputs.parameters.q}}"]}
"""
    assert 'args[1]: {{inputs.parameters.q}}: template "(inline)" declares no input parameter "q"' in one(spec)


def test_unknown_argo_kind_is_reported_and_other_apis_are_ignored() -> None:
    (doc,) = load_text("apiVersion: argoproj.io/v1alpha1\nkind: Workfow\nspec: {}\n", "k.yaml")
    (issue,) = lint_documents([doc])
    assert str(issue) == 'k.yaml:2: kind: unknown kind "Workfow" (did you mean "Workflow"?)'
    (cm,) = load_text("apiVersion: v1\nkind: ConfigMap\nwhatever: 1\n", "cm.yaml")
    assert lint_documents([cm]) == []


def test_cron_workflow_spec_is_checked_under_workflow_spec() -> None:
    docs = load_file(CORPUS / "argo-examples" / "cron-workflow.yaml")
    assert lint_documents(docs) == []
    text = (CORPUS / "argo-examples" / "cron-workflow.yaml").read_text().replace("entrypoint: hello-world-with-time", "entrypoint: hello")
    (issue,) = lint_documents(load_text(text, "cron.yaml"))
    assert issue.path == "spec.workflowSpec.entrypoint"


def test_cron_schedules_and_timezone_are_checked_at_the_field_as_written() -> None:
    """`argo lint` runs ValidateCronWorkflow: a malformed schedule or an unknown zone fails, at its own line."""
    head = "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: c}\nspec:\n"
    body = ("  workflowSpec:\n    entrypoint: m\n    templates:\n"
            "    - {name: m, container: {image: busybox, command: [echo]}}\n")
    v3 = head + '  schedule: "61 * * * *"\n  timezone: "Mars/Olympus"\n' + body
    assert [str(i) for i in lint_documents(load_text(v3, "cron.yaml"))] == [
        "cron.yaml:5: spec.schedule: '61 * * * *' is not a cron schedule: expected five fields like"
        " '*/5 * * * *' or a macro like '@hourly'",
        "cron.yaml:6: spec.timezone: unknown time zone 'Mars/Olympus': expected an IANA name like 'Europe/Paris'"]
    v4 = head + "  schedules:\n  - '@hourly'\n  - '* * * * * *'\n  timezone: Europe/Paris\n" + body
    (issue,) = lint_documents(load_text(v4, "cron.yaml"))
    assert (issue.line, issue.path) == (7, "spec.schedules[1]")
    assert lint_documents(load_text(v4.replace("* * * * * *", "*/5 * * * *"), "cron.yaml")) == []


def test_load_and_lint_turns_unloadable_files_into_issues(tmp_path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: Workflow\nspec: [\n")
    (tmp_path / "data.json").write_text('{"panels": []}')  # not a k8s object: skipped in a directory walk
    docs, found = load_and_lint([tmp_path])
    assert docs == [] and len(found) == 1 and found[0].file.endswith("bad.yaml") and found[0].line
    _, found = load_and_lint([tmp_path / "data.json"])
    assert len(found) == 1 and "has no kind" in found[0].message


@pytest.mark.parametrize("name", ["dag-diamond.yaml", "steps.yaml", "loops-maps.yaml", "exit-handlers.yaml"])
def test_linting_one_small_workflow_takes_milliseconds(name: str) -> None:
    docs = load_file(CORPUS / "argo-examples" / name)
    lint_documents(docs)
    start = time.perf_counter()
    for _ in range(20):
        assert lint_documents(docs) == []
    assert (time.perf_counter() - start) / 20 < 0.02


def test_a_step_cannot_use_a_later_step() -> None:
    spec = OK.replace("{{workflow.parameters.msg}}", "{{steps.b.outputs.result}}")
    assert one(spec).endswith('{{steps.b.outputs.result}}: step "b" runs later (steps[1]), so it cannot be used '
                              "in steps[0]")


def test_a_task_argument_from_another_task_needs_that_dependency() -> None:
    dag = """\
  entrypoint: d
  templates:
    - name: t
      inputs: {parameters: [{name: x}], artifacts: [{name: y, path: /y}]}
      outputs: {artifacts: [{name: y, path: /y}]}
      container: {image: a}
    - name: d
      dag:
        tasks:
          - {name: a, template: t, arguments: {parameters: [{name: x, value: "1"}]}}
          - name: b
            template: t
            depends: a
            arguments:
              parameters: [{name: x, value: "{{tasks.a.outputs.result}}"}]
          - name: c
            template: t
            depends: b
            arguments:
              parameters: [{name: x, value: "{{tasks.a.outputs.result}}"}]
              artifacts: [{name: y, from: "{{tasks.a.outputs.artifacts.y}}"}]
"""
    assert lint(dag) == []  # a is an ancestor of c through b
    broken = dag.replace("depends: a", "depends: ''")
    found = [i for i in lint(broken) if "not among this task's dependencies" in i]
    assert len(found) == 3, found
    assert found[0].startswith("wf.yaml:20: spec.templates[1].dag.tasks[1].arguments.parameters[0].value: ")


def test_arguments_and_outputs_need_a_value_source() -> None:
    spec = OK.replace('value: "{{workflow.parameters.msg}}"', "default: x").replace(
        "container: {image: alpine,", "outputs: {parameters: [{name: o}]}\n      container: {image: alpine,")
    found = lint(spec)
    assert len(found) == 2, found
    assert 'steps[0][0].arguments.parameters[0]: an argument "text" needs "value" or "valueFrom"' in found[0]
    assert 'spec.templates[1].outputs.parameters[0]: an output parameter "o" needs "value" or "valueFrom"' in found[1]


OUTPUT_SOURCE = """\
  entrypoint: main
  templates:
    - name: main
      steps: [[{name: a, template: pick}]]
      outputs: {parameters: [{name: s, valueFrom: {parameter: "{{steps.a.outputs.parameters.e}}"}}]}
    - name: pick
      outputs: {parameters: [{name: e, valueFrom: {path: /tmp/e}}]}
      container: {image: alpine, command: [sh, -c, "echo x > /tmp/e"]}
    - name: obj
      resource: {action: get, manifest: "kind: ConfigMap"}
      outputs: {parameters: [{name: r, valueFrom: {jsonPath: "{.data}"}}]}
    - name: wait
      suspend: {}
      outputs: {parameters: [{name: w, valueFrom: {supplied: {}, default: none}}]}
"""


@pytest.mark.parametrize(("old", "new", "issue"), [
    ("{path: /tmp/e}", '{expression: "\'x\'"}', 'spec.templates[1].outputs.parameters[0].valueFrom: output parameter '
     '"e": valueFrom.path must be specified for container templates, not expression'),
    ('container: {image: alpine, command: [sh, -c, "echo x > /tmp/e"]}',
     'script: {image: alpine, command: [sh], source: "echo x > /tmp/e"}', None),
    ('{jsonPath: "{.data}"}', "{path: /tmp/r}", 'spec.templates[2].outputs.parameters[0].valueFrom: output '
     'parameter "r": valueFrom.jqFilter or jsonPath must be specified for resource templates, not path'),
    ('{parameter: "{{steps.a.outputs.parameters.e}}"}', "{path: /tmp/s}", 'spec.templates[0].outputs.parameters[0]'
     '.valueFrom: output parameter "s": valueFrom.parameter or expression must be specified for steps templates, '
     "not path"),
    ("{path: /tmp/e}", "{default: x}", 'spec.templates[1].outputs.parameters[0].valueFrom: output parameter "e": '
     "valueFrom needs one of path, jqFilter, jsonPath, parameter, expression, supplied"),
    ("{path: /tmp/e}", '{path: /tmp/e, expression: "\'x\'"}', 'spec.templates[1].outputs.parameters[0].valueFrom: '
     'output parameter "e": valueFrom has several sources (path, expression): give one'),
    ("{name: e, valueFrom", "{name: e, value: x, valueFrom", 'spec.templates[1].outputs.parameters[0]: output '
     'parameter "e" has both "value" and "valueFrom": give one'),
])
def test_an_output_parameter_takes_the_source_its_template_type_gives(old: str, new: str, issue: str | None) -> None:
    """Argo's validateOutputs: a source the template cannot give left the parameter without a value."""
    assert lint(OUTPUT_SOURCE) == []
    assert old in OUTPUT_SOURCE
    found = lint(OUTPUT_SOURCE.replace(old, new))
    if issue is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].split(": ", 1)[1] == issue, found


def test_a_parallelism_below_one_is_an_error_at_its_field() -> None:
    """Nothing could start: Argo's controller would wait for ever; wfexec's engine failed on it."""
    found = lint(OK.replace("  entrypoint: main\n", "  entrypoint: main\n  parallelism: -5\n")
                 .replace("    - name: main\n", "    - name: main\n      parallelism: 0\n"))
    assert [f.split(": ", 1)[1] for f in found] == [
        "spec.parallelism: expected 1 or more (pods or steps at once), got -5",
        "spec.templates[0].parallelism: expected 1 or more (pods or steps at once), got 0"]
    assert lint(OK.replace("  entrypoint: main\n", "  entrypoint: main\n  parallelism: 1\n")) == []
