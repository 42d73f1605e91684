"""``calcidose audit``: files in, audit file out, summary, report, progress, refusals.

Expected verdicts come from direct ``calcidose.check()`` calls with the patient built from unit
strings; counts are counted by hand from the rows written here.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from batch_rows import orders_batch

import calcidose
from calcidose.batch.run import Progress
from calcidose.cli import main

ADULT = {"weight_kg": 70.0, "age_years": 54.0, "sex": "male"}
ROWS: list[dict[str, Any]] = [
    {"order_id": "1", "drug": "diltiazem", "dose_value": 90.0, "dose_unit": "mg",
     "frequency": "tid", **ADULT},
    {"order_id": "2", "drug": "diltiazem", "dose_value": 900.0, "dose_unit": "mg",
     "frequency": "tid", **ADULT},
    {"order_id": "3", "drug": None, "dose_value": 1.0, "dose_unit": "mg", "frequency": "tid"},
    {"order_id": "4", "drug": "colchicine", "dose_value": 0.6, "dose_unit": "mg",
     "frequency": "bid", **ADULT, "medications": ["clarithromycin"]},
]


def _direct(drug: str, amount: str, frequency: str, **patient: Any) -> str:
    return calcidose.check(drug, amount, frequency, calcidose.Patient(**patient)).verdict


ADULT_TEXT = {"weight": "70 kg", "age": "54 y", "sex": "male"}
EXPECTED = [
    _direct("diltiazem", "90 mg", "tid", **ADULT_TEXT),
    _direct("diltiazem", "900 mg", "tid", **ADULT_TEXT),
    "invalid",  # no drug: a required column is null
    _direct("colchicine", "0.6 mg", "bid", **ADULT_TEXT, medications=["clarithromycin"]),
]


@pytest.fixture
def orders_parquet(tmp_path: Path) -> Path:
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_batches([orders_batch(*ROWS)]), path)
    return path


def test_parquet_in_parquet_out_with_provenance(
    orders_parquet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "audit.parquet"
    assert main(["audit", str(orders_parquet), "-o", str(out)]) == 0
    table = pq.read_table(out)
    assert table.column("order_id").to_pylist() == ["1", "2", "3", "4"]
    assert table.column("verdict").to_pylist() == EXPECTED
    assert table.column("error").to_pylist()[2] == "drug is missing (the column is required)"
    meta = table.schema.metadata
    catalog = calcidose.get_catalog()
    assert meta[b"calcidose.tables_version"].decode() == catalog.tables_version
    printed = capsys.readouterr().out
    # 4 rows: diltiazem x2, colchicine x1, (none) x1; the total line counts 1 invalid
    assert "4 rows audited" in printed
    total = next(line for line in printed.splitlines() if line.startswith("total"))
    assert total.split()[-1] == "1"


def test_csv_in_with_joined_lists_and_csv_out(tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    header = ("order_id,drug,dose_value,dose_unit,frequency,weight_kg,age_years,sex,height_cm,"
              "crcl_ml_min,pregnant,conditions,medications\n")
    source.write_text(
        header
        + "1,diltiazem,90,mg,tid,70,54,male,,,,,\n"
        + "4,colchicine,0.6,mg,bid,70,54,male,,,false,,clarithromycin; simvastatin\n",
        encoding="utf-8",
    )
    out = tmp_path / "audit.csv"
    assert main(["audit", str(source), "-o", str(out), "--quiet"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3  # header + one row per input row
    want = _direct("colchicine", "0.6 mg", "bid", **ADULT_TEXT, pregnant=False,
                   medications=["clarithromycin", "simvastatin"])
    assert f'"4","{want}"' in lines[2]
    assert f'"1","{EXPECTED[0]}"' in lines[1]


def test_a_missing_column_is_refused_naming_file_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_batches([orders_batch(*ROWS)]).drop_columns(["dose_unit"]),
                   source)
    out = tmp_path / "audit.parquet"
    assert main(["audit", str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.parquet" in err and "dose_unit" in err
    assert not out.exists()  # refused before any work


def test_a_wrongly_typed_column_and_an_unreadable_file_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pa.Table.from_batches([orders_batch(*ROWS)])
    index = table.schema.get_field_index("pregnant")
    table = table.set_column(index, "pregnant", pa.array(["yes"] * 4))
    typed = tmp_path / "typed.parquet"
    pq.write_table(table, typed)
    assert main(["audit", str(typed), "-o", str(tmp_path / "a.parquet")]) == 2
    assert "pregnant" in capsys.readouterr().err
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet at all")
    assert main(["audit", str(junk), "-o", str(tmp_path / "b.parquet")]) == 2
    assert "junk.parquet" in capsys.readouterr().err


def test_without_the_batch_extra_one_line_and_exit_2(orders_parquet: Path, tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pyarrow'] = None; sys.modules['polars'] = None\n"
        "from calcidose.cli import main\n"
        f"sys.exit(main(['audit', {str(orders_parquet)!r}, '-o', {str(tmp_path / 'x.parquet')!r}]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "calcidose: error: calcidose audit needs the batch extra: pip install 'calcidose[batch]'"
    )


def test_report_with_and_without_jinja(
    orders_parquet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "r.html"
    assert main(["audit", str(orders_parquet), "-o", str(tmp_path / "a.parquet"),
                 "--report", str(report), "--quiet"]) == 0
    page = report.read_text(encoding="utf-8")
    # diltiazem: 2 orders; the totals row ends with the 4 rows
    assert "<svg" in page and "<td>diltiazem</td>" in page and "<td>4</td></tr>" in page
    monkeypatch.setitem(sys.modules, "jinja2", None)
    plain = tmp_path / "p.html"
    assert main(["audit", str(orders_parquet), "-o", str(tmp_path / "b.parquet"),
                 "--report", str(plain), "--quiet"]) == 0
    text = plain.read_text(encoding="utf-8")
    assert "<svg" in text and "<td>diltiazem</td>" in text and "<td>4</td></tr>" in text


def test_a_drug_name_is_escaped_in_the_report(tmp_path: Path) -> None:
    rows = [{"order_id": "1", "drug": "<b>x</b>", "dose_value": 1.0, "dose_unit": "mg",
             "frequency": "daily"}]
    source = tmp_path / "o.parquet"
    pq.write_table(pa.Table.from_batches([orders_batch(*rows)]), source)
    report = tmp_path / "r.html"
    assert main(["audit", str(source), "-o", str(tmp_path / "a.parquet"),
                 "--report", str(report), "--quiet"]) == 0
    page = report.read_text(encoding="utf-8")
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_tty() -> None:
    tty = _Tty()
    bar = Progress(200, tty)
    bar.update(50)
    bar.update(50)
    bar.close()
    # 100 of 200 rows: half the 30-character bar filled
    assert "#" * 15 + "-" * 15 in tty.getvalue() and "100/200 rows" in tty.getvalue()
    plain = io.StringIO()
    quiet = Progress(200, plain)
    quiet.update(10)
    quiet.close()
    assert plain.getvalue() == ""
