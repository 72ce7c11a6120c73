"""InfoService: `info`, `version`, `userinfo`."""

from __future__ import annotations

import platform
import sys

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from wfexec import __version__
from wfexec.server.auth import authorize
from wfexec.server.http import json_response


def get_info(request: Request) -> Response:
    authorize(request, None)
    return json_response({"managedNamespace": "", "links": [], "columns": [], "modals": {}, "navColor": ""})


def get_version(request: Request) -> Response:
    authorize(request, None)
    return json_response({
        "version": f"v{__version__}", "buildDate": "", "gitCommit": "", "gitTag": f"v{__version__}",
        "gitTreeState": "", "goVersion": f"python{sys.version.split()[0]}", "compiler": "wfexec",
        "platform": f"{platform.system().lower()}/{platform.machine()}",
    })


def get_userinfo(request: Request) -> Response:
    who = authorize(request, None)
    body = {"subject": who.name, "name": who.name, "groups": [f"wfexec:{who.role}"]}
    if who.namespace != "*":
        body["serviceAccountNamespace"] = who.namespace
    return json_response(body)


routes: list[BaseRoute] = [
    Route("/api/v1/info", get_info, methods=["GET"]),
    Route("/api/v1/version", get_version, methods=["GET"]),
    Route("/api/v1/userinfo", get_userinfo, methods=["GET"]),
]
