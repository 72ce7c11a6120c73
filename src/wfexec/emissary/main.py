"""`wfexec emissary -- CMD…`: the wrapper Argo puts in front of a container's command.

Reads its settings from the environment, as Argo's does: `ARGO_DIR` (default /var/run/argo),
`ARGO_CONTAINER_NAME` (default main), `ARGO_DEPENDENCIES` (containerSet: comma list), and
`ARGO_MAX_OUTPUT_BYTES` (cut the stdout/combined copies beyond this). Stdlib only.
Runnable as `python -S -m wfexec.emissary -- CMD…` or `python -S path/to/main.py -- CMD…`.
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script: make `wfexec` importable from beside us
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from wfexec.emissary.layout import EMISSARY_FAILED  # noqa: E402
from wfexec.emissary.run import Spec, run  # noqa: E402

DEFAULT_ARGO_DIR = "/var/run/argo"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    argo_dir = os.environ.get("ARGO_DIR") or DEFAULT_ARGO_DIR
    name = os.environ.get("ARGO_CONTAINER_NAME") or "main"
    if not args:
        print("emissary: no command given: usage: emissary -- COMMAND [ARGS…]", file=sys.stderr)
        return EMISSARY_FAILED
    limit = os.environ.get("ARGO_MAX_OUTPUT_BYTES")
    try:
        max_bytes = int(limit) if limit else None
    except ValueError:
        print(f"emissary: ARGO_MAX_OUTPUT_BYTES must be a whole number of bytes, got {limit!r}", file=sys.stderr)
        return EMISSARY_FAILED
    try:
        return run(Spec(args, argo_dir, name, max_output_bytes=max_bytes))
    except OSError as exc:  # e.g. the argo dir is not writable: nothing could be recorded
        print(f"emissary: {exc}", file=sys.stderr)
        return EMISSARY_FAILED


if __name__ == "__main__":
    sys.exit(main())
