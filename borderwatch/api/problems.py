"""RFC 9457 problem+json: the error body every failing request gets, and the handlers that make it."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from borderwatch.alerts import LifecycleError
from borderwatch.service.alerting import ConflictError, NotFoundError

PROBLEM_MEDIA = "application/problem+json"
log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


def problem_response(status: int, title: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail, instance=str(request.url.path), **extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_MEDIA,
                        headers=headers)  # fmt: skip


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, exc: HTTPException) -> JSONResponse:
        return problem_response(exc.status_code, _title(exc.status_code), str(exc.detail), request)

    @app.exception_handler(RequestValidationError)
    async def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldProblem(loc=list(e.get("loc", ())), msg=str(e.get("msg", ""))) for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors) or "invalid request"
        return problem_response(422, "Unprocessable Content", detail, request, errors=errors)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return problem_response(404, "Not Found", str(exc.args[0] if exc.args else exc), request)

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return problem_response(409, "Conflict", str(exc), request)

    @app.exception_handler(LifecycleError)
    async def lifecycle(request: Request, exc: LifecycleError) -> JSONResponse:
        return problem_response(409, "Conflict", str(exc), request)

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> JSONResponse:
        # The request was well-formed JSON but holds a value the database refuses (PostgreSQL text cannot
        # hold a NUL character, say): the client's input, so 422, and the transaction was rolled back.
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "a value the store cannot hold"
        return problem_response(422, "Unprocessable Content", f"the store refused a value: {reason}", request)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(500, "Internal Server Error", f"{type(exc).__name__}: the error is logged", request)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses, all as problem+json."""
    return {s: {"model": Problem, "description": _title(s), "content": {PROBLEM_MEDIA: {}}} for s in statuses}


def fix_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the spec say what the server does: validation errors are problem+json, not FastAPI's default."""
    ref = {"$ref": "#/components/schemas/Problem"}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                if status.startswith(("4", "5")):
                    response["content"] = {PROBLEM_MEDIA: {"schema": ref}}
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema
