"""``calcidose dose``, ``check`` and ``options``: the clinical commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .patient_args import patient_from_args

__all__ = ["cmd_check", "cmd_dose", "cmd_options"]


def cmd_dose(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog
    from ..engine.dosing import dose
    from ..render import plan_text, to_json

    catalog = get_catalog()
    plan = dose(args.drug, patient_from_args(args), args.regimen, catalog=catalog)
    if args.format == "json":
        print(to_json(plan.to_dict()))
    else:
        print(plan_text(plan, catalog, brief=args.brief))
    return plan.exit_code


def _split_order(words: Sequence[str]) -> tuple[str, str]:
    """AMOUNT FREQUENCY from the words after the drug: ``90mg tid``, ``"90 mg" "three times
    daily"`` or ``90 mg three times daily``."""
    from ..errors import OrderError

    items = [w for w in words if w.strip()]
    if len(items) >= 3 and items[0].replace(".", "", 1).isdigit():
        amount, rest = f"{items[0]} {items[1]}", items[2:]
    else:
        amount, rest = items[0] if items else "", items[1:]
    if not amount or not rest:
        raise OrderError(
            "an order is DRUG AMOUNT FREQUENCY, e.g. 'calcidose check diltiazem 90mg tid'"
        )
    return amount, " ".join(rest)


def cmd_check(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog
    from ..engine.orders import check
    from ..render import order_text, to_json

    catalog = get_catalog()
    amount, frequency = _split_order(args.order)
    result = check(
        args.drug,
        amount,
        frequency,
        patient_from_args(args),
        args.regimen,
        args.route,
        catalog=catalog,
    )
    if args.format == "json":
        print(to_json(result.to_dict()))
    else:
        print(order_text(result, catalog, brief=args.brief))
    return result.exit_code


def cmd_options(args: argparse.Namespace) -> int:
    from ..catalog import get_catalog
    from ..engine.options import options
    from ..render import to_json
    from ..render.options import options_text

    report = options(patient_from_args(args), args.calcinosis_type, catalog=get_catalog())
    if args.format == "json":
        print(to_json(report.to_dict()))
    else:
        print(options_text(report))
    return 0
