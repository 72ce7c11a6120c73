"""KFP v2 pipelines (the IR that kfp.compiler writes), run as ordinary wfexec runs."""

from __future__ import annotations

from wfexec.kfp.v2.ir import Pipeline, load_pipeline, looks_like_ir
from wfexec.kfp.v2.prepare import Prepared, prepare_pipeline

__all__ = ["Pipeline", "Prepared", "load_pipeline", "looks_like_ir", "prepare_pipeline"]
