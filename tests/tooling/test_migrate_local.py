"""`wfexec migrate` against the local Docker daemon: the seed's hello-world, Argo workflows, and the
promises about the file (comments, order, quoting kept; --check; --diff; nothing written on error)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.tooling.conftest import cmd, entrypoint, import_image
from wfexec.cli.main import main
from wfexec.config import ExecutorConfig
from wfexec.migrate.image_config import lookup_image_config

SEED = """\
name: hello-world
implementation:
  container:
    image: hello-world
"""


def _load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


def test_seed_component_gets_the_images_cmd_from_the_daemon(tmp_path: Path, hello_world_image: str,
                                                             wfexec_home: Path) -> None:
    spec = tmp_path / "component.yaml"
    spec.write_text(SEED)
    assert main(["migrate", str(spec)]) == 0
    assert _load(spec)["implementation"]["container"] == {"image": "hello-world", "command": ["/hello"]}
    assert spec.read_text() == SEED + '    command: ["/hello"]\n'


def test_lookup_image_config_api(hello_world_image: str, wfexec_home: Path) -> None:
    first = lookup_image_config("hello-world", config=ExecutorConfig(), registry_options=None)
    assert (first.entrypoint, first.cmd, first.source) == (None, ["/hello"], "daemon")
    assert first.digest and first.digest.startswith("sha256:")
    again = lookup_image_config("hello-world", config=ExecutorConfig(), registry_options=None)
    assert (again.cmd, again.source, again.digest) == (["/hello"], "cache", first.digest)
    indexed = ExecutorConfig(images={"hello-world": {"cmd": ["/other"]}})
    assert lookup_image_config("hello-world", config=indexed, registry_options=None).source == "config"


COMMENTED = """\
# A component whose file layout must survive.
name: 'Quoted name'          # single quotes stay
description: "double quotes stay"
implementation:
  container:
    # the image comes first
    image: wfexec-tooling/entry:1    # pinned
    args: [
      --in,  {inputValue: x},   # odd spacing kept
      --out, {outputPath: y},
    ]
    env: {A: "1"}
inputs:
- {name: x, type: String}
outputs:
- {name: y}
"""


def test_comments_order_and_quoting_survive(tmp_path: Path, wfexec_home: Path) -> None:
    import_image("wfexec-tooling/entry:1", entrypoint("/bin/tool", "--verbose"), cmd("--help"))
    spec = tmp_path / "c.yaml"
    spec.write_text(COMMENTED)
    assert main(["migrate", str(spec)]) == 0
    text = spec.read_text()
    expected = COMMENTED.replace("    image: wfexec-tooling/entry:1    # pinned\n",
                                 '    image: wfexec-tooling/entry:1    # pinned\n'
                                 '    command: ["/bin/tool", "--verbose"]\n')
    assert text == expected
    container = _load(spec)["implementation"]["container"]
    assert list(container) == ["image", "command", "args", "env"]
    assert container["args"][0] == "--in"  # spec args win over CMD


def test_check_and_diff(tmp_path: Path, hello_world_image: str, wfexec_home: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "component.yaml"
    spec.write_text(SEED)
    assert main(["migrate", "--check", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "needs command" in out and "1 of 1 file(s) need migration" in out
    assert spec.read_text() == SEED  # --check changes nothing
    assert main(["migrate", "--check", "--diff", str(spec)]) == 1
    out = capsys.readouterr().out
    assert f"--- {spec}" in out and f"+++ {spec}" in out and '+    command: ["/hello"]' in out
    assert spec.read_text() == SEED
    assert main(["migrate", "--diff", str(spec)]) == 0
    assert '+    command: ["/hello"]' in capsys.readouterr().out
    assert main(["migrate", "--check", str(spec)]) == 0  # nothing left to do
    assert "0 of 1 file(s) need migration" in capsys.readouterr().out


WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: mixed-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        template: with-cmd-only
  - name: with-cmd-only       # image has only CMD
    container:
      image: wfexec-tooling/cmd-only:1
  - name: has-command
    container:
      image: wfexec-tooling/cmd-only:1
      command: [echo, hi]
  - name: entry-and-cmd
    container:
      image: wfexec-tooling/entry:1
  - name: cmd-only-with-args
    container:
      image: wfexec-tooling/cmd-only:1
      args: ["--flag", "{{inputs.parameters.x}}"]
  - name: script
    script:
      image: wfexec-tooling/cmd-only:1
      source: print(1)
  - name: templated
    container:
      image: "{{inputs.parameters.image}}"
      command: null
"""


def test_argo_workflow_containers(tmp_path: Path, wfexec_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import_image("wfexec-tooling/entry:1", entrypoint("/bin/tool", "--verbose"), cmd("--help"))
    import_image("wfexec-tooling/cmd-only:1", cmd("/bin/run", "x"))
    wf = tmp_path / "wf.yaml"
    wf.write_text(WORKFLOW)
    assert main(["migrate", str(wf)]) == 0
    captured = capsys.readouterr()
    assert "is an expression" in captured.err  # the templated image is reported, not guessed
    t = {x["name"]: x for x in _load(wf)["spec"]["templates"]}
    assert t["with-cmd-only"]["container"]["command"] == ["/bin/run", "x"]
    assert "args" not in t["with-cmd-only"]["container"]
    assert t["has-command"]["container"]["command"] == ["echo", "hi"]
    # ENTRYPOINT becomes command and CMD becomes args, as Kubernetes would run them
    assert t["entry-and-cmd"]["container"] == {"image": "wfexec-tooling/entry:1",
                                               "command": ["/bin/tool", "--verbose"], "args": ["--help"]}
    # no ENTRYPOINT and args given: Kubernetes runs the args alone, so they become the command
    assert t["cmd-only-with-args"]["container"] == {"image": "wfexec-tooling/cmd-only:1",
                                                    "command": ["--flag", "{{inputs.parameters.x}}"]}
    assert t["script"]["script"]["command"] == ["/bin/run", "x"]  # the script file is appended at run time
    assert "# image has only CMD" in wf.read_text()
    assert main(["migrate", "--check", str(wf)]) == 0


def test_unknown_image_is_a_clear_error_and_the_file_is_untouched(tmp_path: Path, hello_world_image: str,
                                                                   wfexec_home: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    text = SEED + "---\nname: second\nimplementation:\n  container:\n    image: 127.0.0.1:9/none/such:1\n"
    spec = tmp_path / "two.yaml"
    spec.write_text(text)
    before = spec.stat().st_mtime_ns
    assert main(["migrate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:9: implementation.container" in err
    assert "image '127.0.0.1:9/none/such:1'" in err and "not in the local Docker daemon" in err
    assert "unreachable" in err and "left unchanged" in err and "Traceback" not in err
    assert spec.read_text() == text and spec.stat().st_mtime_ns == before
    assert not list(tmp_path.glob(".two.yaml.*"))


def test_directory_walk_migrates_good_files_and_reports_bad(tmp_path: Path, hello_world_image: str,
                                                            wfexec_home: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").mkdir()
    good, bad = tmp_path / "a" / "good.yaml", tmp_path / "a" / "bad.yml"
    good.write_text(SEED)
    bad.write_text("name: x\nimplementation:\n  container:\n    image: 127.0.0.1:9/nope:1\n")
    (tmp_path / "a" / "notes.txt").write_text("not yaml: [")
    assert main(["migrate", str(tmp_path)]) == 1
    assert _load(good)["implementation"]["container"]["command"] == ["/hello"]
    assert "command" not in _load(bad)["implementation"]["container"]
    assert "bad.yml" in capsys.readouterr().err


def test_flow_style_container_falls_back_to_ruamel_and_keeps_comments(tmp_path: Path, wfexec_home: Path) -> None:
    import_image("wfexec-tooling/entry:1", entrypoint("/bin/tool", "--verbose"), cmd("--help"))
    spec = tmp_path / "flow.yaml"
    spec.write_text("# heading comment\nname: flow\nimplementation:\n"
                    "  container: {image: wfexec-tooling/entry:1, args: ['--x']}  # inline\n")
    assert main(["migrate", str(spec)]) == 0
    text = spec.read_text()
    assert text.startswith("# heading comment\n") and "# inline" in text and "'--x'" in text
    assert _load(spec)["implementation"]["container"] == {"image": "wfexec-tooling/entry:1",
                                                          "command": ["/bin/tool", "--verbose"], "args": ["--x"]}
