"""The UI's static files under a path named by their content, so browsers may keep them for good.

`/ui-static/<stamp>/app.js`: the stamp is a hash of every file in `static/`, so a changed file is a
new URL (relative module imports follow the page's), and an unchanged one is never asked for again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"


def content_stamp(directory: Path = STATIC) -> str:
    h = hashlib.sha256()
    for f in sorted(directory.iterdir()):
        if f.is_file():
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


class ImmutableStatic:
    """StaticFiles, answering with a year-long `immutable` cache lifetime."""

    def __init__(self, directory: Path = STATIC) -> None:
        self.files = StaticFiles(directory=directory)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                message["headers"] = [*message.get("headers", []),
                                      (b"cache-control", b"public, max-age=31536000, immutable")]
            await send(message)

        await self.files(scope, receive, send_cached)
