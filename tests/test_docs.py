"""Every ```python block in docs/*.md and README.md runs, in order, in one namespace per file."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_doc_examples_run(path: Path) -> None:
    blocks = BLOCK.findall(path.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": f"docs.{path.stem}"}
    for n, block in enumerate(blocks):
        code = compile(block, f"{path.name}[python block {n + 1}]", "exec")
        exec(code, namespace)


def test_quickstart_has_examples() -> None:
    assert BLOCK.findall((ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8"))


SHELL = re.compile(r"^```(?:sh|bash|console)\n(.*?)^```", re.S | re.M)
EXIT = re.compile(r"#\s*exit (\d)\b")


def _commands(text: str) -> list[tuple[list[str], int]]:
    """Every calcidose command of the shell blocks, with the exit code its comment gives
    (``# exit 1: ...``), 0 when none does."""
    import shlex

    out = []
    for block in SHELL.findall(text):
        for line in block.splitlines():
            code, _, comment = line.partition("#")
            found = EXIT.search("#" + comment) if comment else None
            for part in code.split("&&"):
                words = shlex.split(part)
                if words[:1] and words[0].endswith("calcidose"):
                    argv = words[1:]
                elif words[1:3] == ["-m", "calcidose"]:
                    argv = words[3:]
                else:
                    continue
                out.append((argv, int(found.group(1)) if found else 0))
    return out


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_doc_commands_end_as_documented(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A documented command shows what it says: it ends with exit 0 (ok or caution), unless a
    comment beside it says another code. A CANNOT CHECK (exit 3) nobody mentions is a doc bug."""
    from calcidose.cli import main

    for argv, expected in _commands(path.read_text(encoding="utf-8")):
        code = main(argv)
        out = capsys.readouterr().out
        assert code == expected, f"calcidose {' '.join(argv)} exited {code}:\n{out}"


SERVERS = ("serve",)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_no_shell_block_starts_a_server(path: Path) -> None:
    """Shell blocks are run by the test above: a `calcidose serve` there would never return.
    Commands that start a server are shown in ```text blocks (docs/service.md, docs/page.md)."""
    started = [argv for argv, _ in _commands(path.read_text(encoding="utf-8"))
               if argv[:1] and argv[0] in SERVERS]
    assert not started, f"{path.name}: a sh block starts a server: {started}"
    for block in SHELL.findall(path.read_text(encoding="utf-8")):
        assert "uvicorn" not in block and "http.server" not in block, path.name


def test_docs_have_commands() -> None:
    assert _commands((ROOT / "docs" / "checking.md").read_text(encoding="utf-8"))
    assert _commands((ROOT / "README.md").read_text(encoding="utf-8"))


def test_check_help_example_is_within_range(capsys: pytest.CaptureFixture[str]) -> None:
    """The example of `calcidose check --help` is a clean order (exit 0), not a CANNOT CHECK."""
    import shlex

    from calcidose.cli import build_parser, main

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    description = sub.choices["check"].description or ""
    example = re.search(r"'(calcidose check [^']*)'", description)
    assert example is not None
    assert main(shlex.split(example.group(1))[1:]) == 0
    assert "VERDICT: WITHIN RANGE" in capsys.readouterr().out
