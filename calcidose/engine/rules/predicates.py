"""A rule's ``when`` tree compiled into one predicate (Kleene three-valued logic)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ...catalog.model import Rule
from .context import Context, Predicate, Truth
from .leaves import (
    _BOUND_KEYS,
    ORDER_LEAVES,
    _age_days,
    _bmi_above,
    _canonical,
    _childbearing_leaf,
    _compare,
    _condition,
    _const,
    _height,
    _lab_leaf,
    _order_leaf,
    _renal_band,
    _reproductive_leaf,
    _sex_leaf,
    _taking,
    _taking_class,
    _true,
    _weight,
)


class _Flags:
    __slots__ = ("crcl", "order")

    def __init__(self) -> None:
        self.crcl = False
        self.order = False


#: A leaf's builder: (its key, its value in the table, the flags to set) -> the predicate.
_Builder = Callable[[str, Any, "_Flags"], Predicate]


def _always(key: str, value: Any, flags: _Flags) -> Predicate:
    return _true


def _condition_of(key: str, value: Any, flags: _Flags) -> Predicate:
    flags.crcl = True  # may be a renal condition (known only with the catalog)
    return _condition(str(value))


def _taking_of(key: str, value: Any, flags: _Flags) -> Predicate:
    return _taking(str(value))


def _taking_class_of(key: str, value: Any, flags: _Flags) -> Predicate:
    return _taking_class(str(value))


def _age_of(key: str, value: Any, flags: _Flags) -> Predicate:
    return _compare(key == "age_below", _canonical(value), _age_days, _const("age"))


def _weight_of(key: str, value: Any, flags: _Flags) -> Predicate:
    return _compare(key == "weight_below", _canonical(value), _weight, _const("weight"))


def _height_of(key: str, value: Any, flags: _Flags) -> Predicate:
    return _compare(False, _canonical(value), _height, _const("height"))


def _bmi_of(key: str, value: Any, flags: _Flags) -> Predicate:
    return _bmi_above(_canonical(value))


def _crcl_of(key: str, value: Any, flags: _Flags) -> Predicate:
    flags.crcl = True
    return _renal_band({_BOUND_KEYS[key]: _canonical(value)})


def _egfr_of(key: str, value: Any, flags: _Flags) -> Predicate:
    flags.crcl = True
    return _renal_band({"below": _canonical(value)}, egfr=True)


def _renal_of(key: str, value: Any, flags: _Flags) -> Predicate:
    flags.crcl = True
    return _renal_band({_BOUND_KEYS[k]: _canonical(q) for k, q in value.items()})


def _order_of(key: str, value: Any, flags: _Flags) -> Predicate:
    flags.order = True
    return _order_leaf(key, _canonical(value))


def _reproductive_of(key: str, value: Any, flags: _Flags) -> Predicate:
    return _reproductive_leaf(key)


def _childbearing_of(key: str, value: Any, flags: _Flags) -> Predicate:
    return _childbearing_leaf


def _sex_of(key: str, value: Any, flags: _Flags) -> Predicate:
    return _sex_leaf(str(value))


#: Every leaf key a table may write (tables/README.md) -> its builder.
_LEAVES: Final[dict[str, _Builder]] = {
    "always": _always,
    "condition": _condition_of,
    "taking": _taking_of,
    "taking_class": _taking_class_of,
    "age_below": _age_of,
    "age_at_least": _age_of,
    "weight_below": _weight_of,
    "weight_at_least": _weight_of,
    "height_at_least": _height_of,
    "bmi_above": _bmi_of,
    "crcl_below": _crcl_of,
    "crcl_at_least": _crcl_of,
    "egfr_below": _egfr_of,
    "renal": _renal_of,
    **dict.fromkeys(sorted(ORDER_LEAVES), _order_of),
    "pregnant": _reproductive_of,
    "lactating": _reproductive_of,
    "childbearing_potential": _childbearing_of,
    "sex": _sex_of,
}


def _leaf(key: str, value: Any, flags: _Flags) -> Predicate:
    build = _LEAVES.get(key)
    if build is None:
        raise ValueError(f"unknown predicate {key!r}")  # validated tables never get here
    return build(key, value, flags)


def _all_of(parts: tuple[Predicate, ...]) -> Predicate:
    def all_of(ctx: Context) -> Truth:
        result: Truth = True
        for part in parts:
            value = part(ctx)
            if value is False:
                return False
            if value is None:
                result = None
        return result

    return all_of


def _any_of(parts: tuple[Predicate, ...]) -> Predicate:
    def any_of(ctx: Context) -> Truth:
        result: Truth = False
        for part in parts:
            value = part(ctx)
            if value is True:
                return True
            if value is None:
                result = None
        return result

    return any_of


def _negation(inner: Predicate) -> Predicate:
    def negation(ctx: Context) -> Truth:
        mark = len(ctx.matched)
        value = inner(ctx)
        del ctx.matched[mark:]  # what a negated leaf matched did not trigger the rule
        return None if value is None else not value

    return negation


def _compile(node: Mapping[str, Any], flags: _Flags) -> Predicate:
    if "all" in node:
        return _all_of(tuple(_compile(part, flags) for part in node["all"]))
    if "any" in node:
        return _any_of(tuple(_compile(part, flags) for part in node["any"]))
    if "not" in node:
        return _negation(_compile(node["not"], flags))
    if "lab" in node:
        return _lab_leaf(str(node["lab"]), node["equals"])
    if len(node) != 1:
        raise ValueError(f"a predicate leaf has one key, got {sorted(node)}")
    ((key, value),) = node.items()
    return _leaf(key, value, flags)


def compile_predicate(node: Mapping[str, Any]) -> Predicate:
    """A predicate tree compiled into one callable: ``compile_predicate(when)(ctx)``."""
    return _compile(node, _Flags())


def evaluate_predicate(node: Mapping[str, Any], ctx: Context) -> Truth:
    """Kleene three-valued evaluation of a predicate tree (True, False or None for unknown).

    Compiles the tree on every call; :func:`evaluate` compiles each rule once.
    """
    return compile_predicate(node)(ctx)


def rule_uses_order(rule: Rule) -> bool:
    """True when the rule's predicate reads the order (it is skipped without an order)."""
    flags = _Flags()
    _compile(rule.when, flags)
    return flags.order
