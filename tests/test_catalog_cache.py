"""The catalog cache (calcidose.catalog.diskcache): a hit is the catalog a cold load builds, and
nothing it cannot trust is ever used (issue 18).

Every test gets its own cache directory (``CALCIDOSE_CACHE_DIR``). "Ignored" is checked two
ways: the load still gives the catalog a load without any cache gives (``CALCIDOSE_CACHE=off``),
and the untrusted file was replaced by a good one (or, when the directory itself is not to be
trusted, left alone).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from calcidose.catalog import diskcache, load_catalog
from calcidose.catalog.model import Catalog
from calcidose.engine.dosing import dose
from calcidose.engine.orders import check
from calcidose.patient import Patient
from calcidose.render import to_json

OVERLAY_CAP = """
id = "diltiazem"
[[regimens]]
id = "oral-weight-based"
[[regimens.caps]]
kind = "policy"
per = "day"
max = {{ value = {value}, unit = "mg/d" }}
sources = ["calcidose-policy"]
note = "institution cap (cache test)"
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache" / "calcidose"
    monkeypatch.setenv("CALCIDOSE_CACHE_DIR", str(directory))
    monkeypatch.delenv("CALCIDOSE_CACHE", raising=False)
    monkeypatch.delenv("CALCIDOSE_TABLES", raising=False)
    return directory


def cold(*overlays: Path) -> Catalog:
    """The catalog loaded with the cache off: parsed, structured and checked."""
    saved = os.environ.get("CALCIDOSE_CACHE")
    os.environ["CALCIDOSE_CACHE"] = "off"
    try:
        return load_catalog(*overlays, use_env=False)
    finally:
        if saved is None:
            del os.environ["CALCIDOSE_CACHE"]
        else:
            os.environ["CALCIDOSE_CACHE"] = saved


def files(directory: Path) -> list[Path]:
    return sorted(directory.glob("catalog-*.json"))


def written(directory: Path) -> Path:
    """The one cache file, after a first load has written it."""
    load_catalog(use_env=False)
    (path,) = files(directory)
    return path


def test_first_load_writes_a_private_cache_and_the_hit_is_the_same_catalog(
    cache_dir: Path,
) -> None:
    first = load_catalog(use_env=False)
    (path,) = files(cache_dir)
    assert stat.S_IMODE(os.stat(cache_dir).st_mode) & 0o077 == 0  # created 0700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.stat(path).st_uid == os.geteuid()
    key = path.name.removeprefix("catalog-").removesuffix(".json")
    hit = diskcache.load(key)
    assert hit is not None and hit is not first
    assert hit == first == cold()
    assert load_catalog(use_env=False) == first


def test_a_hit_gives_every_dose_and_check_byte_for_byte(cache_dir: Path) -> None:
    reference = cold()
    written(cache_dir)
    key = files(cache_dir)[0].name.removeprefix("catalog-").removesuffix(".json")
    hit = diskcache.load(key)
    assert hit is not None
    people = [
        Patient(weight="154 lb", age="54 years", sex="male"),
        Patient(weight="21 kg", age="7 years", sex="female"),
        Patient(age="70 years", sex="female", conditions=["hemodialysis"]),
    ]
    for drug_id, drug in reference.drugs.items():
        for person in people:
            for regimen in (None, *(r.id for r in drug.regimens)):
                a = dose(drug_id, person, regimen, catalog=reference)
                b = dose(drug_id, person, regimen, catalog=hit)
                assert to_json(b.to_dict()) == to_json(a.to_dict()), (drug_id, regimen)
    order_a = check("diltiazem", "90 mg", "tid", people[0], catalog=reference)
    order_b = check("diltiazem", "90 mg", "tid", people[0], catalog=hit)
    assert to_json(order_b.to_dict()) == to_json(order_a.to_dict())


@pytest.mark.parametrize(
    "argv",
    [
        ["dose", "diltiazem", "--weight", "154lb", "--age", "54y", "--sex", "male"],
        ["dose", "sodium-thiosulfate", "--weight", "80kg", "--age", "60y", "--sex", "female",
         "--format", "json"],
        ["check", "diltiazem", "120 mg", "four-times-daily", "--weight", "70kg", "--age", "50y",
         "--sex", "female"],
    ],
)
def test_the_cli_prints_the_same_bytes_from_the_cache_as_cold(
    cache_dir: Path, argv: list[str]
) -> None:
    command = [sys.executable, "-m", "calcidose.cli", *argv]

    def run(**env: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            command, capture_output=True, timeout=120, env={**os.environ, **env}, check=False
        )

    without = run(CALCIDOSE_CACHE="off")
    assert files(cache_dir) == []  # off means off: nothing written
    writing = run()
    assert len(files(cache_dir)) == 1
    hit = run()
    assert (writing.returncode, writing.stdout, writing.stderr) == (
        without.returncode, without.stdout, without.stderr,
    )
    assert (hit.returncode, hit.stdout, hit.stderr) == (
        without.returncode, without.stdout, without.stderr,
    )
    assert without.stdout  # a real output was compared


def replaced(path: Path, before: bytes) -> bool:
    return path.read_bytes() != before


@pytest.mark.parametrize(
    "damage",
    ["payload", "digest", "key", "truncated", "empty", "not-json"],
)
def test_a_corrupt_or_tampered_cache_is_ignored_and_rebuilt(cache_dir: Path, damage: str) -> None:
    path = written(cache_dir)
    good = path.read_bytes()
    header, digest, payload = good.split(b"\n", 2)
    if damage == "payload":  # a changed maximum: 480 mg/d becomes 980 mg/d
        assert b'"mg/d"' in payload
        bad = header + b"\n" + digest + b"\n" + payload.replace(b"480", b"980", 1)
    elif damage == "digest":
        bad = header + b"\n" + b"0" * 64 + b"\n" + payload
    elif damage == "key":
        other = header[:-1] + (b"0" if header[-1:] != b"0" else b"1")
        bad = other + b"\n" + digest + b"\n" + payload
    elif damage == "truncated":
        bad = good[: len(good) // 2]
    elif damage == "empty":
        bad = b""
    else:
        bad = b"{not json"
    path.write_bytes(bad)
    key = path.name.removeprefix("catalog-").removesuffix(".json")
    assert diskcache.load(key) is None
    assert load_catalog(use_env=False) == cold()
    assert path.read_bytes() == good  # rebuilt: the same catalog written again


def test_a_payload_naming_anything_but_a_model_class_is_refused(cache_dir: Path) -> None:
    # a well-formed file (right header, right digest) whose payload names a class that is not
    # one of the catalog's: refused, nothing built from it
    path = written(cache_dir)
    header = path.read_bytes().split(b"\n", 1)[0]
    import hashlib

    for payload in (
        json.dumps(["c", "Popen", "ls"]).encode(),
        json.dumps(["c", "TQuantity", 1.0]).encode(),  # a model class, one field short
        json.dumps({"meta": 1}).encode(),  # a JSON object: never written by the cache
        json.dumps(["c", "TQuantity", 1.0, "mg"]).encode(),  # valid, but not a Catalog
    ):
        digest = hashlib.sha256(payload).hexdigest().encode()
        path.write_bytes(header + b"\n" + digest + b"\n" + payload)
        key = path.name.removeprefix("catalog-").removesuffix(".json")
        assert diskcache.load(key) is None
    assert load_catalog(use_env=False) == cold()


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_a_group_or_world_writable_cache_file_is_ignored(cache_dir: Path, mode: int) -> None:
    path = written(cache_dir)
    good = path.read_bytes()
    key = path.name.removeprefix("catalog-").removesuffix(".json")
    os.chmod(path, mode)
    assert diskcache.load(key) is None
    assert load_catalog(use_env=False) == cold()
    # replaced by a file of the right mode
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes() == good


def test_a_cache_file_owned_by_someone_else_is_ignored(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = written(cache_dir)
    key = path.name.removeprefix("catalog-").removesuffix(".json")
    assert diskcache.load(key) is not None
    # the same file seen by another user: it is not theirs (nor is the directory)
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(path).st_uid + 1)
    assert diskcache.load(key) is None
    assert load_catalog(use_env=False) == cold()


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_a_cache_file_chowned_to_another_user_is_ignored(cache_dir: Path) -> None:
    path = written(cache_dir)
    key = path.name.removeprefix("catalog-").removesuffix(".json")
    os.chown(path, 12345, 12345)
    assert diskcache.load(key) is None
    assert load_catalog(use_env=False) == cold()
    assert os.stat(path).st_uid == 0  # replaced by our own


def test_a_cache_directory_writable_by_others_is_not_used(cache_dir: Path) -> None:
    path = written(cache_dir)
    key = path.name.removeprefix("catalog-").removesuffix(".json")
    os.chmod(cache_dir, 0o777)
    try:
        assert diskcache.load(key) is None
        path.unlink()
        assert load_catalog(use_env=False) == cold()
        assert files(cache_dir) == []  # nothing written into it either
    finally:
        os.chmod(cache_dir, 0o700)


def test_a_symbolic_link_in_place_of_the_cache_file_is_not_followed(cache_dir: Path) -> None:
    path = written(cache_dir)
    key = path.name.removeprefix("catalog-").removesuffix(".json")
    target = cache_dir / "elsewhere.json"
    path.rename(target)
    path.symlink_to(target)
    assert diskcache.load(key) is None
    assert load_catalog(use_env=False) == cold()
    assert not path.is_symlink()


def caps(catalog: Catalog) -> list[float]:
    regimen = catalog.drugs["diltiazem"].regimen("oral-weight-based")
    assert regimen is not None
    return [cap.max.value for cap in regimen.caps if cap.kind == "policy"]


def test_an_edited_overlay_is_a_new_key(cache_dir: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    (overlay / "drugs").mkdir(parents=True)
    drug = overlay / "drugs" / "diltiazem.toml"
    drug.write_text(OVERLAY_CAP.format(value=360), encoding="utf-8")
    assert caps(load_catalog(overlay, use_env=False)) == [360]  # the value written above
    assert caps(load_catalog(overlay, use_env=False)) == [360]  # from the cache
    drug.write_text(OVERLAY_CAP.format(value=300), encoding="utf-8")
    assert caps(load_catalog(overlay, use_env=False)) == [300]  # the edit, not the cache
    assert len(files(cache_dir)) == 2
    # a file added to the overlay changes the key too (here: one the layout refuses)
    (overlay / "notes.txt").write_text("stray\n", encoding="utf-8")
    from calcidose.errors import TableError

    with pytest.raises(TableError, match="unexpected file in tables"):
        load_catalog(overlay, use_env=False)


def test_tables_with_a_problem_are_never_cached(cache_dir: Path, tmp_path: Path) -> None:
    from calcidose.errors import TableError

    overlay = tmp_path / "overlay"
    (overlay / "drugs").mkdir(parents=True)
    (overlay / "drugs" / "diltiazem.toml").write_text(
        OVERLAY_CAP.format(value='"360"'), encoding="utf-8"
    )
    for _ in range(2):  # the second load checks everything again
        with pytest.raises(TableError):
            load_catalog(overlay, use_env=False)
    assert files(cache_dir) == []


def test_the_cache_can_be_turned_off(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for word in ("off", "0", "no", "FALSE"):
        monkeypatch.setenv("CALCIDOSE_CACHE", word)
        assert diskcache.cache_dir() is None
        load_catalog(use_env=False)
        assert not cache_dir.exists()


def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CALCIDOSE_CACHE", raising=False)
    monkeypatch.setenv("CALCIDOSE_CACHE_DIR", str(tmp_path / "mine"))
    assert diskcache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("CALCIDOSE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert diskcache.cache_dir() == tmp_path / "xdg" / "calcidose"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the XDG spec: ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert diskcache.cache_dir() == tmp_path / "home" / ".cache" / "calcidose"


def test_an_unwritable_cache_directory_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n", encoding="utf-8")
    monkeypatch.setenv("CALCIDOSE_CACHE_DIR", str(blocker / "calcidose"))
    monkeypatch.delenv("CALCIDOSE_CACHE", raising=False)
    assert load_catalog(use_env=False) == cold()


def test_at_most_keep_files_are_kept(cache_dir: Path, tmp_path: Path) -> None:
    for value in range(diskcache.KEEP + 3):
        overlay = tmp_path / f"overlay-{value}"
        (overlay / "drugs").mkdir(parents=True)
        (overlay / "drugs" / "diltiazem.toml").write_text(
            OVERLAY_CAP.format(value=300 + value), encoding="utf-8"
        )
        load_catalog(overlay, use_env=False)
    assert len(files(cache_dir)) == diskcache.KEEP


def test_an_overlay_catalog_from_the_cache_names_the_same_tables(
    cache_dir: Path, tmp_path: Path
) -> None:
    """The provenance every answer carries (issue 12 §3) survives the cache: the overlay's
    name and content hash read from the cache are those of a cold load, and the hash is the
    sha256 of the overlay's files, not of the cache."""
    overlay = tmp_path / "site-overlay"
    (overlay / "drugs").mkdir(parents=True)
    (overlay / "drugs" / "diltiazem.toml").write_text(
        OVERLAY_CAP.format(value=360), encoding="utf-8"
    )
    first = load_catalog(overlay, use_env=False).provenance()
    assert len(files(cache_dir)) == 1  # written by the cold load
    again = load_catalog(overlay, use_env=False).provenance()  # read from the cache
    assert again == first
    assert [o["name"] for o in again["overlays"]] == ["site-overlay"]
