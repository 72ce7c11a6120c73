"""Docker runtime helpers: the client, Kubernetes quantities, images and the executor config.

Kept apart from the pod lifecycle so each piece stays small and testable on its own.
"""

from __future__ import annotations

import fnmatch
import io
import re
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests.exceptions

from wfexec.errors import ExecutorError, RuntimeUnavailable, WfexecError

_CONNECT_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException, OSError)

NO_DAEMON_DOCKER_EXECUTOR = (
    "the docker executor needs the Docker daemon that runs the step's containers, reached through its "
    "socket (root-equivalent on the host): {why}. Start dockerd (scripts/ensure-dockerd.sh) or point "
    "DOCKER_HOST at it, or use --executor emissary."
)
NO_DAEMON_RUNTIME = (
    "the docker runtime needs a running Docker daemon: {why}. Start dockerd (scripts/ensure-dockerd.sh) "
    "or point DOCKER_HOST at it, or use --runtime host."
)


def connect(executor: str) -> docker.DockerClient:
    """A client that has answered a ping; a clear WfexecError when no daemon answers."""
    template = NO_DAEMON_DOCKER_EXECUTOR if executor == "docker" else NO_DAEMON_RUNTIME
    err = ExecutorError if executor == "docker" else RuntimeUnavailable
    try:
        client = docker.from_env(timeout=120, max_pool_size=64)  # a blocking wait() per running pod
        client.ping()
    except _CONNECT_ERRORS as exc:
        raise err(template.format(why=_short(exc))) from None
    return client


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    text = re.sub(r"\s+", " ", text)
    return text[:300]


# --- Kubernetes quantities --------------------------------------------------------------

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
            "P": 1e15, "E": 1e18}
_QUANTITY = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_quantity(value: Any, field: str) -> float:
    """A Kubernetes quantity (`512Mi`, `0.5`, `500m`, `1G`) as a number."""
    if isinstance(value, int | float):
        return float(value)
    m = _QUANTITY.match(str(value))
    if not m or (m.group(2) not in _BINARY and m.group(2) not in _DECIMAL):
        raise WfexecError(f"{field}: {value!r} is not a Kubernetes quantity (e.g. 512Mi, 1Gi, 0.5, 500m)")
    number, suffix = float(m.group(1)), m.group(2)
    return number * (_BINARY.get(suffix) or _DECIMAL[suffix])


def resource_limits(resources: dict[str, Any], where: str) -> dict[str, int]:
    """docker-py create() keywords for `resources.limits` (requests are a scheduling hint only)."""
    limits = (resources or {}).get("limits") or {}
    out: dict[str, int] = {}
    if "cpu" in limits:
        out["nano_cpus"] = max(1, int(round(parse_quantity(limits["cpu"], f"{where}.resources.limits.cpu") * 1e9)))
    if "memory" in limits:
        out["mem_limit"] = int(parse_quantity(limits["memory"], f"{where}.resources.limits.memory"))
        out["memswap_limit"] = out["mem_limit"]  # no swap beyond the limit, as in a pod
    return out


# --- the executor config (an ExecutorConfig, a plain dict, or None) ---------------------

def _config_get(config: Any, *names: str) -> Any:
    for name in names:
        if isinstance(config, dict) and name in config:
            return config[name]
        if config is not None and not isinstance(config, dict) and hasattr(config, name):
            return getattr(config, name)
    return None


def map_image(config: Any, image: str) -> str:
    """The config's image map applied to `image` (exact names first, then glob patterns)."""
    if config is not None and not isinstance(config, dict) and callable(getattr(config, "map_image", None)):
        return config.map_image(image)
    mapping = _config_get(config, "image_map", "imageMap") or {}
    if image in mapping:
        return mapping[image]
    for pattern, target in mapping.items():
        if fnmatch.fnmatchcase(image, pattern):
            return target
    return image


def _as_entry(value: Any) -> tuple[list[str] | None, list[str] | None] | None:
    if value is None:
        return None
    if isinstance(value, tuple) and len(value) == 2:
        return value if (value[0] or value[1]) else None  # (None, None): not in `images:`
    get = value.get if isinstance(value, dict) else (lambda k: getattr(value, k, None))
    entrypoint = get("entrypoint") or get("Entrypoint") or get("command")
    cmd = get("cmd") or get("Cmd") or get("args")
    if entrypoint is None and cmd is None:
        return None
    return (list(entrypoint) if entrypoint else None, list(cmd) if cmd else None)


def configured_image_command(config: Any, *images: str) -> tuple[list[str] | None, list[str] | None] | None:
    """(ENTRYPOINT, CMD) for the first of `images` in the config's `images:` index, if any."""
    for image in images:
        if config is not None and not isinstance(config, dict) and callable(getattr(config, "image_command", None)):
            found = _as_entry(config.image_command(image))
        else:
            found = _as_entry((_config_get(config, "images") or {}).get(image))
        if found is not None:
            return found
    return None


# --- images -------------------------------------------------------------------------------

def image_config(client: docker.DockerClient, image: str, step: str, pull_policy: str | None) -> dict[str, Any]:
    """The local image's Config; RuntimeUnavailable when it is not here (nothing is ever pulled)."""
    try:
        attrs = client.api.inspect_image(image)
    except docker.errors.ImageNotFound:
        hint = ""
        if (pull_policy or "") == "Always":
            hint = " (imagePullPolicy: Always, but wfexec never pulls on the docker runtime)"
        raise RuntimeUnavailable(
            f"step {step!r}: image {image!r} is not present locally; build or load it "
            f"(docker build / docker load), or map it to a local image with image_map in the executor config{hint}"
        ) from None
    except _CONNECT_ERRORS as exc:
        raise RuntimeUnavailable(f"step {step!r}: cannot inspect image {image!r}: {_short(exc)}") from None
    return attrs.get("Config") or {}


# --- the pod's network holder -------------------------------------------------------------

PAUSE_IMAGE = "wfexec/pause:1"
_PAUSE_C = r"""
#include <signal.h>
#include <unistd.h>
static void leave(int sig) { (void)sig; _exit(0); }
int main(void) {
    signal(SIGTERM, leave);
    signal(SIGINT, leave);
    for (;;) pause();
}
"""
_pause_lock = threading.Lock()


def ensure_pause_image(client: docker.DockerClient) -> str:
    """A scratch image whose one static binary sleeps until told to stop: it holds the network
    namespace of a pod with several containers, as Kubernetes' pause container does."""
    with _pause_lock:
        try:
            client.api.inspect_image(PAUSE_IMAGE)
            return PAUSE_IMAGE
        except docker.errors.ImageNotFound:
            pass
        with tempfile.TemporaryDirectory(prefix="wfexec-pause-") as tmp:
            src, exe = Path(tmp, "pause.c"), Path(tmp, "pause")
            src.write_text(_PAUSE_C)
            try:
                proc = subprocess.run(["gcc", "-static", "-Os", "-s", "-o", str(exe), str(src)],
                                      capture_output=True, text=True)
            except OSError as exc:
                raise RuntimeUnavailable(f"cannot build the pod network holder image: gcc: {exc}") from None
            if proc.returncode != 0:
                raise RuntimeUnavailable("cannot build the pod network holder image (gcc -static; apt-get install "
                                         f"gcc libc6-dev): {proc.stderr.strip()[-500:]}")
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as tar:
                tar.add(exe, arcname="pause")
            repo, tag = PAUSE_IMAGE.split(":")
            client.api.import_image_from_data(buf.getvalue(), repository=repo, tag=tag,
                                              changes=['ENTRYPOINT ["/pause"]', "LABEL wfexec.infra=1"])
        return PAUSE_IMAGE
