"""Hostile exports that are small on disk and huge once read: each is refused, by a cap that
names itself, before a reader expands it (issue 16).

Each bomb is built here with zipfile or pyarrow, and read in a child process whose address
space is capped (``RLIMIT_AS``), so that a regression fails the test rather than eating the
machine. The expected numbers are worked out by hand from what each bomb is built of.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import olefile
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FRISKLIV, frisklivs_header, frisklivs_row, write_export

from evalkit import bounds, paths
from evalkit.bounds import Limits, check_bounds
from evalkit.errors import EvalkitError, StructuralError
from evalkit.read import read_export
from evalkit.runner.index import _index_rows

#: The address space of the child process reading a bomb: what evalkit and its libraries take
#: once imported (about 550 MB) and room for a real export, far below what a bomb takes.
ADDRESS_SPACE = 1 << 30
#: The most processor seconds a refusal may take, past the imports: a guard against a bomb
#: expanded after all (they took minutes on main), not a speed goal (those live in
#: benchmarks/); processor time, not wall time, so a busy machine does not fail it.
SECONDS = 30.0

#: A child process whose address space is capped before it imports evalkit's reader, once;
#: then it reads each bomb it is sent (one JSON line: the path and the ``EVALKIT_MAX_*``
#: variables) in a process forked for it, under the same cap: each read starts from the same
#: state as in a process of its own, without paying the imports again (a second of processor
#: time each).
#: It answers with one JSON line: the forked process's exit status, its stdout (the processor
#: seconds of the read, then the message) and its stderr.
_READER = textwrap.dedent(
    """
    import json, os, resource, sys, time, traceback
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from evalkit.config import load_scheme
    from evalkit.errors import StructuralError
    from evalkit.read import read_export

    scheme = load_scheme("frisklivs_lms")


    def read(path, env):
        for name in [n for n in os.environ if n.startswith("EVALKIT_MAX_")]:
            del os.environ[name]
        os.environ.update(env)
        start = time.process_time()
        try:
            raw = read_export(path, scheme)
        except StructuralError as err:
            return f"{{time.process_time() - start:.3f}}\\n{{err.message}}"
        return f"{{time.process_time() - start:.3f}}\\nread {{raw.n_rows}} rows"


    for line in sys.stdin:
        request = json.loads(line)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(out_r)
            os.close(err_r)
            code = 0
            try:
                text = read(request["path"], request["env"])
            except BaseException:
                text, code = "", 1
                os.write(err_w, traceback.format_exc().encode())
            data = text.encode()
            while data:
                data = data[os.write(out_w, data):]
            os._exit(code)
        os.close(out_w)
        os.close(err_w)
        with os.fdopen(out_r, "rb") as out, os.fdopen(err_r, "rb") as err:
            stdout, stderr = out.read(), err.read()
        _, status = os.waitpid(pid, 0)
        answer = {{
            "status": os.waitstatus_to_exitcode(status),
            "stdout": stdout.decode(),
            "stderr": stderr.decode(),
        }}
        print(json.dumps(answer), flush=True)
    """
)


class _Reader:
    """The reading child process of :data:`_READER`, started at the first read of this test
    process, and again if it has died."""

    proc: subprocess.Popen | None = None

    @classmethod
    def read(cls, path: Path, env: dict[str, str]) -> dict:
        if cls.proc is None or cls.proc.poll() is not None:
            environ = {k: v for k, v in os.environ.items() if not k.startswith("EVALKIT_MAX_")}
            cls.proc = subprocess.Popen(
                [sys.executable, "-c", _READER.format(limit=ADDRESS_SPACE)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=environ,
            )
            atexit.register(cls.proc.kill)
        assert cls.proc.stdin is not None and cls.proc.stdout is not None
        cls.proc.stdin.write(json.dumps({"path": str(path), "env": env}) + "\n")
        cls.proc.stdin.flush()
        ready, _, _ = select.select([cls.proc.stdout], [], [], 300)
        if not ready:
            cls.proc.kill()
            pytest.fail(f"no answer in 300 s reading {path}")
        line = cls.proc.stdout.readline()
        assert line, f"the reading process ended with exit code {cls.proc.wait()}"
        return json.loads(line)


def read_capped(path: Path, **env: str) -> tuple[float, str]:
    """Read ``path`` in a child process with a capped address space: (seconds, message)."""
    answer = _Reader.read(path, env)
    assert answer["status"] == 0, answer["stderr"][-3000:]
    seconds, message = answer["stdout"].split("\n", 1)
    return float(seconds), message.strip()


def assert_refused(path: Path, cap: str, *found: str, **env: str) -> str:
    seconds, message = read_capped(path, **env)
    assert message.startswith(f"File {path}:"), message
    assert bounds.ENV[cap] in message and "To fix:" in message, message
    for text in found:
        assert text in message, message
    assert seconds < SECONDS, (seconds, message)
    return message


# --- building the bombs ----------------------------------------------------------------------

_MAIN_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _inline(text: str) -> bytes:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _header_row() -> bytes:
    return b'<row r="1">' + b"".join(_inline(h) for h in frisklivs_header()) + b"</row>"


def _data_row(r: int | None = None) -> bytes:
    values = frisklivs_row()
    cells = b"".join(_inline(str(values[h])) for h in frisklivs_header())
    return (f'<row r="{r}">' if r else "<row>").encode() + cells + b"</row>"


def _sheet(*rows: bytes, dimension: str | None = None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet '
        + _MAIN_NS
        + b">"
        + dim
        + b"<sheetData>"
        + b"".join(rows)
        + b"</sheetData></worksheet>"
    )


def workbook(path: Path, parts: dict[str, object]) -> Path:
    """A real workbook (the two-row fixture, as pandas writes it) with some parts replaced:
    each by bytes, or by (head, chunk, times, tail) streamed into the archive so that a part
    of gigabytes never sits in memory."""
    base = write_export(path.with_name("base.xlsx"), [frisklivs_row(), frisklivs_row()])
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename not in parts:
                dst.writestr(item, _declare(item.filename, src.read(item.filename), parts))
        for name, part in parts.items():
            if isinstance(part, bytes):
                dst.writestr(name, part)
                continue
            head, chunk, times, tail = part
            with dst.open(name, "w", force_zip64=True) as out:
                out.write(head)
                for _ in range(times):
                    out.write(chunk)
                out.write(tail)
    base.unlink()
    return path


_STRINGS = "xl/sharedStrings.xml"


def _declare(name: str, data: bytes, parts: dict[str, object]) -> bytes:
    """The package's content types and the workbook's relationships, naming a shared-strings
    part when one is added (pandas writes its cells inline, without one)."""
    if _STRINGS not in parts:
        return data
    if name == "[Content_Types].xml":
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
        override = f'<Override PartName="/{_STRINGS}" ContentType="{kind}"/>'
        return data.replace(b"</Types>", override.encode() + b"</Types>")
    if name == "xl/_rels/workbook.xml.rels":
        kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
        rel = f'<Relationship Id="rIdStrings" Type="{kind}" Target="sharedStrings.xml"/>'
        return data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
    return data


def huge_sheet(path: Path, rows: int) -> Path:
    """The export's header, then ``rows`` copies of one data row (no row numbers)."""
    head, tail = _sheet(_header_row(), b"\0").split(b"\0")
    block = _data_row() * 100
    return workbook(path, {"xl/worksheets/sheet1.xml": (head, block, rows // 100, tail)})


def shared_strings(path: Path, count: int, item: bytes = b"<si><t>a</t></si>") -> Path:
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst '
        + _MAIN_NS
        + b' count="1" uniqueCount="1">'
    )
    block = item * 1000
    return workbook(path, {"xl/sharedStrings.xml": (head, block, count // 1000, b"</sst>")})


# --- the bombs -------------------------------------------------------------------------------


def test_a_real_export_is_read_under_the_same_address_space(tmp_path):
    path = write_export(tmp_path / "2022.xlsx", [frisklivs_row(), frisklivs_row()])
    seconds, message = read_capped(path)
    assert message == "read 2 rows"


def test_a_sheet_that_unpacks_past_the_cap_is_refused_by_the_archives_sizes(tmp_path):
    # one data row is 27 inline cells; 180 000 of them come to more than 200 MB unpacked
    row = len(_data_row())
    assert row * 180_000 > 200_000_000
    path = huge_sheet(tmp_path / "2022.xlsx", 180_000)
    assert path.stat().st_size < 3_000_000
    head, tail = _sheet(_header_row(), b"\0").split(b"\0")
    mb = -(-(len(head) + row * 180_000 + len(tail)) // 1_000_000)  # whole MB, rounded up
    assert_refused(
        path, "unpacked_mb", "cap of 200 MB", f"'xl/worksheets/sheet1.xml' alone is {mb} MB"
    )


def test_rows_past_the_cap_are_refused_while_streaming(tmp_path):
    # 210 000 rows of one short cell under a header of one: under 200 MB unpacked and
    # 10 000 000 cells, over 200 000 rows
    head, tail = _sheet(b'<row r="1">' + _inline("Respondent-ID") + b"</row>", b"\0").split(b"\0")
    row = b"<row>" + _inline("1") + b"</row>"
    assert len(row) * 210_000 < 200_000_000
    path = workbook(
        tmp_path / "2022.xlsx", {"xl/worksheets/sheet1.xml": (head, row, 210_000, tail)}
    )
    assert_refused(path, "rows", "Sheet 'Sheet1' uses 200 001 rows", "cap of 200 000")


def test_one_row_numbered_1048576_is_refused(tmp_path):
    # the readers fill the rows between 2 and 1 048 576 with empty rows
    sheet = _sheet(_header_row(), _data_row(1_048_576))
    path = workbook(tmp_path / "2022.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    assert_refused(path, "rows", "Sheet 'Sheet1' uses 1 048 576 rows")


def test_a_cell_in_the_last_column_is_refused(tmp_path):
    # row 700, column XFD (16 384): the readers widen every row to it, 700 x 16 384 =
    # 11 468 800 cells, over 10 000 000
    cell = b'<c r="XFD700" t="inlineStr"><is><t>x</t></is></c>'
    sheet = _sheet(_header_row(), _data_row(2), b'<row r="700">' + cell + b"</row>")
    path = workbook(tmp_path / "2022.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    assert_refused(path, "cells", "700 rows by 16 384 columns (11 468 800 cells)")


def test_a_used_range_of_the_whole_sheet_is_refused(tmp_path):
    # openpyxl's read-only sheet walks the range a <dimension> gives
    sheet = _sheet(_header_row(), _data_row(2), dimension="A1:XFD1048576")
    path = workbook(tmp_path / "2022.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    assert_refused(path, "rows", "'A1:XFD1048576'", "1 048 576 rows")


def test_a_part_read_whole_past_a_tenth_of_the_cap_is_refused(tmp_path):
    # styles of 400 000 cell formats, 60 bytes each: 24 MB that openpyxl parses whole
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    assert len(xf) * 400_000 > 20_000_000
    head = b"<styleSheet " + _MAIN_NS + b'><cellXfs count="400000">'
    path = workbook(
        tmp_path / "2022.xlsx",
        {"xl/styles.xml": (head, xf * 1_000, 400, b"</cellXfs></styleSheet>")},
    )
    assert_refused(path, "unpacked_mb", "'xl/styles.xml' unpacks to 25 MB", "the tenth of the cap")


def test_twenty_million_shared_strings_are_refused(tmp_path):
    # 20 000 000 x 17 bytes = 340 MB unpacked, under a megabyte on disk
    path = shared_strings(tmp_path / "2022.xlsx", 20_000_000)
    assert path.stat().st_size < 2_000_000
    with zipfile.ZipFile(path) as z:
        part = z.getinfo("xl/sharedStrings.xml").file_size
    assert 340_000_000 < part < 340_001_000  # the head and tail of <sst> are a few bytes
    assert_refused(path, "unpacked_mb", "'xl/sharedStrings.xml' alone is 341 MB")


def test_shared_strings_past_their_cap_are_counted_not_trusted(tmp_path):
    # 1 001 000 empty strings (13 MB) while the count attribute says 1
    path = shared_strings(tmp_path / "2022.xlsx", 1_001_000, b"<si><t/></si>")
    assert_refused(path, "shared_strings", "more than 1 000 000 distinct texts")


def test_a_cell_longer_than_excel_allows_is_refused(tmp_path):
    sheet = _sheet(_header_row(), b'<row r="2">' + _inline("x" * 40_000) + b"</row>")
    path = workbook(tmp_path / "2022.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    assert_refused(path, "cell_chars", "Sheet 'Sheet1' cell A2 holds more than 32 767 characters")


def test_a_long_text_repeated_by_many_cells_is_refused(tmp_path):
    # one shared string of 30 000 characters, pointed at by 8 000 cells: 240 MB once written out
    strings = (
        b'<?xml version="1.0"?><sst ' + _MAIN_NS + b"><si><t>" + b"y" * 30_000 + b"</t></si></sst>"
    )
    head, tail = _sheet(_header_row(), b"\0").split(b"\0")
    row = b'<row><c t="s"><v>0</v></c></row>'
    path = workbook(
        tmp_path / "2022.xlsx",
        {"xl/sharedStrings.xml": strings, "xl/worksheets/sheet1.xml": (head, row, 8_000, tail)},
    )
    assert_refused(path, "unpacked_mb", "more than 200 MB of text once written out")


def _parquet(path: Path, value: str, rows: int, per_group: int = 1_000_000) -> Path:
    """One column of ``rows`` copies of ``value``: dictionary- and run-length encoded, small."""
    column = pa.DictionaryArray.from_arrays(
        pa.array([0] * min(rows, per_group), pa.int32()), pa.array([value])
    )
    table = pa.table({"Respondent": column})
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        left = rows
        while left:
            n = min(left, per_group)
            writer.write_table(table.slice(0, n))
            left -= n
    return path


def test_thirty_million_parquet_rows_are_refused_by_the_metadata(tmp_path):
    path = _parquet(tmp_path / "2022.parquet", "1001", 30_000_000)
    assert path.stat().st_size < 2_000_000
    assert_refused(path, "rows", "30 000 000 rows")


def test_a_parquet_text_repeated_past_the_cap_is_refused(tmp_path):
    # 199 000 rows of one 2 000-character text: 398 MB once written out, kilobytes on disk
    path = _parquet(tmp_path / "2022.parquet", "z" * 2_000, 199_000, per_group=100_000)
    assert path.stat().st_size < 1_000_000
    assert_refused(path, "unpacked_mb", "more than 200 MB once written out")


def test_a_parquet_value_longer_than_excel_allows_is_refused(tmp_path):
    path = _parquet(tmp_path / "2022.parquet", "w" * 40_000, 3)
    assert_refused(path, "cell_chars", "Column 'Respondent' holds a value of 40 000 characters")


def test_a_csv_of_too_many_rows_is_refused(tmp_path):
    path = tmp_path / "2022.csv"
    path.write_bytes(b"Respondent\n" + b"1\n" * 200_001)
    assert_refused(path, "rows", "more than 200 000 rows")


# --- raising a cap ---------------------------------------------------------------------------


def test_a_cap_raised_by_its_variable_lets_the_file_through(tmp_path):
    # data on rows 2 and 300: the reader reads rows 2 to 300, that is 299 rows
    sheet = _sheet(_header_row(), _data_row(2), _data_row(300))
    path = workbook(tmp_path / "2022.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    message = assert_refused(path, "rows", "uses 300 rows", EVALKIT_MAX_ROWS="299")
    assert "EVALKIT_MAX_ROWS=300 " in message  # the value that lets it through
    assert read_capped(path, EVALKIT_MAX_ROWS="300")[1] == "read 299 rows"


def test_limits_from_the_environment():
    assert Limits.from_env({}) == Limits()
    assert Limits.from_env({"EVALKIT_MAX_ROWS": "2_000_000"}).rows == 2_000_000
    assert Limits.from_env({"EVALKIT_MAX_UNPACKED_MB": " 500 "}).unpacked_mb == 500
    for bad in ("0", "-1", "lots", "1e6", "２０"):
        with pytest.raises(EvalkitError, match="EVALKIT_MAX_CELLS"):
            Limits.from_env({"EVALKIT_MAX_CELLS": bad})


def test_the_caps_pass_every_fixture_export(tmp_path):
    rows = [frisklivs_row(respondent_id=str(1000 + i)) for i in range(300)]
    for name in ("2022.xlsx", "2022.csv", "2022.parquet"):
        check_bounds(write_export(tmp_path / name, rows), Limits())


# --- OLE2 files: a workbook with a password, an old .xls --------------------------------------


def _encrypted(path: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_export(path.with_name("plain.xlsx"), [frisklivs_row()])
    with plain.open("rb") as src, path.open("wb") as out:
        OOXMLFile(src).encrypt("hemmelig", out)
    return path


def test_a_password_protected_workbook_is_named_as_such(tmp_path):
    path = _encrypted(tmp_path / "2022.xlsx")
    assert path.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    with pytest.raises(StructuralError) as err:
        read_export(path, FRISKLIV)
    message = str(err.value)
    assert "password-protected" in message and "save it without a password" in message
    assert "BadZipFile" not in message


def test_an_ole_file_without_an_encrypted_package_is_an_old_xls(tmp_path):
    # the same compound document with its stream renamed (same length: the directory holds)
    data = _encrypted(tmp_path / "x.xlsx").read_bytes()
    name = "EncryptedPackage".encode("utf-16-le")
    assert name in data
    path = tmp_path / "2022.xlsx"
    path.write_bytes(data.replace(name, "XncryptedPackage".encode("utf-16-le")))
    with olefile.OleFileIO(str(path)) as ole:  # still a compound document, without the stream
        assert ["XncryptedPackage"] in ole.listdir() and not ole.exists("EncryptedPackage")
    with pytest.raises(StructuralError) as err:
        read_export(path, FRISKLIV)
    message = str(err.value)
    assert "old Excel file (.xls" in message and "Excel-arbeidsbok (.xlsx)" in message
    assert "password" not in message


def test_the_cli_names_a_password_protected_workbook_with_exit_code_2(tmp_path, capsys):
    from evalkit import cli

    path = _encrypted(tmp_path / "2022.xlsx")
    code = cli.main(["validate", str(path), "--scheme", "frisklivs_lms", "--year", "2022"])
    assert code == 2
    assert "password-protected" in capsys.readouterr().err


def test_a_workbook_named_csv_is_named_as_such(tmp_path):
    path = write_export(tmp_path / "2022.xlsx", [frisklivs_row()])
    renamed = path.rename(tmp_path / "2022.csv")
    with pytest.raises(StructuralError, match="rename it to 2022.xlsx"):
        read_export(renamed, FRISKLIV)


# --- years in ASCII digits only ---------------------------------------------------------------


def test_a_file_named_in_fullwidth_digits_is_no_year(tmp_path, caplog):
    folder = tmp_path / "frisklivs_lms"
    write_export(folder / "２０２２.xlsx", [frisklivs_row()])
    write_export(folder / "2023.csv", [frisklivs_row()])
    assert paths.year_files(tmp_path, "frisklivs_lms") == {2023: folder / "2023.csv"}
    assert "rename it to 2022.xlsx" in caplog.text
    assert paths.year_of_name("٢٠٢٢") is None and paths.year_of_name("2022") == 2022


def test_an_output_folder_in_fullwidth_digits_is_no_year_in_the_index(tmp_path):
    (tmp_path / "2023").mkdir()
    (tmp_path / "２０２４").mkdir()
    (tmp_path / "_failed" / "２０２５").mkdir(parents=True)
    assert [row["year"] for row in _index_rows(tmp_path)] == [2023]


@pytest.mark.parametrize("text", ["２０２２", "2022-２０２４", "٢٠٢٢"])
def test_years_given_in_other_digits_are_refused_by_the_cli(text):
    import argparse

    from evalkit import cli

    with pytest.raises(argparse.ArgumentTypeError):
        cli._years(text)
    with pytest.raises(argparse.ArgumentTypeError):
        cli._year(text)
    assert cli._year(" 2022 ") == 2022


def test_a_notebook_parameter_in_other_digits_is_no_int():
    import ast

    from evalkit.runner import params

    node = ast.parse("int", mode="eval").body
    assert params._convert(" 2022 ", node, True) == 2022
    with pytest.raises(params._Mismatch):
        params._convert("２０２２", node, True)


def test_digits_of_another_script_in_a_shown_cell_are_no_number():
    from evalkit.formats import read_shown

    assert read_shown("12") is not None and read_shown("12").value == 12
    assert read_shown("１２") is None  # fullwidth: text in tables.xlsx, as the document shows it
    assert read_shown("２０２３") is None


def test_a_cell_whose_reference_names_the_last_row_is_refused(tmp_path):
    # the cell stands in row 3, its reference names row 1 048 576: calamine puts it there and
    # sets room aside for every row above it (it aborted under this address space)
    cell = b'<c r="AD1048576" t="n"><v>1</v></c>'
    sheet = _sheet(_header_row(), _data_row(2), b'<row r="3">' + cell + b"</row>")
    path = workbook(tmp_path / "2022.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    assert_refused(path, "rows", "Sheet 'Sheet1' uses 1 048 576 rows")
