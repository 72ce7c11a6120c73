"""HTTP plumbing shared by every router: Argo's error shape, body and query parsing that name the field.

Argo Server answers errors as grpc-gateway does: `{"code": <gRPC code>, "message": …}` with the matching
HTTP status. Everything a client can get wrong becomes an ApiError (4xx); only a real fault is 13/500.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wfexec.errors import SpecError, StoreError, WfexecError

# gRPC codes used by Argo Server, and the HTTP status grpc-gateway gives each.
INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, INTERNAL, UNAUTHENTICATED = 3, 5, 6, 7, 13, 16
FAILED_PRECONDITION, UNIMPLEMENTED, RESOURCE_EXHAUSTED = 9, 12, 8
HTTP_STATUS = {INVALID_ARGUMENT: 400, NOT_FOUND: 404, ALREADY_EXISTS: 409, PERMISSION_DENIED: 403,
               INTERNAL: 500, UNAUTHENTICATED: 401, FAILED_PRECONDITION: 400, UNIMPLEMENTED: 501,
               RESOURCE_EXHAUSTED: 413}


class ApiError(Exception):
    """An error answered to the client as `{"code", "message"}`; the message must be safe to show."""

    def __init__(self, code: int, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status or HTTP_STATUS.get(code, 500)


def bad_request(message: str) -> ApiError:
    return ApiError(INVALID_ARGUMENT, message)


def not_found(message: str) -> ApiError:
    return ApiError(NOT_FOUND, message)


def error_body(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "details": []}


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)


def from_wfexec_error(exc: WfexecError) -> ApiError:
    """The engine's user-facing errors, as the gRPC code a client can act on."""
    text = str(exc)
    if isinstance(exc, StoreError):
        if text.startswith("no run named") or "not found" in text:
            return ApiError(NOT_FOUND, text)
        if "already exists" in text:
            return ApiError(ALREADY_EXISTS, text)
        if "stayed locked" in text or text.startswith("run store"):
            return ApiError(INTERNAL, text)
    if isinstance(exc, SpecError):
        return ApiError(INVALID_ARGUMENT, text)
    return ApiError(FAILED_PRECONDITION, text)


async def read_json(request: Request, max_bytes: int) -> dict[str, Any]:
    """The request body as a JSON object; 413 over `max_bytes`, 400 naming what is wrong."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(RESOURCE_EXHAUSTED, f"request body of {declared} bytes is over the limit of {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(RESOURCE_EXHAUSTED, f"request body is over the limit of {max_bytes} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"body: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise bad_request(f"body: expected a JSON object, got {type(data).__name__}")
    return data


def body_object(body: dict[str, Any], field: str, *, required: bool = True) -> dict[str, Any] | None:
    value = body.get(field)
    if value is None:
        if required:
            raise bad_request(f"body.{field}: required, expected an object")
        return None
    if not isinstance(value, dict):
        raise bad_request(f"body.{field}: expected an object, got {type(value).__name__}")
    return value


def body_str(body: dict[str, Any], field: str, default: str | None = None) -> str | None:
    value = body.get(field, default)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"body.{field}: expected a string, got {type(value).__name__}")
    return value


def body_bool(body: dict[str, Any], field: str, default: bool = False) -> bool:
    value = body.get(field, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"body.{field}: expected true or false, got {json.dumps(value)[:40]}")
    return value


def body_str_list(body: dict[str, Any], field: str) -> list[str]:
    value = body.get(field) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"body.{field}: expected a list of strings")
    return value


def body_name_values(body: dict[str, Any], field: str, where: str = "body") -> dict[str, str]:
    """A list field of `NAME=VALUE` strings (Argo's parameter overrides) as a dict; `where` names its parent."""
    out: dict[str, str] = {}
    for item in body_str_list(body, field):
        if "=" not in item:
            raise bad_request(f"{where}.{field}: {item!r} is not NAME=VALUE")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def query_str(request: Request, name: str, default: str | None = None) -> str | None:
    return request.query_params.get(name, default)


def query_int(request: Request, name: str, default: int | None = None, *, minimum: int = 0) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"query {name}: expected a whole number, got {raw[:40]!r}") from None
    if value < minimum:
        raise bad_request(f"query {name}: must be at least {minimum}, got {value}")
    return value


def query_bool(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise bad_request(f"query {name}: expected true or false, got {raw[:40]!r}")


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(json.dumps(obj, separators=(",", ":")), status_code=status, media_type="application/json")
