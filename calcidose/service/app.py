"""The ASGI app of ``calcidose serve``: :func:`create_app` (FastAPI).

Routes: ``GET /cds-services`` (discovery), ``POST /cds-services/{id}`` (a hook call),
``POST /cds-services/{id}/feedback`` (recorded in the log ``calcidose.service.feedback``),
``GET /cds-services/docs`` (what the cards mean), and the pharmacist's page at ``/`` when
:mod:`calcidose.service.page` is installed. Errors are JSON: ``{"error": "..."}`` with 400
(malformed request), 401 (not authenticated), 404 (unknown service), 500 (a calcidose bug).
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..errors import CalcidoseError
from ..safeio import loads_strict
from .auth import AuthError, Verifier
from .cards import cards_for
from .hooks import SERVICES, BadRequest, discovery, parse_request, run_hook
from .settings import Settings

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 5_000_000
log = logging.getLogger("calcidose.service")
feedback_log = logging.getLogger("calcidose.service.feedback")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _cards_doc() -> str:
    doc = Path(__file__).resolve().parents[2] / "docs" / "service.md"
    if doc.is_file():
        return doc.read_text(encoding="utf-8")
    from . import cards

    return cards.__doc__ or ""


def create_app(settings: Settings) -> FastAPI:
    """The service app for ``settings`` (the page at ``/`` included when available)."""
    app = FastAPI(
        title="calcidose CDS Hooks service",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    if settings.cors:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
        )
    service = _Service(settings)

    @app.get("/cds-services")
    async def services() -> dict[str, Any]:
        return discovery()

    @app.get("/cds-services/docs", response_class=PlainTextResponse)
    async def docs() -> str:
        return _cards_doc()

    @app.post("/cds-services/{service_id}")
    async def call(service_id: str, request: Request) -> JSONResponse:
        return await service.call(service_id, request)

    @app.post("/cds-services/{service_id}/feedback")
    async def feedback(service_id: str, request: Request) -> JSONResponse:
        return await service.feedback(service_id, request)

    _include_page(app)
    return app


async def _body_of(request: Request) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY_BYTES (never read past that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class _Service:
    """The two POST endpoints of one app: a hook call and its feedback, each authenticated
    (unless ``--no-auth``), size-bounded and answered with JSON (errors as 4xx/500 JSON)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.verifier = Verifier(settings)

    def authenticate(self, request: Request, endpoint: str) -> None:
        if self.settings.no_auth:
            return
        self.verifier.verify(request.headers.get("authorization"), endpoint)

    async def call(self, service_id: str, request: Request) -> JSONResponse:
        settings = self.settings
        if service_id not in SERVICES:
            return _error(404, f"no CDS service {service_id!r}; see GET /cds-services")
        endpoint = f"{settings.base_url}/cds-services/{service_id}"
        try:
            await run_in_threadpool(self.authenticate, request, endpoint)
        except AuthError as exc:
            return _error(401, str(exc))
        body = await _body_of(request)
        if body is None:
            return _error(413, f"the request is larger than {MAX_BODY_BYTES:,} bytes")
        try:
            data = parse_request(service_id, body)
        except BadRequest as exc:
            return _error(400, str(exc))
        try:
            outcome = await run_in_threadpool(run_hook, service_id, data, settings)
            cards = await run_in_threadpool(cards_for, outcome, settings.base_url)
        except Exception:  # a bug in calcidose: logged in full, a sentence to the caller
            log.exception("hook %s failed", service_id)
            return _error(500, "calcidose failed on this request; the service log has details")
        return JSONResponse({"cards": cards})

    async def feedback(self, service_id: str, request: Request) -> JSONResponse:
        if service_id not in SERVICES:
            return _error(404, f"no CDS service {service_id!r}")
        endpoint = f"{self.settings.base_url}/cds-services/{service_id}/feedback"
        try:
            await run_in_threadpool(self.authenticate, request, endpoint)
        except AuthError as exc:
            return _error(401, str(exc))
        body = await _body_of(request)
        if body is None:
            return _error(413, f"the feedback is larger than {MAX_BODY_BYTES:,} bytes")
        try:
            data = loads_strict(body, "the feedback body")  # duplicate keys refused too
        except CalcidoseError as exc:
            return _error(400, str(exc))
        items = data.get("feedback") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return _error(400, "feedback must be an object with a 'feedback' list")
        for item in items:
            feedback_log.info("feedback %s %s", service_id, json.dumps(item, sort_keys=True))
        return JSONResponse({})


def _include_page(app: FastAPI) -> None:
    """Mount the pharmacist's page at ``/`` when its module is installed."""
    if importlib.util.find_spec("calcidose.service.page") is None:
        return
    page = importlib.import_module("calcidose.service.page")
    app.include_router(page.router)
