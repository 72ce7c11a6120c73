"""KFP end to end: which (runtime, executor) pairs to run, stand-ins for tools, a fake GCS.

Stand-ins are small scripts in `standins/`; a test puts them first on a step's PATH through the
workflow's container `env` (`with_env`), the way a user would with a different image.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from wfexec.runtimes.host.shims import host_path

HERE = Path(__file__).parent
DATA = HERE / "data"
STANDINS = HERE / "standins"
KFP_DATA = HERE.parent / "kfp" / "data"
COMPILED = HERE.parents[1].parent / "shared" / "corpus" / "kfp-compiled-argo"

#: (runtime, executor) pairs. The host runtime runs everything; the docker runtime runs the
#: component tests with images mapped (`imageMap`) to local test images (busybox, python).
HOST: list[tuple[str, str]] = [("host", "emissary")]
DOCKER: list[tuple[str, str]] = [("docker", "emissary"), ("docker", "docker")]
BACKENDS: list[tuple[str, str]] = HOST + DOCKER


@dataclass(frozen=True)
class Backend:
    runtime: str
    executor: str
    config: str | None  # executor config file (imageMap for the docker runtime)

    def cli(self) -> list[str]:
        """`--runtime … --executor … [--config …]` for `wfexec run-component`."""
        return ["--runtime", self.runtime, "--executor", self.executor, *(["--config", self.config] if self.config
                                                                           else [])]


@pytest.fixture(scope="session")
def docker_config(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An executor config mapping the images our components name to locally built ones."""
    from tests.support.docker_daemon import ensure_dockerd
    from tests.support.images import busybox_image, python_image

    ensure_dockerd()
    busybox, python = busybox_image(), python_image()
    path = tmp_path_factory.mktemp("kfp-e2e-config") / "config.yaml"
    path.write_text(json.dumps({"imageMap": {"alpine": busybox, "alpine:*": busybox, "python": python,
                                             "python:*": python}}))
    return str(path)


def make_backend(pair: tuple[str, str], request: pytest.FixtureRequest) -> Backend:
    runtime, executor = pair
    config = request.getfixturevalue("docker_config") if runtime == "docker" else None
    return Backend(runtime, executor, config)

CONTAINER_KEYS = ("container", "script")
LIST_KEYS = ("sidecars", "initContainers")


def containers(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every container of a template: main (container/script), containerSet, sidecars, init containers."""
    for key in CONTAINER_KEYS:
        if isinstance(template.get(key), dict):
            yield template[key]
    yield from (template.get("containerSet") or {}).get("containers") or []
    for key in LIST_KEYS:
        yield from template.get(key) or []


def with_env(workflow: dict[str, Any], env: dict[str, str],
             per_template: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """A copy of `workflow` whose containers also get `env` (and per-template extras); PATH is prepended."""
    wf = copy.deepcopy(workflow)
    for tmpl in (wf.get("spec") or {}).get("templates") or []:
        extra = {**env, **(per_template or {}).get(tmpl.get("name", ""), {})}
        for c in containers(tmpl):
            items = [e for e in c.get("env") or [] if e.get("name") not in extra]
            c["env"] = items + [{"name": k, "value": v} for k, v in extra.items()]
    return wf


def standin_path(*dirs: Path) -> str:
    """PATH for a host-runtime step with the stand-ins first, then what the engine would give."""
    return ":".join([*(str(d) for d in dirs), str(STANDINS), host_path()])


def load_yaml(path: Path) -> dict[str, Any]:
    return YAML(typ="safe").load(path.read_text())


def write_yaml(data: dict[str, Any], path: Path) -> Path:
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    with path.open("w") as f:
        yaml.dump(data, f)
    return path


class FakeGCS:
    """An in-memory bucket store over HTTP: GET /BUCKET/KEY reads an object, PUT writes it."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        store = self.objects

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = store.get(self.path.lstrip("/"))
                self.send_response(200 if body is not None else 404)
                payload = body if body is not None else b"no such object\n"
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_PUT(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                store[self.path.lstrip("/")] = self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_gcs() -> Iterator[FakeGCS]:
    gcs = FakeGCS()
    try:
        yield gcs
    finally:
        gcs.close()


@pytest.fixture
def compiled() -> Callable[[str], dict[str, Any]]:
    """Load a workflow of the KFP-compiled corpus by its path under kfp-compiled-argo/."""
    def load(rel: str) -> dict[str, Any]:
        path = COMPILED / rel
        assert path.is_file(), f"corpus file missing: {path}"
        return load_yaml(path)
    return load
