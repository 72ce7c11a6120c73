"""Routers of the Argo Server REST API: each module exposes `routes: list[BaseRoute]`."""
