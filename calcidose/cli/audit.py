"""``calcidose audit``: a table of orders checked (the ``batch`` extra, imported when run)."""

from __future__ import annotations

import argparse
import os

__all__ = ["cmd_audit"]


def cmd_audit(args: argparse.Namespace) -> int:
    from ..errors import InputError

    try:
        from ..batch.run import Progress, render_report, run_audit, total_rows
    except ImportError:
        raise InputError(
            "calcidose audit needs the batch extra: pip install 'calcidose[batch]'"
        ) from None
    progress = Progress(None if args.quiet else total_rows(args.input))
    if args.quiet:
        progress.enabled = False
    summary = run_audit(
        args.input,
        args.out,
        progress=progress,
        engine=args.engine,
        scheduler=args.scheduler,
        master=args.master,
    )
    if args.report:
        try:
            with open(args.report, "w", encoding="utf-8") as handle:
                handle.write(render_report(summary, os.path.basename(args.input)))
        except OSError as exc:
            raise InputError(f"{args.report}: cannot be written: {exc.strerror}") from None
    if not args.quiet:
        print(summary.text())
    return 0
