"""``calcidose completion bash|zsh``: a shell completion script, with the catalog's ids."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .parser import build_parser

__all__ = ["cmd_completion"]


def _words_action(words: Sequence[str], name: str) -> dict[str, str]:
    """A shtab completion spec offering ``words`` (bash: a compgen function; zsh: a list)."""
    return {"bash": f"_calcidose_{name}", "zsh": f"({' '.join(words)})"}


def cmd_completion(args: argparse.Namespace) -> int:
    """Print the completion script; drug ids and condition ids complete from the catalog."""
    from ..catalog import get_catalog
    from ..errors import CalcidoseError

    try:
        import shtab
    except ImportError:  # pragma: no cover - shtab is a dependency; a broken install says so
        raise CalcidoseError(
            "shell completion needs the shtab package: pip install shtab"
        ) from None
    catalog = get_catalog()
    drugs, conditions = sorted(catalog.drugs), sorted(catalog.conditions)
    parser = build_parser()
    for action in _all_actions(parser):
        if action.dest == "drug":
            action.complete = _words_action(drugs, "drugs")  # type: ignore[attr-defined]
        elif action.dest == "condition":
            action.complete = _words_action(conditions, "conditions")  # type: ignore[attr-defined]
        elif action.dest == "patient":
            action.complete = shtab.FILE  # type: ignore[attr-defined]
    preamble = "\n".join(
        f'_calcidose_{name}() {{ compgen -W "{" ".join(words)}" -- "$1"; }}'
        for name, words in (("drugs", drugs), ("conditions", conditions))
    )
    script = shtab.complete(
        parser, shell=args.shell, preamble=preamble if args.shell == "bash" else ""
    )
    sys.stdout.write(script if script.endswith("\n") else script + "\n")
    return 0


def _all_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every action of the parser and of its subcommands, depth first."""
    found: list[argparse.Action] = []
    for action in parser._actions:
        found.append(action)
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found.extend(_all_actions(child))
    return found
