"""Reading the orders table and writing the audit table, streaming, batch by batch.

* Input: Parquet (``.parquet``, ``.pq``) or CSV (``.csv``), chosen by extension. Parquet is read
  one row group batch at a time; CSV is read as a stream with the orders columns' types given
  (text columns as text, numbers as float64, ``pregnant`` as a boolean, ``conditions`` and
  ``medications`` as one cell joined with ``;``). An empty CSV cell is null (unknown). A file
  that cannot be read, a missing or unknown column or a column of the wrong type (in CSV, a cell
  that is not a number in a number column) is refused with an InputError naming the file and
  the column, before any row is audited.
* Output: Parquet or CSV by extension; in CSV ``finding_codes`` is one cell joined with ``;``.
  Written batch by batch as the audit goes (``pyarrow.parquet.ParquetWriter`` or
  ``pyarrow.csv.CSVWriter``), never gathered in memory.
* Provenance: the Parquet file's key-value metadata holds ``calcidose.version``,
  ``calcidose.tables_version``, ``calcidose.tables`` (the layers in force) and
  ``calcidose.provenance``: JSON ``{"edition": ..., "overlays": [{"name", "version",
  "sha256"}, ...]}``, the same object every check() result names as its ``tables``. A CSV has
  no metadata and no comment lines (a CSV reader would take them for rows): the same keys are
  written beside it, in the sidecar ``OUTPUT.provenance.json`` (``audit.csv`` ->
  ``audit.csv.provenance.json``), ``calcidose.provenance`` as a JSON object there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from .schema import AUDIT_SCHEMA, ORDER_COLUMNS, conform

__all__ = [
    "BATCH_ROWS",
    "PROVENANCE_KEY",
    "AuditWriter",
    "count_rows",
    "provenance",
    "read_orders",
    "sidecar_path",
]

#: The metadata key of the tables' provenance (edition and overlays, JSON).
PROVENANCE_KEY: Final = "calcidose.provenance"

#: Rows per batch read from a CSV file (Parquet keeps its row groups' batches up to this).
BATCH_ROWS: Final = 262_144

_PARQUET: Final = (".parquet", ".pq")
_CSV: Final = (".csv",)
_LISTS: Final = ("conditions", "medications")


def _kind(path: str | os.PathLike[str], what: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in _PARQUET:
        return "parquet"
    if suffix in _CSV:
        return "csv"
    given = suffix or "no extension"
    raise InputError(f"{path}: the {what} must be .parquet or .csv, not {given!r}")


def count_rows(path: str | os.PathLike[str]) -> int | None:
    """The number of rows of a Parquet file (from its footer), None for CSV (not known ahead)."""
    if _kind(path, "input") != "parquet":
        return None
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot be read as Parquet: {_one_line(exc)}") from None


def read_orders(path: str | os.PathLike[str]) -> Iterator[pa.RecordBatch]:
    """The orders batches of the file, each conformed to the orders schema (the first is
    checked before any is given, so a bad file is refused before any work)."""
    kind = _kind(path, "input")
    where = str(path)
    if not Path(path).is_file():
        raise InputError(f"{where}: cannot be read (no such file)")
    batches = _parquet(path) if kind == "parquet" else _csv(path)
    try:
        for batch in batches:
            yield conform(_split_lists(batch) if kind == "csv" else batch, where)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{where}: cannot be read: {_one_line(exc)}") from None


def _parquet(path: str | os.PathLike[str]) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot be read as Parquet: {_one_line(exc)}") from None
    conform(pa.RecordBatch.from_pylist([], schema=file.schema_arrow), str(path))
    if file.metadata.num_rows == 0:
        yield pa.RecordBatch.from_pylist([], schema=file.schema_arrow)
        return
    yield from file.iter_batches(batch_size=BATCH_ROWS)


def _csv_types() -> dict[str, pa.DataType]:
    types: dict[str, pa.DataType] = {}
    for column in ORDER_COLUMNS:
        types[column.name] = pa.string() if column.name in _LISTS else column.type
    return types


def _csv(path: str | os.PathLike[str]) -> Iterator[pa.RecordBatch]:
    import pyarrow.csv as pcsv

    convert = pcsv.ConvertOptions(
        column_types=_csv_types(),
        strings_can_be_null=True,
        true_values=["true", "True", "TRUE", "1"],
        false_values=["false", "False", "FALSE", "0"],
    )
    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=1 << 24),
            convert_options=convert,
        )
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot be read as CSV: {_one_line(exc)}") from None
    # the header is checked against the orders columns before the first row is converted
    conform(pa.RecordBatch.from_pylist([], schema=_csv_schema(reader.schema)), str(path))
    produced = False
    for batch in reader:
        produced = True
        yield batch
    if not produced:
        yield pa.RecordBatch.from_pylist([], schema=reader.schema)


def _csv_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema(
        [pa.field(f.name, pa.list_(pa.string())) if f.name in _LISTS else f for f in schema]
    )


def _split_lists(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``a;b`` cells -> lists ``["a", "b"]`` (each id stripped of surrounding spaces)."""
    arrays = []
    for name, array in zip(batch.schema.names, batch.columns, strict=True):
        if name in _LISTS and not pa.types.is_list(array.type):
            text = pc.cast(array, pa.string())
            parts = pc.split_pattern(text, ";")
            flat = pc.utf8_trim_whitespace(parts.flatten())
            array = pa.ListArray.from_arrays(parts.offsets, flat, mask=pc.is_null(parts))
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def provenance(catalog: Any) -> dict[str, str]:
    """The tables' provenance written into the output file's metadata."""
    import json

    from .. import __version__

    return {
        "calcidose.version": __version__,
        "calcidose.tables_version": catalog.tables_version,
        "calcidose.tables": ";".join(catalog.origin),
        PROVENANCE_KEY: json.dumps(catalog.provenance(), sort_keys=True),
    }


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Where the provenance of a CSV audit is written: ``OUTPUT.provenance.json``."""
    target = Path(path)
    return target.with_name(target.name + ".provenance.json")


def _write_sidecar(path: str | os.PathLike[str], metadata: dict[str, str]) -> None:
    import json

    content: dict[str, Any] = dict(metadata)
    if PROVENANCE_KEY in content:
        content[PROVENANCE_KEY] = json.loads(content[PROVENANCE_KEY])
    side = sidecar_path(path)
    try:
        side.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", "utf-8")
    except OSError as exc:
        raise InputError(f"{side}: cannot be written: {_one_line(exc)}") from None


class AuditWriter:
    """Writes audit batches to Parquet or CSV (by extension), streaming."""

    def __init__(self, path: str | os.PathLike[str], metadata: dict[str, str]) -> None:
        self.path = path
        self.kind = _kind(path, "output")
        schema = AUDIT_SCHEMA.with_metadata({**(AUDIT_SCHEMA.metadata or {}), **metadata})
        try:
            if self.kind == "parquet":
                import pyarrow.parquet as pq

                self._writer: Any = pq.ParquetWriter(path, schema)
            else:
                import pyarrow.csv as pcsv

                self._writer = pcsv.CSVWriter(path, _csv_audit_schema())
                _write_sidecar(path, metadata)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"{path}: cannot be written: {_one_line(exc)}") from None
        self._schema = schema

    def write(self, batch: pa.RecordBatch) -> None:
        if self.kind == "parquet":
            self._writer.write_batch(batch.cast(self._schema))
        else:
            codes = batch.column("finding_codes")
            joined = pc.binary_join(codes, ";")
            index = batch.schema.get_field_index("finding_codes")
            out = batch.set_column(index, pa.field("finding_codes", pa.string()), joined)
            self._writer.write_batch(out.cast(_csv_audit_schema()))

    def close(self) -> None:
        self._writer.close()


def _csv_audit_schema() -> pa.Schema:
    return pa.schema(
        [pa.field(f.name, pa.string()) if f.name == "finding_codes" else f for f in AUDIT_SCHEMA]
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
