"""The tables' provenance in the audit file (issue 15): the shipped edition and each overlay's
name, version and content hash, in the Parquet key-value metadata and, for CSV (which has no
metadata), in the sidecar ``OUTPUT.provenance.json``."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from batch_rows import orders_batch

import calcidose
from calcidose.batch.run import run_audit

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = tomllib.loads((ROOT / "tables" / "meta.toml").read_text("utf-8"))["tables_version"]

SOURCES = """
[sources.unit-4-formulary]
kind = "policy"
title = "Unit 4 formulary: colchicine"
citation = "Unit 4 drug committee, decision 2026-10."
checked = "The committee's minute: colchicine at most 1.2 mg/day."
"""
VERSION = "unit-4-2026.10"
ROWS = [
    {
        "order_id": "a",
        "drug": "colchicine",
        "dose_value": 0.6,
        "dose_unit": "mg",
        "frequency": "bid",
        "weight_kg": 80.0,
        "age_years": 61.0,
        "sex": "male",
    },
    {
        "order_id": "b",
        "drug": "no-such-drug",
        "dose_value": 1.0,
        "dose_unit": "mg",
        "frequency": "daily",
    },
]


@pytest.fixture
def unit_4(tmp_path: Path, write_overlay: Callable[..., tuple[Path, str]]) -> tuple[Path, str]:
    """The Unit 4 overlay (its source and its version) in ``tmp_path/unit-4``, with its content
    hash worked out by hand (tests/conftest.py)."""
    meta = f'tables_version = "{VERSION}"\n'
    return write_overlay(tmp_path / "unit-4", {"sources.toml": SOURCES, "meta.toml": meta})


def _source(tmp_path: Path) -> Path:
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_batches([orders_batch(*ROWS)]), path)
    return path


def test_parquet_metadata_names_edition_and_overlay(
    tmp_path: Path, unit_4: tuple[Path, str]
) -> None:
    site, sha = unit_4
    catalog = calcidose.load_tables(site, use_env=False)
    out = tmp_path / "audit.parquet"
    run_audit(_source(tmp_path), out, catalog=catalog)
    meta = pq.read_schema(out).metadata
    assert json.loads(meta[b"calcidose.provenance"]) == {
        "edition": SHIPPED,
        "overlays": [{"name": "unit-4", "version": VERSION, "sha256": sha}],
    }
    assert meta[b"calcidose.version"].decode() == calcidose.__version__
    assert pq.read_table(out).num_rows == 2


def test_shipped_tables_alone_name_no_overlay(tmp_path: Path) -> None:
    out = tmp_path / "audit.parquet"
    run_audit(_source(tmp_path), out, catalog=calcidose.load_tables(use_env=False))
    meta = pq.read_schema(out).metadata
    assert json.loads(meta[b"calcidose.provenance"]) == {"edition": SHIPPED, "overlays": []}


def test_csv_output_has_the_provenance_in_a_sidecar(
    tmp_path: Path, unit_4: tuple[Path, str]
) -> None:
    site, sha = unit_4
    catalog = calcidose.load_tables(site, use_env=False)
    out = tmp_path / "audit.csv"
    run_audit(_source(tmp_path), out, catalog=catalog)
    side = json.loads((tmp_path / "audit.csv.provenance.json").read_text("utf-8"))
    assert side["calcidose.provenance"] == {
        "edition": SHIPPED,
        "overlays": [{"name": "unit-4", "version": VERSION, "sha256": sha}],
    }
    assert side["calcidose.version"] == calcidose.__version__
    # the CSV itself stays plain: a header and one line per order, no comment lines
    table = pcsv.read_csv(out)
    assert table.column("order_id").to_pylist() == ["a", "b"]
    assert table.column("verdict").to_pylist()[1] == "invalid"  # unknown drug
