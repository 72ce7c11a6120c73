"""`/metrics`: the runs' custom and controller metrics in Prometheus text format, as Argo's
controller exposes them; the same text the engine writes to `$WFEXEC_HOME/metrics.prom`."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from wfexec.engine.metrics import render_prometheus
from wfexec.home import wfexec_home
from wfexec.server.auth import authorize

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


async def get_metrics(request: Request) -> Response:
    authorize(request, None)
    text = await run_in_threadpool(render_prometheus, wfexec_home())
    return PlainTextResponse(text, media_type=CONTENT_TYPE)


routes: list[BaseRoute] = [Route("/metrics", get_metrics, methods=["GET"])]
