"""Suppression over the whole document: no cell hidden in the county table can be read back
from another piece (a list of rows by county, a figure, a total), and where a scheme's award
list is public the YAML says so, the county counts of awards are shown, and the method text says
what is public and what is protected.

Expected cells are worked out by hand in the comments. Whether a hidden cell can be recovered is
checked by an attacker written here, independently of the library: each hidden count is a
variable, every published total and every count another piece shows is an equation or a bound,
and scipy's linear programming gives the smallest and largest value the cell can take."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from evalkit import disclosure
from evalkit import document as doc
from evalkit.config import load_scheme, load_scheme_file
from evalkit.disclosure import DisclosureRule, Shown, audit, suppress
from evalkit.errors import EvalkitError
from evalkit.evaluation import evaluate

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
NBSP = "\u00a0"


# --- an independent attacker --------------------------------------------------------------
def ranges(total: float, shown: dict[str, float], hidden: list[str], lower: dict[str, float]):
    """(min, max) of each hidden cell of one column whose cells add up to ``total``, given the
    shown cells and a lower bound per hidden cell (at least 1, since 0 is never hidden, and at
    least what another piece shows to be among it)."""
    a_eq = [[1.0] * len(hidden)]
    b_eq = [total - sum(shown.values())]
    bounds = [(lower[h], None) for h in hidden]
    out = {}
    for k, cell in enumerate(hidden):
        c = np.zeros(len(hidden))
        c[k] = 1.0
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        assert lo.status == 0 and hi.status == 0
        out[cell] = (lo.fun, -hi.fun)
    return out


def number(cell: str) -> float:
    return float(cell.replace(NBSP, "").replace(" ", "").replace("\u2212", "-"))


# --- a small scheme of projects, with a list of them by county -----------------------------
SCHEME = """\
scheme: aktivitet
title_nb: Tilskudd til aktivitetstiltak
short_title_nb: Aktivitetstiltak
unit: project
id_field: case_id
first_year: 2020
layouts:
  v1:
    headers: {Saksnummer: case_id, Fylke: county, Kommunenummer: municipality_codes,
              Tiltak: project_name, Beløp: grant_nok, Frivillige med: volunteers}
fields:
  case_id: {type: id, required: true, label_nb: Saksnummer}
  county: {type: county, required: true, label_nb: Fylke}
  municipality_codes: {type: municipality_codes, label_nb: Kommunenummer}
  project_name: {type: text, label_nb: Tiltak}
  grant_nok: {type: amount, required: true, label_nb: Tildelt beløp}
  volunteers: {type: yesno, label_nb: Frivillige med}
shares:
  - {field: volunteers, kind: yesno, group: frivillige, label_nb: Tiltak med frivillige}
sections:
  - title_nb: Fylker
    show: [county_table, county_figures]
  - title_nb: Tiltakene
    show:
      - list:
          title_nb: Tiltak fylke for fylke
          group_by: county_name
          columns: {county_name: Fylke, project_name: Tiltak, grant_nok: Tildelt (kr)}
          sort: [county_name, project_name]
"""
PUBLIC = """\
disclosure:
  public:
    - what_nb: tilskuddene
      source_nb: fylkeskommunen publiserte hvert tilskudd med fylke og beløp
"""
HEADER = "Saksnummer;Fylke;Kommunenummer;Tiltak;Beløp;Frivillige med"
# Oslo 2 projects (100 000 + 50 000), Agder 4, Rogaland 5, Vestland 6: 17 in all
COUNTIES = {
    "Oslo": ("0301", [100_000, 50_000]),
    "Agder": ("4204", [60_000] * 4),
    "Rogaland": ("1103", [70_000] * 5),
    "Vestland": ("4601", [80_000] * 6),
}


def _export() -> str:
    rows, case = [HEADER], 0
    for county, (code, amounts) in COUNTIES.items():
        for amount in amounts:
            case += 1
            rows.append(f"{case};{county};{code};Tiltak {case};{amount};Ja")
    return "\n".join(rows) + "\n"


def _evaluate(tmp_path: Path, *, public: bool):
    scheme_file = tmp_path / "aktivitet.yaml"
    scheme_file.write_text(SCHEME + (PUBLIC if public else ""), encoding="utf-8")
    (tmp_path / "aktivitet").mkdir()
    (tmp_path / "aktivitet" / "2023.csv").write_text(_export(), encoding="utf-8")
    scheme = load_scheme_file(scheme_file)
    return evaluate(scheme, 2023, data_dir=tmp_path, compare_with=[])


def _list_spec(ev):
    return next(i.list for s in ev.scheme.doc.sections for i in s.show if hasattr(i, "list"))


def test_the_check_finds_a_hidden_county_that_a_list_shows():
    # Oslo 2 is hidden (1 or 2); the column adds up to 17, so one more: the smallest shown,
    # Agder 4. A list of every project by county shows both counts again.
    table = pd.DataFrame({"n": [2, 4, 5, 6]}, index=list(COUNTIES))
    table.loc["I alt"] = 17
    s = suppress(table, ["n"], total_row="I alt")
    assert s.mask["n"].tolist() == [True, True, False, False, False]
    assert audit(s) == []  # the table alone gives nothing away
    listed = pd.Series([c for c, (_, amounts) in COUNTIES.items() for _ in amounts])
    leaks = audit(s, [Shown.from_rows("Tiltak fylke for fylke", listed, count="n")])
    assert {(leak.row, leak.value, leak.how) for leak in leaks} == {
        ("Oslo", 2.0, "shown"),
        ("Agder", 4.0, "shown"),
    }
    # the list without Oslo: Agder's 4 shown, so Oslo's 2 is worked out from the total
    without_oslo = listed[listed != "Oslo"]
    leaks = audit(s, [Shown.from_rows("liste", without_oslo, count="n")])
    assert [(leak.row, leak.how) for leak in leaks] == [("Agder", "shown"), ("Oslo", "worked out")]
    # a sum of amounts over the listed rows gives the hidden amount away too
    amounts = pd.Series([a for _, (_, am) in COUNTIES.items() for a in am])
    s2 = suppress(table.assign(kr=[150_000, 240_000, 350_000, 480_000, 1_220_000]), ["n"],
                  total_row="I alt", linked={"n": ["kr"]})  # fmt: skip
    sums = Shown.from_rows("liste", listed[listed == "Oslo"], sums={"kr": amounts[:2]})
    assert [(leak.row, leak.column, leak.value) for leak in audit(s2, [sums])] == [
        ("Oslo", "kr", 150_000.0)
    ]


def test_the_document_leaves_out_the_rows_of_hidden_counties(tmp_path):
    ev = _evaluate(tmp_path, public=False)
    county = doc.county_table(ev).display.set_index("Fylke")
    counts = county["Prosjekter"]
    assert counts.loc["Oslo"] == ":" and counts.loc["Agder"] == ":"  # 2, and its partner 4
    listing = doc.list_table(ev, _list_spec(ev))
    listed = listing.data["Fylke"].value_counts().to_dict()
    assert listed == {"Rogaland": 5, "Vestland": 6}  # 17 - 2 - 4 = 11 rows
    assert listing.notes == [
        "Prosjektene i Oslo og Agder er ikke med i listen, fordi antallet der er skjermet i "
        "tabellen «Prosjekter per fylke»."
    ]
    # the attacker: the table's shown counts, its total and the list's counts per county
    hidden = [c for c in counts.index if counts[c] == ":"]
    shown = {c: number(v) for c, v in counts.items() if v != ":" and c != "I alt"}
    for county_name, n in listed.items():
        assert shown[county_name] == n  # the list shows only what the table shows
    found = ranges(number(counts.loc["I alt"]), shown, hidden, {h: 1.0 for h in hidden})
    assert found == {"Oslo": (1.0, 5.0), "Agder": (1.0, 5.0)}
    # the amounts: Oslo's and Agder's hidden with their counts, and not in the list
    assert set(county.loc[["Oslo", "Agder"], "Tildelt beløp (kr)"]) == {":"}
    method = doc.method(ev).data
    assert "Fylker der antallet er skjermet, er ikke med i listen over prosjektene." in method
    assert "offentlige" not in method


def test_public_rows_are_shown_and_the_method_says_so(tmp_path):
    ev = _evaluate(tmp_path, public=True)
    counts = doc.county_table(ev).display.set_index("Fylke")["Prosjekter"]
    assert counts.loc["Oslo"] == "2" and ":" not in set(counts)
    listing = doc.list_table(ev, _list_spec(ev))
    assert listing.data["Fylke"].value_counts().to_dict() == {
        "Oslo": 2, "Agder": 4, "Rogaland": 5, "Vestland": 6,
    }  # fmt: skip
    assert listing.notes == []
    method = doc.method(ev).data
    assert (
        "Tilskuddene er offentlige: fylkeskommunen publiserte hvert tilskudd med fylke og beløp."
        in method
    )
    assert "listen over tilskuddene er fullstendig" in method
    assert "Ingen tall på fylkesnivå skjermes." in method


# --- applications: the awards public, the refusals not ---------------------------------------
def _applications() -> pd.DataFrame:
    # A: 6 applications, 5 granted, so 1 refused; B: 10 and 4; C: 12 and 6
    t = pd.DataFrame({"apps": [6, 10, 12], "granted": [5, 4, 6]}, index=list("ABC"))
    t.loc["I alt"] = t.sum()
    return t


def test_a_refusal_count_of_one_is_protected_when_the_awards_are_public():
    t = _applications()
    # without the implied refusals nothing is hidden, and A's one refusal is 6 - 5
    assert not suppress(t, ["apps", "granted"], total_row="I alt", public=["granted"]).mask.any(
        axis=None
    )
    s = suppress(
        t, ["apps", "granted"], total_row="I alt", public=["granted"], parts={"granted": "apps"}
    )
    # A's refusals are 1: A's applications hidden (its awards are public); then the
    # applications column holds one hidden cell, so the smallest other is hidden: B's 10
    assert s.mask["apps"].tolist() == [True, True, False, False]
    assert not s.mask["granted"].any()
    assert s.small_differences == (("A", "apps − granted"),)
    assert "forskjellen mellom to kolonner" in s.footnote
    # the attacker: A + B = 16, A ≥ 5 and B ≥ 4 (their awards), so A in [6 - 1, 12]
    found = ranges(28, {"C": 12}, ["A", "B"], {"A": 5.0, "B": 4.0})
    assert found == {"A": (5.0, 12.0), "B": (4.0, 11.0)}
    refused_a = (found["A"][0] - 5, found["A"][1] - 5)
    assert refused_a[1] - refused_a[0] >= 1
    assert audit(s) == []


def test_a_refusal_count_of_one_hides_the_award_count_when_nothing_is_public():
    s = suppress(_applications(), ["apps", "granted"], total_row="I alt", parts={"granted": "apps"})
    # A's refusal 1: A's granted 5 or applications 6 must go; the smaller, 5. Then the granted
    # column holds one hidden cell: the smallest other, B's 4.
    assert s.mask["granted"].tolist() == [True, True, False, False]
    assert not s.mask["apps"].any()
    # the attacker: gA + gB = 9, gA ≤ 6 and gB ≤ 10 (refusals ≥ 0), both ≥ 1: gA in [1, 6]
    found = ranges(15, {"C": 6}, ["A", "B"], {"A": 1.0, "B": 1.0})
    assert found["A"] == (1.0, 8.0) and min(found["A"][1], 6) - found["A"][0] >= 1
    assert audit(s) == []


def test_parts_and_public_are_checked():
    t = _applications()
    with pytest.raises(ValueError, match="larger than"):
        suppress(t, ["apps", "granted"], parts={"apps": "granted"})
    with pytest.raises(ValueError, match="public columns"):
        suppress(t, ["apps"], public=["granted"])
    with pytest.raises(ValueError, match="parts"):
        suppress(t, ["apps"], parts={"granted": "apps"})


def test_public_rows_in_the_yaml_are_checked(tmp_path):
    path = tmp_path / "aktivitet.yaml"
    path.write_text(
        SCHEME + PUBLIC.replace("    - what_nb", "    - among: volunters\n      what_nb")
    )
    with pytest.raises(EvalkitError, match=r"disclosure\.public\[0\]\.among.*volunteers"):
        load_scheme_file(path)
    path.write_text(SCHEME + PUBLIC.replace("what_nb", "what"))
    with pytest.raises(EvalkitError, match=r"disclosure\.public\[0\]"):
        load_scheme_file(path)


def test_frisklivs_keeps_the_rule_and_says_nothing_is_public():
    text = disclosure.method_text(load_scheme("frisklivs_lms").doc, DisclosureRule())
    assert text == (
        "I tabeller på fylkesnivå vises antall på 1 eller 2 som «:». Flere celler skjules der det "
        "trengs for at de skjulte tallene ikke skal kunne regnes ut fra summene eller fra andre "
        "tabeller og figurer i rapporten (sekundærskjerming)."
    )


# --- samhandling 2012 ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def samhandling_2012(demo_cache_dir):
    return evaluate("samhandling", 2012, data_dir=DEMO, compare_with=[], cache_dir=demo_cache_dir)


def test_samhandling_2012_county_table_and_list_agree(samhandling_2012):
    ev = samhandling_2012
    county = doc.county_table(ev).display.set_index("Fylke")
    listing = doc.list_table(ev, _list_spec(ev))
    # the finding: Oslo's one grant (180 000 kr) and Vestfold's four (2 120 000 kr)
    assert county.loc["Oslo", "Innvilget"] == "1"
    assert county.loc["Oslo", "Tildelt (kr)"] == f"180{NBSP}000"
    assert county.loc["Vestfold", "Innvilget"] == "4"
    assert county.loc["Vestfold", "Tildelt (kr)"] == f"2{NBSP}120{NBSP}000"
    # every county's listed projects are the table's «Innvilget», none hidden: all 199
    body = county.drop(index="I alt")
    listed = listing.data.groupby("Fylke").agg(
        n=("Tildelt (kr)", "size"), kr=("Tildelt (kr)", "sum")
    )
    assert ":" not in set(body["Innvilget"]) and len(listing.data) == 199
    for name, row in listed.iterrows():
        assert number(body.loc[name, "Innvilget"]) == row["n"]
        assert number(body.loc[name, "Tildelt (kr)"]) == row["kr"]
    # applications stay protected: Oslo's 1 hidden, so another county's too; what the list
    # says (each county applied at least as often as it was granted) does not pin them, nor
    # the refusals (applications minus granted)
    apps = body["Søknader"]
    hidden = [c for c in apps.index if apps[c] == ":"]
    assert "Oslo" in hidden and len(hidden) >= 2
    granted = {c: number(body.loc[c, "Innvilget"]) for c in hidden}
    shown = {c: number(v) for c, v in apps.items() if v != ":"}
    found = ranges(number(county.loc["I alt", "Søknader"]), shown, hidden, granted)
    for c, (lo, hi) in found.items():
        assert hi - lo >= 1, (c, lo, hi)  # applications, and refusals = applications - granted
    assert set(county.loc[hidden, "Andel innvilget"]) == {":"}  # the rate would give them away
    assert set(county.loc[hidden, "Søkt (kr)"]) == {":"}


def test_samhandling_2012_method_says_what_is_public_and_what_is_protected(samhandling_2012):
    method = doc.method(samhandling_2012).data
    skjerming = next(p for p in method.split("\n\n") if p.startswith("**Skjerming.**"))
    plain = skjerming.replace("&lpar;", "(").replace("&rpar;", ")")
    assert "Tildelingene er offentlige: departementet publiserte listen over prosjektene" in plain
    assert "Kolonnene «Innvilget» og «Tildelt (kr)»" in plain and "skjermes derfor ikke" in plain
    assert "og listen over tildelingene er fullstendig." in plain
    assert "Avslåtte søknader er ikke offentlige." in plain
    assert "antall på 1 eller 2 i kolonnen «Søknader» som «:»" in plain
    assert "antall avslåtte søknader (forskjellen mellom «Søknader» og «Innvilget»)" in plain


@pytest.mark.slow
def test_samhandling_2012_built_document_is_consistent(demo_document):
    # the demo document built once for the run (tests/conftest.py)
    html = (demo_document("samhandling", 2012).out_path / "report.html").read_text(encoding="utf-8")
    start = html.index("Søknader og tildelinger per fylke 2012")
    table = html[start : html.index("</table>", start)]
    rows = re.findall(r"<tr[^>]*><th[^>]*scope=.row.[^>]*>([^<]+)</th>(.*?)</tr>", table)
    cells = {name: re.findall(r"<td[^>]*>([^<]*)</td>", rest) for name, rest in rows}
    assert len(cells) == 20  # 19 counties and «I alt»
    start = html.index("Fylkesvis liste over prosjekter som fikk støtte 2012")
    listing = html[start : html.index("</table>", start)]
    groups = re.split(r"<th[^>]*scope=.rowgroup.[^>]*>([^<]+)</th>", listing)[1:]
    listed = {
        name: body.count("<tr>") for name, body in zip(groups[::2], groups[1::2], strict=True)
    }
    assert len(listed) == 19 and sum(listed.values()) == 199
    # no «:» in «Innvilget» (the second column), and each county lists as many as it shows
    assert all(cells[name][1] != ":" for name in listed)
    assert {name: int(number(cells[name][1])) for name in listed} == listed
    assert listed["Oslo"] == 1 and listed["Vestfold"] == 4
    assert cells["Oslo"][0] == ":"  # its applications are not public
    assert "Tildelingene er offentlige" in html and "Avslåtte søknader er ikke offentlige" in html


# --- the year documents and the trends document together (issue 18, item 5) --------------
def _published(display: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A displayed table's count columns as numbers, NaN where it shows «:»."""
    return display[columns].map(lambda c: np.nan if c == ":" else number(c)).astype(float)


def _all_documents(scheme: str, cache_dir: Path, trends_display=None):
    """What the year documents and the trends document of ``scheme`` show of the counties:
    each table's count columns (NaN where hidden), and the links an attacker has between them
    — a year's rows counted in its own counties there, in the last year's counties here; the
    pairs of counties that share a municipality (SSB's classifications), any county with
    «Kan ikke plasseres», a row without a county with any county, and the pairs the rows
    fall in. Each year is read and cleaned once (``cache_dir``: tests/conftest.py's
    ``demo_cache_dir``)."""
    from evalkit import geography, trends
    from evalkit.document import trends as tdoc

    tr = trends.evaluate_trends(scheme, data_dir=DEMO, cache_dir=cache_dir)
    columns = tr.scheme.doc.county_table.columns
    label = {c.key: c.label_nb for c in columns}
    count_labels = [c.label_nb for c in columns if c.count]
    shown = trends_display if trends_display is not None else tdoc.county_table(tr).display
    trend = shown.set_index("Fylke")
    years = [str(y) for y in tr.years]
    tables = {"trends": _published(trend, years)}
    counts = {"trends": years}
    links, lower, year_shown = [], {}, {}
    last = tr.years[-1]
    now = geography.counties_in(last).set_index("county_code")["county_name"]
    common = trends.common_county(tr).map(now).fillna(trends.UNPLACED_NB)
    for y in tr.years:
        ev = evaluate(scheme, y, data_dir=DEMO, compare_with=[], cache_dir=cache_dir)
        display = doc.county_table(ev).display.set_index("Fylke")
        name = f"year {y}"
        tables[name] = _published(display, count_labels)
        counts[name] = count_labels
        year_shown[y] = display
        then = geography.counties_in(y).set_index("county_code")["county_name"]
        pairs = {(then[a], now[b]) for a, b in geography.county_pairs(y, last)}
        pairs |= {(a, trends.UNPLACED_NB) for a in display.index[:-1]}
        pairs |= {("Ukjent fylke", b) for b in trend.index[:-1]}
        rows = (tr.tidy["year"] == y).to_numpy()
        own = tr.tidy.loc[rows, "county_name"].astype(object).fillna("Ukjent fylke")
        pairs |= set(zip(own, common[rows], strict=True))
        pairs = sorted(p for p in pairs if p[1] in trend.index[:-1])
        links.append((name, label[tr.scheme.count_key], "trends", str(y), pairs))
        if "n_granted" in label:  # applications at least the granted (shown: public)
            granted = tables[name][label["n_granted"]]
            for row in display.index[:-1]:
                if not np.isnan(granted[row]):
                    lower[(name, row, label[tr.scheme.count_key])] = granted[row]
    return tr, tables, counts, links, lower, trend, year_shown


@pytest.mark.parametrize("scheme", ["samhandling", "frisklivs_lms"])
def test_no_hidden_county_count_is_recovered_from_all_the_documents_together(
    scheme, demo_cache_dir
):
    from test_disclosure import joint_ranges

    tr, tables, counts, links, lower, trend, year_shown = _all_documents(scheme, demo_cache_dir)
    found = joint_ranges(tables, counts, links, lower)
    assert found  # something is hidden in both schemes' demo documents
    pinned = {v: r for v, r in found.items() if r[1] - r[0] < 1 - 1e-6}
    assert not pinned, pinned
    # a county hidden in a year's document is hidden for that year in the trends document
    count = {c.key: c.label_nb for c in tr.scheme.doc.county_table.columns}[tr.scheme.count_key]
    for y, display in year_shown.items():
        hidden = {c for c in display.index[:-1] if display.at[c, count] == ":"}
        here = {c for c in trend.index[:-1] if trend.at[c, str(y)] == ":"}
        assert {c for c in hidden if c in trend.index and trend.at[c, str(y)] != "0"} <= here
        if scheme == "samhandling":  # the same counties: the same hidden cells, no more
            assert here == hidden, y


def test_the_attacker_finds_the_leak_of_a_trends_table_suppressed_on_its_own(demo_cache_dir):
    # the trends table as it was: suppressed alone, it hid Oslo and Akershus in 2010 while the
    # 2010 document hides Oslo, Vest-Agder and Rogaland and shows Akershus 7
    from test_disclosure import joint_ranges

    from evalkit import trends

    tr = trends.evaluate_trends("samhandling", data_dir=DEMO, cache_dir=demo_cache_dir)
    table = trends.projects_by_common_county(tr)[0].copy()
    table.columns = [str(y) for y in table.columns]
    table.loc["I alt"] = table.sum()
    alone = suppress(table, list(table.columns), total_row="I alt")
    display = alone.display().reset_index().rename(columns={"county_name": "Fylke"})
    assert display.set_index("Fylke").loc[["Oslo", "Akershus"], "2010"].tolist() == [":", ":"]
    _, tables, counts, links, lower, _, years = _all_documents(
        "samhandling", demo_cache_dir, display
    )
    assert years[2010].loc["Akershus", "Søknader"] == "7"
    found = joint_ranges(tables, counts, links, lower)
    assert found[("year 2010", "Oslo", "Søknader")] == pytest.approx((1, 1))
    assert found[("trends", "Oslo", "2010")] == pytest.approx((1, 1))
