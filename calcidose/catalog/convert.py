"""Structuring the tables' TOML into the model (cattrs, strict JSON types, JSONPath-like field
paths in every problem)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..errors import TableProblem

if TYPE_CHECKING:
    pass


T = TypeVar("T")


class _WrongType(TypeError):
    """A value of the wrong JSON type, raised by the structure hooks below; its message (what
    was expected, and what was found) is what the table's author reads."""


def _format_error(exc: BaseException, kind: type | None) -> str:
    """cattrs' wording of a structuring error, except that a hook's own message is kept (cattrs
    would replace it with the bare "invalid value for type, expected float")."""
    import cattrs.v

    if isinstance(exc, _WrongType):
        return str(exc)
    return cattrs.v.format_exception(exc, kind)


def _exact(kind: type, name: str) -> Any:
    """A structure hook that accepts only values already of the right JSON type: cattrs would
    otherwise turn "false" into True, 1.5 into 1 and "2" into 2.0."""

    def hook(value: Any, _: Any) -> Any:
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, kind)
        if not ok:
            raise _WrongType(f"must be {name}, not {type(value).__name__} {value!r}")
        return kind(value)

    return hook


def _string_list(value: Any, _: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _WrongType(f"must be a list of strings, not {type(value).__name__} {value!r}")
    return tuple(value)


@cache
def _converter() -> Any:
    """The cattrs converter of the tables (imported on first use: a catalog read from the
    cache needs none)."""
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(bool, _exact(bool, "true or false"))
    converter.register_structure_hook(int, _exact(int, "a whole number"))
    converter.register_structure_hook(float, _exact(float, "a number"))
    converter.register_structure_hook(str, _exact(str, "text"))
    converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _string_list)
    return converter


def _parse_toml(data: bytes, label: str, problems: list[TableProblem]) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(TableProblem(label, "", "", f"not valid TOML: {exc}"))
    except RecursionError:
        problems.append(TableProblem(label, "", "", "not valid TOML: nested too deeply to read"))
    except UnicodeDecodeError as exc:
        problems.append(TableProblem(label, "", "", f"not UTF-8 text: {exc}"))
    return {}


def _structure(
    data: Any, cls: type[T], label: str, entry: str, problems: list[TableProblem]
) -> T | None:
    import cattrs

    try:
        return cast(T, _converter().structure(data, cls))
    except cattrs.BaseValidationError as exc:
        for message in cattrs.transform_error(exc, path="$", format_exception=_format_error):
            text, _, path = message.rpartition(" @ ")
            problems.append(TableProblem(label, entry, path or "$", text or message))
    except (TypeError, ValueError) as exc:
        problems.append(TableProblem(label, entry, "$", str(exc)))
    return None


def _keyed(
    data: Mapping[str, Any],
    section: str,
    cls: type[T],
    label: str,
    problems: list[TableProblem],
) -> dict[str, T]:
    table = data.get(section, {})
    if not isinstance(table, Mapping):
        problems.append(TableProblem(label, "", section, "must be a table of entries"))
        return {}
    out: dict[str, T] = {}
    for key, value in table.items():
        if not isinstance(value, Mapping):
            problems.append(TableProblem(label, key, "$", "must be a table"))
            continue
        if "id" in value:
            problems.append(TableProblem(label, key, "$.id", "the id is the table key; remove it"))
            continue
        item = _structure({"id": key, **value}, cls, label, key, problems)
        if item is not None:
            out[key] = item
    return out
