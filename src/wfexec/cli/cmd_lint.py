"""`wfexec lint FILE...`: check workflows before running them, the way `argo lint --offline` does."""

from __future__ import annotations

import argparse

from wfexec.cli.term import stdout_terminal, write_lines
from wfexec.spec.issue import LintIssue
from wfexec.spec.lint import backoff_warnings, load_and_lint, yaml11_warnings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lint", help="validate Workflow / WorkflowTemplate / CronWorkflow files",
        description="Check files or directories of Argo workflows: unknown fields, types, template "
                    "references, DAG dependencies and {{…}} variables. Exits 1 if anything is wrong.")
    parser.add_argument("files", nargs="+", metavar="FILE", help="YAML/JSON file, or a directory to search")
    parser.add_argument("--strict", action="store_true",
                        help="apply every keyword of Argo's JSON schema (const, enum, …), not just fields and types")
    parser.add_argument("--templates", action="append", default=[], metavar="PATH",
                        help="file or directory of WorkflowTemplates that templateRef may name (repeatable); "
                             "with it, a reference to an unknown WorkflowTemplate is an error")
    parser.add_argument("-o", "--output", choices=("pretty", "simple"), default="pretty",
                        help="pretty: coloured, with a summary; simple: plain lines")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wfexec.spec.formats import may_be_pipeline_ir

    ir_files: list[str] = []
    issues: list[LintIssue] = []
    if any(may_be_pipeline_ir(f) for f in args.files):
        from wfexec.kfp.v2.lint import is_ir_file, lint_ir

        ir_files = [f for f in args.files if is_ir_file(f)]  # KFP v2 pipeline IR
        issues = [i for f in ir_files for i in lint_ir(f)]
    others = [f for f in args.files if f not in ir_files]
    warnings: list[LintIssue] = []
    if others:
        docs, more = load_and_lint(others, strict=args.strict, templates_paths=args.templates)
        issues += more
        warnings = yaml11_warnings(docs) + backoff_warnings(docs)  # printed, but they do not fail the lint
    if args.output == "simple" or not stdout_terminal().colour:  # pretty is simple plus colour
        write_lines([*(str(issue) for issue in [*issues, *warnings]), summary(issues)])
    else:
        write_lines([*(_pretty(issue) for issue in [*issues, *warnings]),
                     f"\x1b[1;{31 if issues else 32}m{summary(issues)}\x1b[0m"])
    return 1 if issues else 0


def summary(issues: list[LintIssue]) -> str:
    """Argo's closing line."""
    if not issues:
        return "✔ no linting errors found!"
    files = len({i.file for i in issues})
    errors = "error" if len(issues) == 1 else "errors"
    return f"✖ found {len(issues)} linting {errors} in {files} file{'' if files == 1 else 's'}"


def _pretty(issue: LintIssue) -> str:
    """`str(issue)` in colour: the place bold, the field path cyan (no rich: it is a third of lint's imports)."""
    where = f"{issue.file}:{issue.line}" if issue.line else issue.file
    path = f"\x1b[36m{issue.path}\x1b[0m: " if issue.path else ""
    return f"\x1b[1m{where}\x1b[0m: {path}{issue.message}"
