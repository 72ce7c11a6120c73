"""Responses checked against Argo Server's own OpenAPI document (tests/server/data, from argo-workflows).

`SWAGGER.check(method, url, status, body)` finds the operation whose path template matches the URL
and validates the body against the schema of that status (or `default`, the error shape). A stream
(logs, watch) is checked line by line against the stream's item schema. A response projected with
`fields=` is checked with `required` lifted: leaving members out is what the projection is for (a real
Argo Server's projected list omits `spec` too).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema

SWAGGER_FILE = Path(__file__).parent / "data" / "argo-workflows-v4.1-swagger.json"


class Swagger:
    def __init__(self, path: Path = SWAGGER_FILE) -> None:
        self.doc = json.loads(path.read_text())
        # The one known flaw of the document: IntOrString is typed `string` only, where Kubernetes' own
        # OpenAPI says int-or-string and Argo Server returns an int as it was given (retryStrategy.limit: 2).
        self.doc["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": ["string", "integer"]}
        self._ops: list[tuple[re.Pattern[str], int, str, str, dict[str, Any]]] = []
        for template, item in self.doc["paths"].items():
            # an empty {namespace} means all namespaces (the Argo UI lists `/api/v1/workflows/`)
            pattern = re.sub(r"\{[^}]+\}", "[^/]+", template.replace("{namespace}", "[^/]*"))
            if template.startswith("/artifact-files/"):
                pattern += "(/.*)?"  # the Argo UI appends a file's path inside a directory artifact
            params = template.count("{")
            for method, op in item.items():
                if method != "parameters":
                    self._ops.append((re.compile(f"^{pattern}/?$"), params, method.upper(), template, op))
        self.checked = 0

    def operation(self, method: str, url: str) -> tuple[str, dict[str, Any]] | None:
        path = urlsplit(url).path
        hits = [(params, template, op) for rx, params, m, template, op in self._ops
                if m == method.upper() and rx.match(path)]
        if not hits:
            return None
        hits.sort(key=lambda h: h[0])  # the most literal template wins (`/lint` over `/{name}`)
        return hits[0][1], hits[0][2]

    @functools.cache  # noqa: B019 - one instance for the session
    def _validator(self, schema_json: str, projected: bool) -> jsonschema.Draft4Validator:
        definitions = self.doc["definitions"]
        if projected:  # `fields=` keeps only what was asked for: required members may be left out
            definitions = _without_required(definitions)
        schema = {**json.loads(schema_json), "definitions": definitions}
        return jsonschema.Draft4Validator(schema)

    def schema_for(self, op: dict[str, Any], status: int) -> dict[str, Any] | None:
        responses = op["responses"]
        entry = responses.get(str(status)) if status < 400 else None
        entry = entry or responses.get("default")
        return (entry or {}).get("schema")

    def check(self, method: str, url: str, status: int, body: bytes, content_type: str = "") -> None:
        """Raise AssertionError naming the operation and the first schema error."""
        if method.upper() == "OPTIONS":
            return  # a CORS preflight, not an operation of the API
        found = self.operation(method, url)
        assert found is not None, f"{method} {url}: no such operation in Argo's swagger"
        template, op = found
        schema = self.schema_for(op, status)
        if schema is None or schema.get("format") == "binary" or schema.get("type") == "string":
            return
        title = schema.get("title", "")
        if title.startswith("Stream result of"):
            docs = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        else:
            docs = [json.loads(body)] if body.strip() else [{}]
        projected = "fields" in parse_qs(urlsplit(url).query)
        validator = self._validator(json.dumps(schema, sort_keys=True), projected)
        for doc in docs:
            error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
            if error is not None:
                where = "/".join(str(p) for p in error.absolute_path)
                raise AssertionError(f"{method} {template} ({status}): response does not match swagger"
                                     f" at {where or '(root)'}: {error.message}")
            self.checked += 1


def _without_required(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _without_required(v) for k, v in obj.items() if k != "required" or not isinstance(v, list)}
    if isinstance(obj, list):
        return [_without_required(v) for v in obj]
    return obj


SWAGGER = Swagger()


def check_response(resp: Any) -> Any:
    """A `requests` response, checked (its body is read)."""
    SWAGGER.check(resp.request.method, resp.url, resp.status_code, resp.content,
                  resp.headers.get("content-type", ""))
    return resp
