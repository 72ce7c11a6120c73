"""A Kubernetes API client from a kubeconfig, and API failures turned into ClusterError."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from wfexec.errors import ClusterError
from wfexec.extras import require

T = TypeVar("T")


def kubeconfig_path(explicit: str | None = None) -> str:
    """--kubeconfig, else the first file of $KUBECONFIG, else ~/.kube/config (as kubectl looks)."""
    if explicit:
        return explicit
    env = os.environ.get("KUBECONFIG")
    if env:
        return env.split(os.pathsep)[0]
    return str(Path.home() / ".kube" / "config")


def api_client(context: str | None = None, kubeconfig: str | None = None) -> Any:
    """An ApiClient for `context` (default: the kubeconfig's current context)."""
    require("kubernetes", "--kube (Argo Workflows in a Kubernetes cluster)")
    from kubernetes import config as kconfig
    from kubernetes.config.config_exception import ConfigException

    path = kubeconfig_path(kubeconfig)
    if not Path(path).is_file():
        raise ClusterError(f"kubeconfig {path} not found; set $KUBECONFIG or pass --kubeconfig")
    try:
        return kconfig.new_client_from_config(config_file=path, context=context, persist_config=False)
    except ConfigException as exc:
        raise ClusterError(f"kubeconfig {path}: {' '.join(str(exc).split())}") from None
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise ClusterError(f"kubeconfig {path}: cannot use it ({type(exc).__name__}: {exc})") from None


def call(what: str, fn: Callable[[], T], *, missing_ok: bool = False) -> T | None:
    """Run one API call; a 404 is None when `missing_ok`; every other failure is a ClusterError."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        return fn()
    except ApiException as exc:
        if exc.status == 404 and missing_ok:
            return None
        hint = {401: " (unauthorised: check the kubeconfig's credentials)",
                403: " (forbidden: the kubeconfig's user lacks RBAC permission)"}.get(exc.status or 0, "")
        raise ClusterError(f"{what}: HTTP {exc.status} {exc.reason}{hint}") from None
    except HTTPError as exc:
        raise ClusterError(f"{what}: API server unreachable ({type(exc).__name__})") from None
    except OSError as exc:
        raise ClusterError(f"{what}: API server unreachable ({exc})") from None
