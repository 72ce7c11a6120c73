"""The web UI of `wfexec server`: pages, their static files, and the JSON they need beyond Argo's API.

Everything the pages read is public: Argo's REST API, plus `/api/v1/wfexec/…` (the laid-out graph,
the executor), which an API user can call too.
"""

from wfexec.server.ui.routes import routes

__all__ = ["routes"]
