"""``calcidose serve``: the CDS Hooks service (the ``service`` extra, imported when run)."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # typing is not imported at run time: calcidose --help does without it
if TYPE_CHECKING:
    from typing import Any

__all__ = ["cmd_serve", "serve_settings"]


def serve_settings(args: argparse.Namespace) -> Any:
    """The service settings from ``calcidose serve`` options (an InputError when malformed)."""
    from ..errors import InputError
    from ..service.settings import Settings

    trust = {}
    for item in args.trust:
        issuer, sep, url = item.partition("=")
        if not sep or not issuer.strip() or not url.strip().startswith(("https://", "http://")):
            raise InputError(f"--trust {item!r}: write ISSUER=JWKS_URL (an http(s) URL)")
        trust[issuer.strip()] = url.strip()
    return Settings(
        host=args.host,
        port=args.port,
        trust=trust,
        no_auth=args.no_auth,
        cors=tuple(args.cors),
        public_url=args.public_url,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from ..errors import InputError

    try:
        import uvicorn

        from ..service.app import create_app
    except ImportError:
        raise InputError(
            "calcidose serve needs the service extra: pip install 'calcidose[service]'"
        ) from None
    settings = serve_settings(args)
    if settings.no_auth:
        print(
            "calcidose serve: WARNING: --no-auth: hook calls are accepted WITHOUT authentication; "
            "use it only on a trusted machine for testing",
            file=sys.stderr,
        )
    elif not settings.trust:
        print(
            "calcidose serve: no --trust issuer: every hook call will be refused (401)",
            file=sys.stderr,
        )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0
