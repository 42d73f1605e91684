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
import subprocess
import sys
import time
import urllib.request
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
    """The app ``calcidose serve`` runs (``create_app``), with its default settings: hook calls
    need a JWT of a trusted issuer (none here, so every hook call is refused); the page at /
    needs none."""
    from calcidose.service.app import create_app
    from calcidose.service.settings import Settings

    return create_app(Settings())


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
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real ``calcidose serve`` (uvicorn) on 127.0.0.1 and a free port, with its default
    authentication on; yields the base URL of the page."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    command = [
        sys.executable,
        "-m",
        "calcidose.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until ``url`` answers (at most 30 s), or fail with what the server printed."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"calcidose serve exited {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"calcidose serve did not answer within 30 s:\n{log.read_text()}")


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
