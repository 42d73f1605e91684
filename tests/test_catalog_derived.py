"""What a catalog derives stays with it; a catalog travels as its tables' paths and hashes.

The engine's compiled rules and regimens and the name lookups live on the catalog
(``Catalog.derived``): two catalogs never share them, threads sharing one catalog get the
answers one thread gets, and a pickled catalog is loaded again from its directories on the
other side (a worker process), refused there when the tables' content hash differs.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import pytest
import strategies as S

import calcidose
from calcidose.catalog import default_tables, load_catalog, load_ref
from calcidose.catalog.model import Catalog, TablesRef
from calcidose.catalog.tablefiles import content_hash
from calcidose.engine import dosing, rules
from calcidose.errors import TableError

PEOPLE: dict[str, dict[str, Any]] = {
    "man-100kg": {"weight": "100 kg", "age": "50 years", "sex": "male"},
    "woman-60kg": {"weight": "60 kg", "age": "40 years", "sex": "female", "pregnant": False},
    "child-20kg": {"weight": "20 kg", "height": "115 cm", "age": "6 years", "sex": "female"},
}


def outputs(catalog: Catalog) -> dict[str, str]:
    """The JSON of ``dose`` for every drug and regimen and every person (errors as text)."""
    out: dict[str, str] = {}
    for drug in sorted(catalog.drugs.values(), key=lambda d: d.id):
        for regimen in (None, *(r.id for r in drug.regimens)):
            for who, fields in PEOPLE.items():
                patient = calcidose.Patient(**fields)
                key = f"{drug.id} {regimen} {who}"
                try:
                    plan = calcidose.dose(drug.id, patient, regimen, catalog=catalog)
                except calcidose.CalcidoseError as exc:
                    out[key] = f"{type(exc).__name__}: {exc}"
                else:
                    out[key] = json.dumps(plan.to_dict(), sort_keys=True)
    return out


def shipped_files(root: Path) -> dict[str, bytes]:
    """The files the loader reads from a tables directory, listed by hand: README.md, the
    vocabulary files at the top and every drug file."""
    files = {"README.md": (root / "README.md").read_bytes()}
    for path in [*root.glob("*.toml"), *(root / "drugs").glob("*.toml")]:
        files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def test_a_loaded_catalog_names_its_tables_and_their_content_hash(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lower_cap: str,
    lower_cap_overlay: Callable[[Path], Path],
) -> None:
    shipped = Path(str(default_tables()))
    site = lower_cap_overlay(tmp_path / "site")
    monkeypatch.chdir(tmp_path)
    catalog = load_catalog("site", use_env=False)  # a relative path: kept absolute in the ref
    assert catalog.ref == TablesRef(
        (str(shipped), str(site)),
        (
            content_hash(shipped_files(shipped)),
            content_hash({"drugs/diltiazem.toml": lower_cap.encode()}),
        ),
    )
    assert catalog.origin == ("tables", "site")  # the names in messages stay as given


def test_a_catalog_changed_or_built_in_memory_has_no_tables_to_name() -> None:
    catalog = load_catalog(use_env=False)
    changed = attrs.evolve(catalog, drugs={})
    assert catalog.ref is not None and changed.ref is None
    assert S.reference_catalog().ref is None


def test_two_catalogs_never_share_what_they_derive() -> None:
    first, second = load_catalog(use_env=False), load_catalog(use_env=False)
    for build in (rules._Compiled, rules._Views, dosing._Regimens):
        assert first.derived(build) is first.derived(build)  # built once per catalog
        assert first.derived(build) is not second.derived(build)


@pytest.mark.skipif(
    bool(os.environ.get("MUTANT_UNDER_TEST")),
    reason="under mutmut the second process would run mutmut's trampolines without its "
    "configuration; this test is about pickling a catalog, not the mutated modules",
)
def test_a_pickled_catalog_is_loaded_again_in_another_process_with_the_same_outputs(
    tmp_path: Path, lower_cap_overlay: Callable[[Path], Path]
) -> None:
    catalog = load_catalog(lower_cap_overlay(tmp_path / "site"), use_env=False)
    sent = tmp_path / "catalog.pickle"
    sent.write_bytes(pickle.dumps(catalog))
    script = (
        "import json, pickle, sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from test_catalog_derived import outputs\n"
        "catalog = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "print(json.dumps({'ref': catalog.ref, 'outputs': outputs(catalog)}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CALCIDOSE_TABLES"}
    # the other process imports the calcidose this one runs (under mutation testing that is
    # the mutated copy first on sys.path, not the installed package)
    import calcidose

    here_package = str(Path(calcidose.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [here_package, env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", script, str(sent), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    there = json.loads(done.stdout)
    assert tuple(map(tuple, there["ref"])) == catalog.ref
    here = outputs(catalog)
    assert there["outputs"] == here
    # the overlay came along: 2-4 mg/kg/day x 100 kg = 200-400 mg/day, capped at its 360
    plan = json.loads(there["outputs"]["diltiazem oral-weight-based man-100kg"])
    low, high = plan["dose"]["low"], plan["dose"]["high"]
    assert (low["value"], high["value"], high["unit"], plan["dose"]["capped"]) == (
        200,
        360,
        "mg/d",
        True,
    )


def test_a_reference_is_loaded_once_per_process_and_refused_when_the_tables_changed(
    tmp_path: Path, lower_cap: str, lower_cap_overlay: Callable[[Path], Path]
) -> None:
    catalog = load_catalog(lower_cap_overlay(tmp_path / "site"), use_env=False)
    assert catalog.ref is not None
    again = load_ref(catalog.ref)
    assert again is not catalog and load_ref(catalog.ref) is again
    assert outputs(again) == outputs(catalog)
    other = lower_cap_overlay(tmp_path / "other")
    sent = load_catalog(other, use_env=False).ref
    assert sent is not None
    changed = lower_cap.replace("360", "300")  # the tables changed after the catalog was sent
    (other / "drugs" / "diltiazem.toml").write_text(changed, encoding="utf-8")
    with pytest.raises(TableError) as info:
        load_ref(sent)
    (problem,) = info.value.problems
    now = content_hash({"drugs/diltiazem.toml": changed.encode()})
    assert problem.file == str(other)
    assert problem.message == f"its tables have content hash {now}, not {sent.hashes[1]} as sent"


def test_a_catalog_built_in_memory_is_pickled_by_value_without_what_it_derived() -> None:
    catalog = S.reference_catalog()
    before = outputs(catalog)
    copy = pickle.loads(pickle.dumps(catalog))
    assert copy is not catalog and copy.ref is None
    assert copy.derived(rules._Compiled) is not catalog.derived(rules._Compiled)
    assert outputs(copy) == before


def test_threads_sharing_a_fresh_catalog_give_what_one_thread_gives() -> None:
    alone = outputs(load_catalog(use_env=False))
    shared = load_catalog(use_env=False)  # nothing compiled yet: the threads race to compile
    start = threading.Barrier(6)

    def run(_: int) -> dict[str, Any]:
        start.wait()
        return outputs(shared)

    with ThreadPoolExecutor(6) as pool:
        seen = list(pool.map(run, range(6)))
    assert all(found == alone for found in seen)
