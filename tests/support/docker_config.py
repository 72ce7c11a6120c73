"""An executor config that maps the corpus's images to the images the tests build locally."""

from __future__ import annotations

import json
import tempfile
from functools import lru_cache
from pathlib import Path

from tests.support.docker_daemon import ensure_dockerd
from tests.support.images import busybox_image, python_image, scratch_hello_image


@lru_cache(maxsize=1)
def docker_image_config() -> str:
    """Path of a workflow-controller-configmap whose imageMap points busybox, alpine and python
    at local images (nothing can be pulled here)."""
    ensure_dockerd()
    busybox, python = busybox_image(), python_image()
    scratch_hello_image()
    path = Path(tempfile.mkdtemp(prefix="wfexec-docker-cfg-")) / "config.yaml"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "workflow-controller-configmap"},
                                "data": {"imageMap": {"busybox": busybox, "busybox:*": busybox,
                                                      "alpine": busybox, "alpine:*": busybox,
                                                      "python": python, "python:*": python}}}))
    return str(path)
