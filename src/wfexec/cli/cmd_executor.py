"""`wfexec executor show|set`: which executor is in force and where that comes from; change it.

Locally this is `containerRuntimeExecutor` in the executor config file; with --kube it is the
same key in the cluster's `workflow-controller-configmap`.
"""

from __future__ import annotations

import argparse

from rich.text import Text

from wfexec.cli.common import console
from wfexec.config import EXECUTORS, default_config_file, load_config, set_executor


def add_kube_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kube", action="store_true", help="act on the cluster's workflow-controller-configmap")
    p.add_argument("--context", help="kubeconfig context (with --kube; default: the current context)")
    p.add_argument("--namespace", "-n", help="namespace of the ConfigMap (with --kube; default: search "
                                             "kubeflow, default, argo)")
    p.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("executor", help="show or set the workflow executor (docker or emissary)",
                              description="Show or set containerRuntimeExecutor, locally or in a cluster.")
    sub = p.add_subparsers(dest="executor_command", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print the executor in force and where it comes from")
    show.add_argument("--config", help="executor config file (default: $WFEXEC_CONFIG, $WFEXEC_HOME/config.yaml)")
    add_kube_flags(show)
    show.set_defaults(func=run_show)
    put = sub.add_parser("set", help="write containerRuntimeExecutor and print it as read back")
    put.add_argument("value", choices=EXECUTORS, help="the executor to write: " + " or ".join(EXECUTORS))
    put.add_argument("--config", help="executor config file to edit (created if absent)")
    add_kube_flags(put)
    put.set_defaults(func=run_set)


def run_show(args: argparse.Namespace) -> int:
    if args.kube:
        return _show_kube(args)
    cfg = load_config(args.config)
    console.print(Text.assemble("executor: ", (cfg.executor, "bold"), f"  (from {cfg.executor_source})"))
    return 0


def run_set(args: argparse.Namespace) -> int:
    if args.kube:
        return _set_kube(args)
    file = default_config_file(args.config)
    set_executor(file, args.value)
    cfg = load_config(str(file))
    console.print(Text.assemble("executor: ", (cfg.executor, "bold"), f"  (written to {file}, read back)"))
    return 0


def _api(args: argparse.Namespace):  # noqa: ANN202 - the kubernetes ApiClient
    from wfexec.cluster.kube import api_client

    return api_client(args.context, args.kubeconfig)


def _show_kube(args: argparse.Namespace) -> int:
    from wfexec.cluster import controller

    ctl = controller.read(_api(args), args.namespace)
    where = f"ConfigMap {ctl.namespace}/{controller.CONFIGMAP}"
    if ctl.executor:
        console.print(Text.assemble("executor: ", (ctl.effective_executor, "bold"), f"  (from {where})"))
    else:
        console.print(Text.assemble("executor: ", (ctl.effective_executor, "bold"),
                                    f"  (containerRuntimeExecutor unset in {where}: the default of Argo "
                                    f"{ctl.version_text}; emissary from v3.3, docker before)"))
    console.print(f"argo: {ctl.version_text}" + (f" ({ctl.controller_image})" if ctl.controller_image else
                                                 " (no workflow-controller Deployment found)"))
    if ctl.emissary_only:
        console.print(Text("from Argo v3.4 the emissary is the only executor; containerRuntimeExecutor is ignored",
                           style="yellow"))
    return 0


def _set_kube(args: argparse.Namespace) -> int:
    from wfexec.cluster import controller

    before, after = controller.set_executor(_api(args), args.namespace, args.value)
    where = f"ConfigMap {after.namespace}/{controller.CONFIGMAP}"
    console.print(Text.assemble("executor: ", (after.executor or "", "bold"),
                                f"  (patched {where}: was {before.executor or 'unset'}, read back)"))
    console.print("the workflow controller picks the change up for new workflows; running ones keep their executor")
    return 0
