"""The `wfexec` command line: argo-like verbs, one module per verb group.

Each `wfexec.cli.cmd_*` module exposes `register(subparsers)`, which adds its verbs and sets
`func(args) -> int` on each parser. Errors derived from WfexecError print as one line.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from rich.console import Console
from rich.text import Text

from wfexec import __version__
from wfexec.errors import WfexecError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


# Which module holds a verb, so that a command imports only what it needs (`wfexec list` should
# not pay for the kubernetes client). A verb missing here still works: every module is loaded.
VERB_MODULES = {
    "cp": "cmd_cp", "doctor": "cmd_doctor", "executor": "cmd_executor", "export": "cmd_export",
    "resolve-component": "cmd_kfp", "compile-component": "cmd_kfp", "run-component": "cmd_kfp",
    "lint": "cmd_lint", "migrate": "cmd_migrate", "submit": "cmd_submit", "server": "cmd_server",
    "template": "cmd_template", "cluster-template": "cmd_template", "cron": "cmd_cron", "suspend": "cmd_suspend",
    **{v: "cmd_runs" for v in ("list", "get", "logs", "wait", "stop", "terminate", "resume", "retry", "resubmit",
                               "delete")},
}


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wfexec",
        description="Run Argo Workflows and KFP components on one machine, through Argo's executors.",
    )
    parser.add_argument("--version", action="version", version=f"wfexec {__version__}")
    parser.add_argument("--argo-server", metavar="HOST:PORT",
                        help="talk to this Argo Server (or `wfexec server`) instead of the local store;"
                             " also $ARGO_SERVER, with $ARGO_TOKEN, $ARGO_SECURE, $ARGO_NAMESPACE")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import wfexec.cli as cli_pkg

    if verb in VERB_MODULES:
        importlib.import_module(f"wfexec.cli.{VERB_MODULES[verb]}").register(sub)
        return parser
    for info in sorted(pkgutil.iter_modules(cli_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"wfexec.cli.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["emissary"]:
        # The wrapper must start fast and import nothing but the stdlib.
        from wfexec.emissary.main import main as emissary_main

        return emissary_main(argv[1:])
    server = None
    if any(a.startswith("--argo-server") for a in argv):  # the argo CLI takes it anywhere on the line
        from wfexec.cli.remote import take_server_flag

        argv, server = take_server_flag(argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    args.argo_server = server
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
        err_console.print(Text.assemble(("error: ", "bold red"), str(exc)))
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`wfexec logs … | head`): not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
