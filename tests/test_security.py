"""A hostile workbook cannot expand XML entities: openpyxl parses with defusedxml, which
evalkit depends on, and the read stops with a plain structural error."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from evalkit.config import load_scheme
from evalkit.errors import StructuralError
from evalkit.read import read_export

BOMB = (
    '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)


def test_openpyxl_uses_defusedxml():
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML


def test_a_workbook_declaring_entities_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["Respondent", "Fylke"])
    wb.active.append([1, "&c;"])
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    hostile = tmp_path / "2022.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(buffer, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", BOMB.encode() + b"<worksheet", 1)
            dst.writestr(item, data)
    hostile.write_bytes(buffer.getvalue())
    with pytest.raises(StructuralError) as err:
        read_export(hostile, load_scheme("frisklivs_lms"))
    assert "2022.xlsx" in str(err.value)
    cause = err.value.__cause__
    chain = []
    while cause is not None:
        chain.append(type(cause).__name__)
        cause = cause.__cause__ or cause.__context__
    assert "EntitiesForbidden" in chain
