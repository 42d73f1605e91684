"""The pharmacist's page at ``/`` of ``calcidose serve``: a form, and the answer, server-rendered.

It works without JavaScript: ``GET /`` is the empty form, ``POST /`` (an HTML form) or
``GET /?drug=...`` (a bookmarkable query) gives the answer above the form, which keeps what was
typed. Bad input is refused in words next to the field that caused it; an unexpected error is a
plain sentence, never a stack trace nor an error page. The page has no login of its own: it is
for local or intranet use (docs/page.md).

Every answer is :func:`calcidose.dose` or :func:`calcidose.check` itself; this module reads the
form, finds the field an error belongs to (:mod:`.page_form`) and renders
(:mod:`.page_view`, ``templates/page.html``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..catalog import get_catalog, resolve_drug
from ..catalog.model import Catalog
from ..engine.orders import OrderCheck, check
from ..errors import CalcidoseError, FrequencyError, InputError, PatientError, UnknownDrugError
from ..frequency import FREQUENCIES, parse_frequency
from ..patient import LAB_VALUES, Patient
from ..results import DosePlan
from .page_form import (
    FIELDS,
    LAB_FIELDS,
    QUANTITIES,
    FormData,
    Refusal,
    culprits,
    fields_of,
    patient_kwargs,
    read_form,
)
from .page_view import answer_view

__all__ = ["MAX_BODY_BYTES", "make_router", "render_page", "router"]

log = logging.getLogger("calcidose.page")

#: A form post larger than this is refused in words (the real form is well under 8 KB).
MAX_BODY_BYTES: Final = 64 * 1024
_UNEXPECTED: Final = (
    "calcidose could not answer: something unexpected went wrong, and nothing was "
    "calculated. Nothing on this page is a dose. Please tell the team that runs this service "
    "what you typed."
)
_HEADERS: Final = {
    # patient data: never cached, never sent elsewhere; the page has no script at all
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}

_env = Environment(
    loader=PackageLoader("calcidose.service", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _refuse_each(kwargs: dict[str, Any]) -> dict[str, str]:
    """Each quantity that the library refuses by itself, with its words."""
    errors: dict[str, str] = {}
    for name in QUANTITIES:
        if name in kwargs:
            try:
                Patient(**{name: kwargs[name]})
            except CalcidoseError as exc:
                errors[name] = str(exc)
    return errors


def _blame(
    exc: CalcidoseError, build: Callable[[dict[str, Any]], object], kwargs: dict[str, Any]
) -> Refusal:
    """The error on every patient field whose removal avoids it, else as a general error."""
    names = culprits(build, kwargs)
    if not names:
        return Refusal({}, str(exc))
    return Refusal({field: str(exc) for n in names for field in fields_of(n)})


def _order_errors(form: FormData) -> dict[str, str]:
    errors = {}
    if not form.values["amount"].strip():
        errors["amount"] = "Type the ordered amount with its unit, e.g. 90 mg."
    frequency = form.values["frequency"].strip()
    if not frequency:
        errors["frequency"] = "Type how often, e.g. three times daily, tid, weekly."
    else:
        try:
            parse_frequency(frequency)
        except FrequencyError as exc:
            errors["frequency"] = str(exc)
    return errors


def compute(form: FormData, catalog: Catalog) -> DosePlan | OrderCheck | Refusal:
    """The answer to the form: a dose plan, an order check, or the input refused by field."""
    drug = form.values["drug"].strip()
    if not drug:
        return Refusal({"drug": "Choose a drug."})
    try:
        entry = resolve_drug(catalog, drug)
    except UnknownDrugError as exc:
        return Refusal({"drug": str(exc)})
    kwargs, errors = patient_kwargs(form)
    errors.update(_refuse_each(kwargs))
    if form.action == "check":
        errors.update(_order_errors(form))
    valid = {k: v for k, v in kwargs.items() if not set(fields_of(k)) & set(errors)}
    try:
        patient = Patient(**valid)
    except CalcidoseError as exc:  # values that contradict each other
        blamed = _blame(exc, lambda kw: Patient(**kw), valid)
        return Refusal({**blamed.fields, **errors}, blamed.general)
    if errors:
        return Refusal(errors)
    amount, frequency = form.values["amount"].strip(), form.values["frequency"].strip()

    def answer(p: Patient) -> DosePlan | OrderCheck:
        if form.action == "check":
            return check(entry.id, amount, frequency, p, catalog=catalog)
        from ..engine.dosing import dose

        return dose(entry.id, p, catalog=catalog)

    try:
        return answer(patient)
    except FrequencyError as exc:
        return Refusal({"frequency": str(exc)})
    except InputError as exc:
        if form.action == "check" and not isinstance(exc, PatientError):
            return Refusal({"amount": str(exc)})
        return _blame(exc, lambda kw: answer(Patient(**kw)), kwargs)
    except CalcidoseError as exc:
        return _blame(exc, lambda kw: answer(Patient(**kw)), kwargs)


def _drug_groups(catalog: Catalog) -> list[tuple[str, list[tuple[str, str]]]]:
    words = {"drug": "Medicines", "procedure": "Procedures", "diet": "Diet"}
    groups: dict[str, list[tuple[str, str]]] = {}
    for drug in sorted(catalog.drugs.values(), key=lambda d: d.name.lower()):
        groups.setdefault(words.get(drug.kind, drug.kind.title()), []).append((drug.id, drug.name))
    return list(groups.items())


def render_page(
    catalog: Catalog,
    form: FormData | None = None,
    answer: DosePlan | OrderCheck | None = None,
    refusal: Refusal | None = None,
) -> str:
    """The whole page as HTML: the answer (if any) first, then the form with what was typed."""
    form = form or FormData(dict.fromkeys(FIELDS, ""), (), "")
    return _env.get_template("page.html").render(
        labels=FIELDS,
        values=form.values,
        ticked=set(form.conditions),
        errors=refusal.fields if refusal else {},
        general=refusal.general if refusal else "",
        answer=answer_view(answer, catalog) if answer is not None else None,
        drugs=_drug_groups(catalog),
        conditions=sorted(catalog.conditions.values(), key=lambda c: c.name.lower()),
        unknown_conditions=[c for c in form.conditions if c not in catalog.conditions],
        frequencies=[f.text for f in FREQUENCIES],
        labs=[
            (name, [(v, v.capitalize()) for v in LAB_VALUES[lab]])
            for name, lab in LAB_FIELDS.items()
        ],
        tables_version=catalog.tables_version,
        version=__version__,
        answered_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _respond(catalog: Catalog, pairs: list[tuple[str, str]]) -> tuple[str, int]:
    form, too_long = read_form(pairs)
    if too_long:
        return render_page(catalog, form, refusal=Refusal(too_long)), 422
    if not form.submitted:
        return render_page(catalog, form), 200
    try:
        result = compute(form, catalog)
    except Exception:  # never a traceback on the page: logged for the operators
        log.exception("calcidose page: unexpected error while answering")
        return render_page(catalog, form, refusal=Refusal({}, _UNEXPECTED)), 500
    if isinstance(result, Refusal):
        return render_page(catalog, form, refusal=result), 422
    return render_page(catalog, form, answer=result), 200


async def _body_pairs(request: Request) -> list[tuple[str, str]] | None:
    """The urlencoded form fields of a POST, or None when the body is too large."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def make_router(catalog: Callable[[], Catalog] = get_catalog) -> APIRouter:
    """The page's routes (``GET /`` and ``POST /``); ``catalog`` gives the tables to use."""
    router = APIRouter()

    async def answer(pairs: list[tuple[str, str]] | None) -> HTMLResponse:
        try:
            cat = catalog()
            if pairs is None:
                refusal = Refusal(
                    {}, f"The form sent is larger than {MAX_BODY_BYTES:,} bytes; nothing was read."
                )
                html, code = render_page(cat, refusal=refusal), 413
            else:
                html, code = await run_in_threadpool(_respond, cat, pairs)
        except Exception:  # the form itself could not be drawn
            log.exception("calcidose page: unexpected error while drawing the page")
            html, code = _plain_error(), 500
        return HTMLResponse(html, status_code=code, headers=_HEADERS)

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        return await answer(list(request.query_params.multi_items()))

    @router.post("/", response_class=HTMLResponse, include_in_schema=False)
    async def page_post(request: Request) -> HTMLResponse:
        return await answer(await _body_pairs(request))

    return router


def _plain_error() -> str:
    """The page when even the form cannot be drawn: one plain sentence and a way back."""
    try:
        return _env.get_template("plain_error.html").render(message=_UNEXPECTED)
    except Exception:
        return f"<!doctype html><title>calcidose</title><p>{_UNEXPECTED}</p><a href='/'>Back</a>"


#: The page with the shipped tables, as ``calcidose serve`` mounts it.
router: Final = make_router()
