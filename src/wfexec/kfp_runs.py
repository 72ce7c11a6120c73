"""Runs compiled from a KFP v2 pipeline, told apart by one annotation that the compiler sets.

Read by the engine and every face without importing the kfp package. In such a run, parameter values
are the pipeline's data (KFP's driver passes them through untouched), never Argo template text.
"""

from __future__ import annotations

from typing import Any

ANNOTATION = "wfexec.io/kfp-v2"


def is_kfp_v2(manifest: dict[str, Any]) -> bool:
    return ((manifest.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION) == "true"
