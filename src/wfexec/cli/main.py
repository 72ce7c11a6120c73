"""The `wfexec` command line: argo-like verbs, one module per verb group.

Each `wfexec.cli.cmd_*` module exposes `register(subparsers)`, which adds its verbs and sets
`func(args) -> int` on each parser. Errors derived from WfexecError print as one line.

A command imports only its own module, and `wfexec --help` imports none: it is printed from
`VERBS`, so the commands people type most start in well under 150 ms.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys

from wfexec import __version__
from wfexec.errors import WfexecError

DESCRIPTION = "Run Argo Workflows and KFP components on one machine, through Argo's executors."

#: verb → (module that registers it, its one-line help). A module missing here is still loaded for
#: `--help` (slower); tests/cli/test_fast_start.py checks this table against the modules.
VERBS: dict[str, tuple[str, str]] = {
    "submit": ("cmd_submit", "submit a workflow and run it"),
    "list": ("cmd_runs", "list runs"),
    "get": ("cmd_runs", "show a run and its node tree"),
    "logs": ("cmd_logs", "print the logs of a run, or of one step"),
    "watch": ("cmd_watch", "watch a run until it ends"),
    "wait": ("cmd_runs", "wait for runs to end; exit 0 only if all Succeeded"),
    "stop": ("cmd_runs", "stop a run: running steps get a grace period, exit handlers still run"),
    "terminate": ("cmd_runs", "terminate a run: running steps get a grace period, no exit handlers"),
    "resume": ("cmd_runs", "resume a suspended run, or continue one whose engine died"),
    "retry": ("cmd_runs", "run the failed steps of a finished run again"),
    "resubmit": ("cmd_runs", "submit a finished run again, as a new run"),
    "delete": ("cmd_runs", "delete runs and what they kept"),
    "suspend": ("cmd_suspend", "suspend runs: running steps go on, no new step starts until resume"),
    "node": ("cmd_suspend", "change a suspended step of a run (argo node set)"),
    "archive": ("cmd_archive", "finished runs, by uid, as `argo archive` shows them: list, get, delete"),
    "cache": ("cmd_cache", "list or delete memoization cache entries"),
    "cp": ("cmd_cp", "copy an output artifact of a run to a local path"),
    "lint": ("cmd_lint", "validate Workflow / WorkflowTemplate / CronWorkflow files"),
    "export": ("cmd_export", "print a Workflow that Argo Workflows in a cluster accepts"),
    "doctor": ("cmd_doctor", "recommend an executor (docker or emissary) and check the configured one"),
    "executor": ("cmd_executor", "show or set the workflow executor (docker or emissary)"),
    "migrate": ("cmd_migrate", "add `command` to containers that lack it (needed by the emissary executor)"),
    "resolve-component": ("cmd_kfp", "resolve a KFP v1 component's command line, as KFP 1.8 did"),
    "compile-component": ("cmd_kfp", "compile a KFP v1 component (container or graph) to an Argo Workflow"),
    "run-component": ("cmd_kfp", "compile a KFP v1 component and run it here"),
    "engine": ("cmd_engine", "a warm engine for this home: each command starts in a few milliseconds"),
    "server": ("cmd_server", "serve Argo Server's REST API (hera, the argo SDK, the UI) on this machine"),
    "template": ("cmd_template", "manage workflow templates (stored; templateRef resolves against them)"),
    "cluster-template": ("cmd_template",
                         "manage cluster workflow templates (stored; templateRef resolves against them)"),
    "cron": ("cmd_cron", "manage cron workflows (they fire while `wfexec server` runs)"),
}


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size gives it, without importing shutil (and with it
    bz2, lzma and fnmatch), which argparse's help formatter does on every parser."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
        if columns > 0:
            return columns
    except ValueError:
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """A parser whose help is laid out by _Formatter unless a verb asks for another formatter."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def _parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    parser = _Parser(prog="wfexec", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"wfexec {__version__}")
    parser.add_argument("--argo-server", metavar="HOST:PORT",
                        help="talk to this Argo Server (or `wfexec server`) instead of the local store;"
                             " also $ARGO_SERVER, with $ARGO_TOKEN, $ARGO_SECURE, $ARGO_NAMESPACE")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    return parser, sub


def _modules() -> list[str]:
    """The `cmd_*` modules beside this one (a directory listing: pkgutil costs more than the rest of --help)."""
    here = os.path.dirname(__file__)
    return sorted(f[:-3] for f in os.listdir(here) if f.startswith("cmd_") and f.endswith(".py"))


@functools.cache
def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The parser for one verb (its module only), or for all of them. Built once per process (a warm
    engine builds the common ones before it forks): parsing leaves a parser as it was."""
    parser, sub = _parser()
    modules = _modules()
    if verb in VERBS and VERBS[verb][0] in modules:
        importlib.import_module(f"wfexec.cli.{VERBS[verb][0]}").register(sub)
        return parser
    for name in modules:
        importlib.import_module(f"wfexec.cli.{name}").register(sub)
    return parser


def help_parser() -> argparse.ArgumentParser:
    """The top-level parser for `--help`: verbs from VERBS, plus any module VERBS does not name."""
    parser, sub = _parser()
    modules = _modules()
    for verb, (module, help_) in VERBS.items():
        if module in modules:
            sub.add_parser(verb, help=help_)
    known = {m for m, _ in VERBS.values()}
    for name in modules:
        if name not in known:
            importlib.import_module(f"wfexec.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None, own_process: bool = False) -> int:
    """Run one command. `own_process`: this process is the command's alone (the `wfexec` program,
    not a caller running commands in its own process), so `submit` may fork its engine from it."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["emissary"]:
        # The wrapper must start fast and import nothing but the stdlib.
        from wfexec.emissary.main import main as emissary_main

        return emissary_main(argv[1:])
    server = None
    if any(a.startswith("--argo-server") for a in argv):  # the argo CLI takes it anywhere on the line
        from wfexec.cli.remote import take_server_flag

        argv, server = take_server_flag(argv)
    if not argv or argv[0] in ("-h", "--help"):
        help_parser().print_help()
        return 0 if argv else 2
    if argv == ["--version"]:  # as argparse's version action prints it, without building every verb's parser
        print(f"wfexec {__version__}")
        return 0
    parser = build_parser(argv[0])
    args = parser.parse_args(argv)
    args.argo_server = server
    args.own_process = own_process
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        if server or os.environ.get("ARGO_SERVER"):  # remote mode: verbs with a remote form go to the server
            from wfexec.cli.remote import dispatch

            if (rc := dispatch(args)) is not None:
                return int(rc)
        return int(args.func(args) or 0)
    except WfexecError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`wfexec logs … | head`): not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


#: Verbs whose process ends without the interpreter's teardown (entry): they leave no thread, file
#: or child that the teardown would finish, and it costs a short command ~30 ms of CPU.
QUICK_EXIT = frozenset({"submit", "list", "get", "logs", "watch", "wait", "lint", "-h", "--help", "--version"})


def entry() -> None:
    """The `wfexec` program. A short command exits as soon as its output is out: exit hooks run,
    but not the freeing of every module and object, which Python does at exit and the kernel does
    anyway (unless another thread is still running, which teardown would wait for)."""
    argv = sys.argv[1:]
    try:
        code = main(argv, own_process=True)
    except SystemExit as exc:
        if exc.code is not None and not isinstance(exc.code, int):
            raise
        code = exc.code or 0
    threading = sys.modules.get("threading")  # not imported: no thread was started through it
    if argv[:1] and argv[0] in QUICK_EXIT and (threading is None or threading.active_count() == 1):
        import atexit

        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a reader that went away: nothing left to say to it
                pass
        os._exit(code)
    sys.exit(code)


def _error(message: str) -> None:
    """`error: …` on stderr, the label in bold red on a terminal."""
    label = "\x1b[1;31merror:\x1b[0m" if sys.stderr.isatty() else "error:"
    sys.stderr.write(f"{label} {message}\n")


if __name__ == "__main__":
    entry()
