"""The synthetic demo data (``evalkit demo``): deterministic, equal to the committed files, and
raw facts read back with pandas/openpyxl directly (no evalkit cleaning): row counts, headers,
fictitious personal data, the «Om dataene» sheet, CSV encodings, ids, planted cells. The
parsers are then checked to recover the in-memory truth, with exactly the planted cells flagged."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from functools import cache
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from conftest import per_row

from evalkit import demo, parse
from evalkit.config import load_scheme

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "data" / "demo"
SCHEMES = ROOT / "evalkit" / "schemes"
FILES = [(s, y, k) for s, years in demo.DEMO_FILES.items() for y, k in years.items()]
XLSX = [f for f in FILES if f[2] == "xlsx"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    demo.generate(out)
    return out


def layout(scheme: str) -> dict:
    config = yaml.safe_load((SCHEMES / f"{scheme}.yaml").read_text(encoding="utf-8"))
    return next(iter(config["layouts"].values()))


@cache
def read_raw(scheme: str, year: int, kind: str) -> pd.DataFrame:
    """The first sheet or the CSV as written, every cell as text (blank = NA)."""
    path = COMMITTED / scheme / f"{year}.{kind}"
    if kind == "xlsx":
        frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
        return frame.astype("string")
    sep, encoding = (";", "cp1252") if year == 2019 else (",", "utf-8-sig")
    return pd.read_csv(
        path, sep=sep, encoding=encoding, dtype="string", keep_default_na=False, na_values=[""]
    )


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- determinism ----------------------------------------------------------------------------
def test_generate_twice_gives_the_same_bytes_as_the_committed_data(generated, tmp_path):
    written = demo.generate(tmp_path / "again")
    first, second = files_under(generated), files_under(tmp_path / "again")
    assert sorted(first) == sorted(p.relative_to(tmp_path / "again").as_posix() for p in written)
    assert first == second
    committed = files_under(COMMITTED)
    assert sorted(committed) == sorted(first), "data/demo differs from what `evalkit demo` writes"
    changed = [name for name in first if committed[name] != first[name]]
    assert not changed, f"rerun `evalkit demo`: {changed} differ from the generated files"


@pytest.mark.parametrize(("scheme", "year", "kind"), XLSX)
def test_workbooks_carry_no_time_of_writing(scheme, year, kind):
    with zipfile.ZipFile(COMMITTED / scheme / f"{year}.{kind}") as z:
        infos = z.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        assert {i.date_time for i in infos} == {(2024, 6, 11, 12, 0, 0)}
    props = openpyxl.load_workbook(COMMITTED / scheme / f"{year}.{kind}", read_only=True).properties
    assert props.created == props.modified


def test_folder_is_marked_synthetic():
    assert (COMMITTED / "SYNTHETIC.txt").exists()
    readme = (COMMITTED / "README.md").read_text(encoding="utf-8")
    assert "syntetiske" in readme and "synthetic" in readme and "evalkit demo" in readme


# --- raw facts ------------------------------------------------------------------------------
def test_published_row_counts():
    assert len(read_raw("frisklivs_lms", 2022, "xlsx")) == 109
    assert len(read_raw("frisklivs_lms", 2023, "xlsx")) == 126
    assert len(read_raw("samhandling", 2012, "xlsx")) == 380


@pytest.mark.parametrize("year", [2019, 2020, 2021, 2024])
def test_synthetic_years_have_80_to_140_reports(year):
    raw = read_raw("frisklivs_lms", year, demo.DEMO_FILES["frisklivs_lms"][year])
    answered = raw.drop(columns="Respondent").notna().any(axis=1)
    assert 80 <= int(answered.sum()) <= 140
    assert int((~answered).sum()) == (1 if year == 2021 else 0)  # the one empty Questback response


@pytest.mark.parametrize(("scheme", "year", "kind"), FILES)
def test_headers_are_the_reference_layout_with_personal_data(scheme, year, kind):
    lay = layout(scheme)
    columns = list(read_raw(scheme, year, kind).columns)
    assert len(columns) == len(set(columns))
    assert set(columns) == set(lay["headers"]) | set(lay["personal_data"])


@pytest.mark.parametrize(("scheme", "year", "kind"), FILES)
def test_personal_data_is_obviously_fictitious(scheme, year, kind):
    raw = read_raw(scheme, year, kind)
    patterns = {
        "Kontaktperson": r"Fiktiv Person \d+",
        "E-post": r"fiktiv\d+@eksempel\.invalid",
        "Telefon": r"000 00 \d{3}",
        "Saksbehandler": r"Fiktiv Saksbehandler \d+",
    }
    for column in layout(scheme)["personal_data"]:
        values = raw[column].dropna()
        assert len(values) >= len(raw) - 1, column
        assert values.str.fullmatch(patterns[column]).all(), column


@pytest.mark.parametrize(("scheme", "year", "kind"), XLSX)
def test_workbooks_say_the_data_are_synthetic(scheme, year, kind):
    wb = openpyxl.load_workbook(COMMITTED / scheme / f"{year}.{kind}", read_only=True)
    assert wb.sheetnames[1] == "Om dataene" and len(wb.sheetnames) == 2
    text = " ".join(
        str(c) for row in wb["Om dataene"].iter_rows(values_only=True) for c in row if c
    )
    assert "syntetisk" in text.lower() and "evalkit demo" in text and "publiserte totalene" in text


def test_2019_is_windows_1252_with_semicolons():
    data = (COMMITTED / "frisklivs_lms" / "2019.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("cp1252")
    assert any(ch in text for ch in "æøåÆØÅ")
    assert b"\xf8" in data  # «ø» as one Windows-1252 byte
    header = next(csv.reader(io.StringIO(text), delimiter=";"))
    assert set(header) == set(layout("frisklivs_lms")["headers"]) | {
        "Kontaktperson",
        "E-post",
        "Telefon",
    }
    assert "\r\n" in text  # as Excel writes it


def test_2020_is_utf8_with_bom_and_commas():
    data = (COMMITTED / "frisklivs_lms" / "2020.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text), delimiter=","))
    assert set(header) == set(layout("frisklivs_lms")["headers"]) | {
        "Kontaktperson",
        "E-post",
        "Telefon",
    }


@pytest.mark.parametrize(("scheme", "year", "kind"), FILES)
def test_ids_are_unique_and_one_project_name_needs_escaping(scheme, year, kind):
    raw = read_raw(scheme, year, kind)
    ids = raw["Respondent" if scheme == "frisklivs_lms" else "Saksnr"]
    assert ids.notna().all() and ids.is_unique
    names = raw["Prosjektnavn" if scheme == "frisklivs_lms" else "Prosjekt"].dropna()
    assert names.str.contains("&").any() and names.str.contains("<").any()


@pytest.mark.parametrize(
    "p", demo.PLANTED_PROBLEMS, ids=lambda p: f"{p.scheme}-{p.year}-row{p.row}"
)
def test_planted_cells_are_in_the_files(p):
    raw = read_raw(p.scheme, p.year, demo.DEMO_FILES[p.scheme][p.year])
    row = raw.iloc[p.row - 2]
    if p.problem == "empty_response":
        assert row.drop("Respondent").isna().all() and pd.notna(row["Respondent"])
    else:
        assert str(row[p.column]).strip() == p.value


# --- the parsers recover the truth, and flag exactly the planted cells --------------------
@pytest.mark.parametrize(("scheme", "year", "kind"), FILES)
def test_parsers_recover_the_truth(scheme, year, kind):
    sch = load_scheme(scheme)
    headers = layout(scheme)["headers"]
    raw = read_raw(scheme, year, kind).rename(columns=headers)
    raw.insert(0, "_row", range(2, len(raw) + 2))
    truth = demo.truth(scheme, year)
    raw = raw[raw["_row"].isin(truth["_row"])].reset_index(drop=True)
    planted = {
        (p.row, p.field) for p in demo.PLANTED_PROBLEMS if p.scheme == scheme and p.year == year
    }
    flagged: set[tuple[int, str]] = set()
    for name, spec in sch.fields.items():
        if name not in truth:
            continue
        values, bad = raw[name], None
        if spec.type == "yesno":
            got, bad = per_row(values, parse.yesno_of)
        elif spec.type == "checkbox":
            got = per_row(values, parse.checkbox_of)
        elif spec.type == "category":
            got, bad = per_row(values, parse.category_of, sch.vocabularies[spec.vocabulary].lookup)
        elif spec.type == "amount":
            got, bad, implausible = per_row(values, parse.amount_of, spec.plausible)
            bad = bad | implausible  # each is flagged and set to missing
            if name == "granted_nok":  # refused applications: blank means 0
                got = got.fillna(0)
        elif spec.type == "text":
            got = parse._text(values)
        else:
            continue
        expected = truth[name].astype(object).where(truth[name].notna(), None).tolist()
        actual = got.astype(object).where(got.notna(), None).tolist()
        assert actual == expected, name
        if bad is not None:
            flagged |= {(int(r), name) for r in raw.loc[bad.to_numpy(), "_row"]}
    cell_fields = {"intermunicipal", "collaboration", "target_group", "offer_type", "grant_nok"}
    assert flagged == {x for x in planted if x[1] in cell_fields}


@pytest.mark.parametrize(("scheme", "year", "kind"), FILES)
def test_counties_and_municipalities_resolve_in_their_year(scheme, year, kind):
    """County text and municipality codes/names resolve to the truth with the reference tables
    of the year (name, alt name, «… fylkeskommune», code; 301 = 0301), except planted cells."""
    day = f"{year}-07-01"

    def valid(name: str) -> pd.DataFrame:
        t = pd.read_csv(ROOT / "evalkit" / "reference" / name, dtype=str, keep_default_na=False)
        return t[(t["valid_from"] <= day) & ((t["valid_to"] == "") | (t["valid_to"] >= day))]

    def lookup(table: pd.DataFrame) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for r in table.itertuples():
            for n in [r.name, *r.alt_names.split(";")]:
                if n:
                    out.setdefault(n.casefold(), set()).add(r.code)
        return out

    counties, munis = lookup(valid("fylker.csv")), lookup(valid("kommuner.csv"))
    codes_valid = set(valid("kommuner.csv")["code"])
    raw = read_raw(scheme, year, kind)
    truth = demo.truth(scheme, year).set_index("_row")
    planted = {
        (p.row, p.column) for p in demo.PLANTED_PROBLEMS if p.scheme == scheme and p.year == year
    }
    code_col = "Kommunenummer" if scheme == "frisklivs_lms" else "Kommunenr"
    for i, r in raw.iterrows():
        row = int(i) + 2
        if row not in truth.index:
            continue
        t = truth.loc[row]
        text = re.sub(r"\.0$", "", re.sub(r"\s+", " ", str(r["Fylke"])).strip()).casefold()
        county = (
            counties.get(text)
            or counties.get(text.removesuffix(" fylkeskommune"))
            or ({text.zfill(2)} if text.isdigit() else set())
        )
        if (row, "Fylke") not in planted:
            assert county == {t["county_code"]}, (row, r["Fylke"])
        expected = t["municipality_codes"] if scheme == "frisklivs_lms" else t["municipality_code"]
        if pd.notna(r[code_col]) and (row, code_col) not in planted:
            codes = [c.zfill(4) for c in re.split(r"[,;/\s]+", str(r[code_col]).strip()) if c]
            assert sorted(codes) == expected.split(";") and set(codes) <= codes_valid, row
        elif pd.isna(r[code_col]):  # names only: each must point to one municipality
            names = [
                n for n in re.split(r"\s*(?:[,;/]|\s+og\s+)\s*", str(r["Kommune(r)"]).strip()) if n
            ]
            found = [munis.get(n.casefold(), set()) for n in names]
            assert all(len(f) == 1 for f in found), (row, names)
            assert sorted(next(iter(f)) for f in found) == expected.split(";"), row
        if scheme == "samhandling" and pd.notna(r["Samarbeidskommuner"]):
            tokens = [
                x for x in re.split(r"\s*(?:[,;/]|\s+og\s+)\s*", str(r["Samarbeidskommuner"])) if x
            ]
            partners = sorted(
                x.zfill(4) if x.isdigit() else next(iter(munis[x.casefold()])) for x in tokens
            )
            assert all(x.isdigit() or len(munis[x.casefold()]) == 1 for x in tokens), row
            assert ";".join(partners) == t["partner_municipalities"], row


# --- the published figures the generator is calibrated from -----------------------------------
def test_published_figures_ship_in_the_demo_package_only():
    from evalkit.demo import published

    assert (ROOT / "evalkit" / "demo" / published.FILENAME).is_file()
    copies = [p for p in ROOT.rglob("published_figures.yaml") if ".venv" not in p.parts]
    assert copies == [ROOT / "evalkit" / "demo" / published.FILENAME]


def test_published_count_is_a_shares_derived_count_or_the_value():
    from evalkit.demo import published

    # «16,5 %» of the 109 projects of 2022: 0,165 · 109 = 17,99 → 18 intermunicipal projects
    assert published.count("frisklivs_lms", 2022, "share_intermunicipal") == 18
    assert published.value("frisklivs_lms", 2022, "share_intermunicipal") == 16.5
    # published as an amount: Viken's grants of 2022
    assert published.count("frisklivs_lms", "2022", "county_granted_total_viken") == 2_350_000
    with pytest.raises(KeyError, match="frisklivs_lms/2022/no_such_figure"):
        published.entry("frisklivs_lms", 2022, "no_such_figure")
