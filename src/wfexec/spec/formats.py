"""Which loader a spec file needs, told from its bytes before anything heavy is imported."""

from __future__ import annotations

from pathlib import Path

#: `kfp.v2.ir.looks_like_ir` needs one of these top-level keys (`root` goes with `components`).
PIPELINE_IR_KEYS = (b"pipelineInfo", b"deploymentSpec", b"components", b"executorLabel")


def may_be_pipeline_ir(path: str | Path) -> bool:
    """False when the file cannot be a KFP v2 pipeline IR: none of the IR's keys is written in it.

    Lint and submit ask this first, so a Workflow file never loads the KFP modules (a tenth of a
    second) nor parses twice. True only means "ask `looks_like_ir`".
    """
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        return False
    except OSError:
        return True  # let the caller say what is wrong with it
    return any(key in raw for key in PIPELINE_IR_KEYS)
