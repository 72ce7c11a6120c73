"""`create_app(settings)`: the Starlette application behind `wfexec server`.

Routers live in `server/api/` (each a module with `routes`); the web UI, when present, is mounted at `/`
after them. Errors of every kind leave as Argo's `{"code", "message"}` shape, never as a traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from wfexec.engine.store import Store
from wfexec.errors import WfexecError
from wfexec.server.auth import Authenticator, TokenStore
from wfexec.server.http import INTERNAL, NOT_FOUND, UNIMPLEMENTED, ApiError, error_response, from_wfexec_error
from wfexec.server.settings import ServerSettings

log = logging.getLogger("wfexec.server")

# Routers in mount order; a module not present (another part not built yet) is skipped.
API_MODULES = ("workflows", "logs", "events", "artifacts", "info", "templates", "cron", "archived", "submit",
               "metrics")


def _optional_routes(module: str) -> list[BaseRoute]:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return []
        raise
    return list(getattr(mod, "routes", []))


def collect_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in API_MODULES:
        routes += _optional_routes(f"wfexec.server.api.{name}")
    ui = _optional_routes("wfexec.server.ui")
    if ui:
        routes.append(Mount("/", routes=ui))
    return routes


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _wfexec_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WfexecError)
    return error_response(from_wfexec_error(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: NOT_FOUND, 405: UNIMPLEMENTED}.get(exc.status_code, INTERNAL if exc.status_code >= 500 else 3)
    message = "no such path" if exc.status_code == 404 else str(exc.detail)
    return error_response(ApiError(code, f"{request.method} {request.url.path}: {message}", status=exc.status_code))


async def _fault(request: Request, exc: Exception) -> Response:
    """A real server fault: logged here with its traceback, answered without one."""
    log.exception("fault answering %s %s", request.method, request.url.path)
    return error_response(ApiError(INTERNAL, f"internal error: {type(exc).__name__}"))


def heal_lost_runs(store: Store) -> int:
    """Runs whose engine died (with the server, or a reboot) continue under a new detached engine."""
    from wfexec.engine import api
    from wfexec.server.run_view import ACTIVE, list_rows

    healed = 0
    for row in list_rows(store, None):
        if row.phase in ACTIVE:
            healed += api.heal(store, row.record())
    return healed


def create_app(settings: ServerSettings | None = None) -> Starlette:
    settings = settings or ServerSettings()
    store = Store(settings.store_path)
    tokens = TokenStore(store.path) if settings.client_auth else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from wfexec.server.watch import StoreWatcher

        await run_in_threadpool(heal_lost_runs, store)
        watcher = StoreWatcher(store.path)
        app.state.watcher = watcher
        watcher.start()
        from wfexec.server.cron import CronScheduler  # CronWorkflows fire while the server runs
        from wfexec.server.workflow_intake import start_run

        scheduler = CronScheduler(Store(store.path), launch=start_run)
        app.state.cron = scheduler
        scheduler.start()
        from wfexec.server.ui.graph_warm import GraphWarmer, warming_enabled
        from wfexec.server.ui.routes import warm_graph

        # big runs' graphs laid out ahead of a view, as their structure changes
        warmer = GraphWarmer(store, warm_graph) if warming_enabled() else None
        app.state.graph_warmer = warmer
        if warmer is not None:
            warmer.start(watcher)
        try:
            yield
        finally:
            if warmer is not None:
                await warmer.stop()
            scheduler.stop()
            watcher.stop()

    middleware = []
    if settings.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                                     allow_methods=["*"], allow_headers=["*"]))
    app = Starlette(
        routes=collect_routes(), middleware=middleware, lifespan=lifespan,
        exception_handlers={ApiError: _api_error, WfexecError: _wfexec_error, HTTPException: _http_error,
                            Exception: _fault},
    )
    app.state.settings = settings
    app.state.store = store
    app.state.authenticator = Authenticator(settings.auth_mode, tokens)
    return app
