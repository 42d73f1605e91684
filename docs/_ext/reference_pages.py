"""Sphinx extension: the reference pages, written at build time from the package itself.

On ``builder-inited`` the directory ``reference/`` of the docs is emptied and rewritten:

* ``reference/api``: every name of ``calcidose.__all__`` (autodoc of ``calcidose.<name>``, the
  way users import it; a name added to ``__all__`` appears without editing any page, a name
  without a docstring fails the ``-W`` build);
* ``reference/errors``: the tree of :class:`calcidose.CalcidoseError`, walked from the class
  itself, with the builtin exception each one also is;
* ``reference/schemas``: every published JSON Schema shipped in the package
  (``**/*.schema.json``), with its top-level fields, a download link and the full text.
"""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path
from typing import Any

OUT = "reference"
DATA = {
    "__version__": "The installed distribution's version (the ``version`` of pyproject.toml),"
    " ``0+unknown`` in a source tree that was never installed. A str.",
    "ureg": "The one pint unit registry of calcidose (UCUM-style units with calcidose's"
    " whitelist, ``calcidose/units.txt``). Quantities given to calcidose as pint objects must"
    " come from this registry.",
}


class ReferenceError(Exception):
    """A name of ``calcidose.__all__`` that cannot be documented."""


def _kind(name: str, obj: Any) -> str:
    if name in DATA:
        return "data"
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return "exception"
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def api_page() -> str:
    import calcidose

    groups: dict[str, list[str]] = {"function": [], "class": [], "exception": [], "data": []}
    for name in sorted(calcidose.__all__, key=str.lower):
        obj = getattr(calcidose, name)
        kind = _kind(name, obj)
        if kind in ("function", "class", "exception") and not inspect.getdoc(obj):
            raise ReferenceError(f"calcidose.{name} has no docstring")
        groups[kind].append(name)
    md = [
        "# Python API\n",
        "Everything `calcidose.__all__` exports, documented from its docstrings. Import it from"
        " the package (`calcidose.dose`, not the module that defines it): the modules behind it"
        " may move, these names do not. Quantities cross the boundary with units (strings such"
        ' as `"70 kg"` or pint quantities of `calcidose.ureg`); results carry UCUM codes.\n',
        "## Functions\n",
    ]
    for name in groups["function"]:
        md.append(f"```{{eval-rst}}\n.. autofunction:: calcidose.{name}\n```\n")
    md.append("## Classes\n")
    for name in groups["class"]:
        md.append(f"```{{eval-rst}}\n.. autoclass:: calcidose.{name}\n   :members:\n```\n")
    results = _result_classes(calcidose, groups["function"], set(groups["class"]))
    if results:
        md.append("## Result objects\n")
        md.append(
            "What the functions above return, documented where they are defined (not"
            " exported by name: reach them through the calls).\n"
        )
        for path in results:
            md.append(f"```{{eval-rst}}\n.. autoclass:: {path}\n   :members:\n```\n")
    md.append("## Errors\n")
    md.append(
        "Every error is a `calcidose.CalcidoseError`; the tree is on the"
        " [errors page](errors.md).\n"
    )
    for name in groups["exception"]:
        md.append(
            f"```{{eval-rst}}\n.. autoexception:: calcidose.{name}\n   :show-inheritance:\n```\n"
        )
    md.append("## Data\n")
    for name in groups["data"]:
        if name not in DATA:
            raise ReferenceError(
                f"calcidose.{name} is exported but has no description in"
                " docs/_ext/reference_pages.py DATA"
            )
        md.append(f"```{{py:data}} calcidose.{name}\n\n{DATA[name]}\n```\n")
    return "\n".join(md)


def _result_classes(package: Any, functions: list[str], exported: set[str]) -> list[str]:
    """The classes the exported functions return (by their annotations), not exported."""
    import typing

    out: list[str] = []
    for name in functions:
        returned = typing.get_type_hints(getattr(package, name)).get("return")
        if (
            inspect.isclass(returned)
            and returned.__module__.startswith("calcidose.")
            and returned.__name__ not in exported
        ):
            path = f"{returned.__module__}.{returned.__qualname__}"
            if path not in out:
                out.append(path)
    return out


def _tree(cls: type, depth: int, md: list[str]) -> None:
    builtins = [b.__name__ for b in cls.__bases__ if b.__module__ == "builtins"]
    also = f" (also a `{'`, `'.join(builtins)}`)" if builtins else ""
    doc = (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")
    md.append(f"{'  ' * depth}- `{cls.__name__}`{also}: {doc}")
    for sub in sorted(cls.__subclasses__(), key=lambda c: c.__name__):
        if sub.__module__.split(".")[0] == "calcidose":
            _tree(sub, depth + 1, md)


def errors_page() -> str:
    import calcidose

    md = [
        "# Errors\n",
        "calcidose raises only `CalcidoseError` and its subclasses on purpose. Each is also the"
        " builtin exception a caller would expect, so `except ValueError` keeps working. The"
        " command line turns any of them into one line on stderr and exit code 2.\n",
        "This tree is walked from the classes when the site is built:\n",
    ]
    _tree(calcidose.CalcidoseError, 0, md)
    md.append("")
    md.append(
        "A `TableError` carries `problems`, every (file, entry, field, message) found; nothing"
        " is loaded when it is raised.\n"
    )
    return "\n".join(md)


def schema_files() -> list[Path]:
    import calcidose

    package = Path(calcidose.__file__).resolve().parent
    return sorted(package.rglob("*.schema.json"), key=lambda p: p.relative_to(package).as_posix())


def schemas_page(out: Path) -> str:
    import calcidose

    package = Path(calcidose.__file__).resolve().parent
    copies = out / "schemas"
    copies.mkdir()
    md = [
        "# JSON Schemas\n",
        "The schemas calcidose publishes (JSON Schema; each is shipped in the package and used by"
        " the code that writes or reads the documents it describes). Found in the package when"
        " the site is built.\n",
    ]
    for path in schema_files():
        rel = path.relative_to(package).as_posix()
        schema = json.loads(path.read_text(encoding="utf-8"))
        target = copies / rel.replace("/", "--")
        shutil.copyfile(path, target)
        title = schema.get("title") or rel
        md.append(f"## {title}\n")
        md.append(f"- file: `calcidose/{rel}` ({{download}}`download <schemas/{target.name}>`)")
        if "$id" in schema:
            md.append(f"- `$id`: `{schema['$id']}`")
        if "$schema" in schema:
            md.append(f"- dialect: `{schema['$schema']}`")
        md.append("")
        if schema.get("description"):
            md.append(" ".join(str(schema["description"]).split()) + "\n")
        props = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        if props:
            md.append("| field | type | required | description |")
            md.append("|---|---|---|---|")
            for key, spec in props.items():
                kind = spec.get("type") or (
                    "const " + json.dumps(spec["const"])
                    if "const" in spec
                    else spec.get("$ref", "-")
                )
                if isinstance(kind, list):
                    kind = " or ".join(kind)
                desc = " ".join(str(spec.get("description", "")).split()).replace("|", "\\|")
                md.append(f"| `{key}` | {kind} | {'yes' if key in required else 'no'} | {desc} |")
            md.append("")
        md.append(f"```{{literalinclude}} schemas/{target.name}\n:language: json\n```\n")
    return "\n".join(md)


def index_page() -> str:
    return "# Reference\n\n```{toctree}\n:maxdepth: 2\n\napi\nerrors\nschemas\n```\n"


def write_pages(srcdir: Path) -> None:
    out = srcdir / OUT
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    (out / "index.md").write_text(index_page(), encoding="utf-8")
    (out / "api.md").write_text(api_page(), encoding="utf-8")
    (out / "errors.md").write_text(errors_page(), encoding="utf-8")
    (out / "schemas.md").write_text(schemas_page(out), encoding="utf-8")


def _on_builder_inited(app: Any) -> None:
    write_pages(Path(app.srcdir))


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _on_builder_inited)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
