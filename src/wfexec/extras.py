"""The optional dependencies: `wfexec[docker]`, `wfexec[kube]`, `wfexec[s3]`.

The default host runtime needs none of them, so they are imported only where used; asking for
what needs one that is not installed is one line saying what to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from wfexec.errors import WfexecError

EXTRAS = {"docker": "docker", "kubernetes": "kube", "boto3": "s3", "botocore": "s3"}


class MissingExtra(WfexecError):
    """A feature was asked for whose optional dependency is not installed."""


def install_hint(module: str) -> str:
    return f"pip install 'wfexec[{EXTRAS[module]}]'"


def require(module: str, feature: str) -> ModuleType:
    """Import `module` (a key of EXTRAS) for `feature`, or say which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{feature} needs the Python package {module!r}, which is not installed: "
                           f"{install_hint(module)}") from None
