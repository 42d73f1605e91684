"""Fixtures of the page tests: the real server on a free loopback port, and headless Chromium.

The browser is the Debian ``chromium`` package driven by playwright (``executable_path``:
playwright's own browser download is not used). Without a browser binary the browser tests
are skipped with the reason, except under CI (``CI`` set), where ``.ci/run`` installs
Chromium first and a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the page needs the service extra: pip install '.[test]'")

#: Where the Debian package and the usual alternatives put the browser.
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Flags for a root, offline, headless run (no sandbox as root; no calls to the network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must install it: .ci/run does)")
    pytest.skip(reason)


def browser_path() -> str | None:
    """The browser binary: $CALCIDOSE_CHROMIUM, else the first of _BROWSERS on PATH."""
    given = os.environ.get("CALCIDOSE_CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    return next((found for name in _BROWSERS if (found := shutil.which(name))), None)


def page_app() -> Any:
    """The app ``calcidose serve`` runs, with the page at /."""
    from fastapi import FastAPI

    from calcidose.service.page import router

    app = FastAPI()
    app.include_router(router)
    return app


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def app() -> Any:
    """The ASGI app of the page (as ``calcidose serve`` builds it)."""
    return page_app()


@pytest.fixture(scope="session")
def server(app: Any) -> Iterator[str]:
    """The real server (uvicorn) on 127.0.0.1 and a free port; yields its base URL."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the page server did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium under playwright."""
    path = browser_path()
    if path is None:
        _missing(
            f"no browser binary found (looked for $CALCIDOSE_CHROMIUM, {', '.join(_BROWSERS)})"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (it is in the test extra)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh desktop-sized tab on the form."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(server)
    yield tab
    context.close()


@pytest.fixture
def phone(browser: Any, server: str) -> Iterator[Any]:
    """A fresh tab 375 px wide (a phone), on the form."""
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    tab = context.new_page()
    tab.goto(server)
    yield tab
    context.close()


@pytest.fixture
def shoot() -> Any:
    """shoot(tab, name): a full-page screenshot into $CALCIDOSE_SCREENSHOTS, if it is set."""

    def take(tab: Any, name: str) -> None:
        folder = os.environ.get("CALCIDOSE_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take
