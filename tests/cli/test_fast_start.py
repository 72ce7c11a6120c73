"""`wfexec --help`, `list` and `get` import only what they need (speed itself is measured in bench/cli_start.py)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import env_for, one_step, wfexec
from wfexec.cli.main import VERBS, build_parser

HEAVY = ("rich", "ruamel", "jsonschema", "kubernetes", "docker", "boto3", "wfexec.spec", "wfexec.runtimes")
PROBE = ("import sys, json\nfrom wfexec.cli.main import main\n"
         "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
         "sys.stdout.flush()\n"
         "print(json.dumps(sorted(m for m in sys.modules if m.startswith({heavy}))), file=sys.stderr)\n")


def _loaded(home: Path, *args: str, prefixes: tuple[str, ...] = HEAVY) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(heavy=repr(prefixes)), *args], capture_output=True,
                          text=True, env=env_for(home), timeout=60)
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_every_verb_is_in_the_help_table_with_its_modules_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    assert {v: h for v, (_, h) in VERBS.items() if v in helps} == helps
    assert set(helps) <= set(VERBS), f"add {sorted(set(helps) - set(VERBS))} to wfexec.cli.main.VERBS"


@pytest.mark.parametrize("args", [["--help"], ["list"], ["get", "@latest"], ["logs", "@latest"]])
def test_reading_commands_import_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    home = tmp_path / "home"
    wfexec("submit", str(one_step(tmp_path, "q", "true")), "--wait", home=home, check=True)
    assert _loaded(home, *args) == []


def test_help_lists_every_verb_without_importing_them(tmp_path: Path) -> None:
    text = wfexec("--help", home=tmp_path, check=True).stdout
    for verb in VERBS:
        assert verb in text
    assert _loaded(tmp_path, "--help", prefixes=("wfexec.cli.cmd_",)) == []
    assert _loaded(tmp_path, "list", prefixes=("wfexec.cli.cmd_",)) == ["wfexec.cli.cmd_runs"]


def test_version_imports_no_verb(tmp_path: Path) -> None:
    from wfexec import __version__

    assert subprocess.run([sys.executable, "-m", "wfexec.cli.main", "--version"], capture_output=True,
                          text=True, timeout=60).stdout == f"wfexec {__version__}\n"
    assert _loaded(tmp_path, "--version", prefixes=("wfexec.cli.cmd_",)) == []


#: What a plain workflow's `submit --wait` (one container, no config file) leaves unloaded, in the command and in
#: the engine it forks: each is imported by the workflows, templates or homes that use it.
SUBMIT_LAZY = ("ruamel", "jsonschema", "rich", "decimal", "_strptime", "wfexec.expr.exprlang", "wfexec.expr.exprenv",
               "wfexec.expr.govaluate", "wfexec.expr.depends", "wfexec.expr.sprig", "wfexec.artifacts",
               "wfexec.engine.dag", "wfexec.engine.sync", "wfexec.engine.memo", "wfexec.engine.labels")
#: What the command imports before it forks its engine delays the engine: nothing only the command needs.
SUBMIT_NOT_BEFORE_FORK = ("wfexec.cli.render", "wfexec.cli.table", "wfexec.spec", "yaml")
SUBMIT_PROBE = ("import json, os, sys\nfrom wfexec.cli.main import main\n"
                "before_fork = []\nfork = os.fork\n"
                "def first_fork():\n"
                "    before_fork.append(before_fork or sorted(sys.modules))\n"
                "    return fork()\n"
                "os.fork = first_fork\n"
                "try:\n    main(sys.argv[1:], own_process=True)\nexcept SystemExit:\n    pass\n"
                "sys.stdout.flush()\n"
                "print(json.dumps([sorted(sys.modules), before_fork[0]]), file=sys.stderr)\n")


def test_a_plain_submit_imports_no_optional_layer(tmp_path: Path) -> None:
    """Both processes of `submit --wait` start faster for what they leave out (issue #20): ruamel without a config
    file, expr-lang without an expression, the artifact layer without artifacts, locks, memoization, podGC."""
    home = tmp_path / "home"
    wf = one_step(tmp_path, "plain", "true")
    wfexec("submit", str(wf), "--wait", home=home, check=True)  # the home's first run (schema cache, bundle)
    env = dict(env_for(home), PYTHONPROFILEIMPORTTIME="1")  # the forked engine's imports go to its engine.log
    proc = subprocess.run([sys.executable, "-c", SUBMIT_PROBE, "submit", str(wf), "--wait", "-o", "name"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    name = proc.stdout.strip().splitlines()[-1]
    command, before_fork = json.loads(proc.stderr.strip().splitlines()[-1])
    log = (home / "runs" / name / "engine.log").read_text()
    engine = [line.rsplit("|", 1)[1].strip() for line in log.splitlines() if line.startswith("import time:")]
    assert engine, "no import profile in the engine's log"
    assert "asyncio" in engine  # the engine's own imports are those seen (asyncio only it loads)

    def heavy(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
        return [m for m in modules if m.startswith(prefixes)]

    assert heavy(command, SUBMIT_LAZY) == []
    assert heavy(engine, SUBMIT_LAZY) == []
    assert heavy(before_fork, SUBMIT_NOT_BEFORE_FORK) == []


def test_every_positional_argument_says_what_it_is() -> None:
    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, f"{path} {name}")
            elif not action.option_strings and not action.help:
                missing.append(f"{path} {action.dest}")

    walk(build_parser(), "wfexec")
    assert missing == []


def test_a_quick_exit_keeps_the_output_and_the_exit_code(tmp_path: Path) -> None:
    """Short verbs end without the interpreter's teardown (cli.main.entry): nothing written is lost."""
    home = tmp_path / "home"
    name = wfexec("submit", str(one_step(tmp_path, "q", "true")), "--wait", "-o", "name", home=home,
                  check=True).stdout.strip().splitlines()[-1]
    listed = wfexec("list", "-o", "json", home=home, check=True).stdout
    assert [w["metadata"]["name"] for w in json.loads(listed)] == [name]
    missing = wfexec("get", "nope", home=home)
    assert missing.returncode == 1 and "no run named 'nope'" in missing.stderr
    assert wfexec("list", "--no-such-flag", home=home).returncode == 2
