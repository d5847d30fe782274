"""Synthetic demo exports: ``evalkit demo`` writes ``data/demo/`` byte for byte the same on
every run and machine.

For every scheme and year a clean **truth table** is made first (in memory only): one row per
funded project (``frisklivs_lms``) or per application (``samhandling``), with the published
figures built in exactly where they exist and invented values elsewhere. The truth is then
written the way people really fill in forms: yes/no, checkboxes, categories, amounts, counties
and municipalities in the many spellings the scheme YAML and the spec accept, so that cleaning
recovers the truth exactly. The synthetic years also carry a few genuinely broken cells, listed
in :data:`PLANTED_PROBLEMS`, so the data-quality report has something to show.

Every published number is read from :mod:`evalkit.demo.published` (``published_figures.yaml``,
by its key there); the numbers written here are invented ones (synthetic years, rows and
amounts nobody published), chosen so that the published figures come out exactly.

Determinism: every random choice comes from :func:`numpy.random.default_rng` seeded with
``(seed, scheme, year, part)``; amounts are allocated with integer arithmetic only; the
workbooks get fixed document properties and are re-zipped with sorted entries, a fixed
timestamp and no compression (so the bytes do not depend on the machine's zlib).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from evalkit.config import Scheme, Vocabulary, load_scheme
from evalkit.demo import published
from evalkit.paths import SYNTHETIC_MARKER

log = logging.getLogger(__name__)

FLS = "frisklivs_lms"
SAM = "samhandling"
#: Years written for each scheme, with the file format of each.
DEMO_FILES: dict[str, dict[int, str]] = {
    FLS: {2019: "csv", 2020: "csv", 2021: "xlsx", 2022: "xlsx", 2023: "xlsx", 2024: "xlsx"},
    SAM: {2010: "xlsx", 2011: "xlsx", 2012: "xlsx"},
}
_SEED = 20_240_611
_SCHEME_NO = {FLS: 1, SAM: 2}
_TRUTH, _WRITE = 0, 1  # rng streams: what the data are / how people wrote them
_FIXED_TIME = dt.datetime(2024, 6, 11, 12, 0, 0)
_ZIP_TIME = (2024, 6, 11, 12, 0, 0)
_PERSONAL = ("Kontaktperson", "E-post", "Telefon")
_NBSP, _THIN = "\u00a0", "\u2009"


def _fls(period: int | str, key: str) -> int:
    """A published ``frisklivs_lms`` count or amount (a share's ``derived_count``)."""
    return published.count(FLS, period, key)


def _sam(period: int | str, key: str) -> int:
    """A published ``samhandling`` count or amount."""
    return published.count(SAM, period, key)


# --------------------------------------------------------------------------------------------
# Planted problems: every broken cell in the demo data, and what cleaning should do with it.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlantedProblem:
    """A cell planted on purpose in the synthetic demo data.

    ``row`` is the row as the user sees it in the file (the header is row 1). ``problem`` and
    ``action`` are what the data-quality report should say; ``cleaned`` is what the tidy frame
    should hold for ``field`` afterwards (``None``: missing; for an excluded row: nothing).
    """

    scheme: str
    year: int
    row: int
    column: str
    value: str
    field: str
    problem: str
    action: str
    cleaned: str | None
    note_nb: str


PLANTED_PROBLEMS: tuple[PlantedProblem, ...] = (
    # scheme, year, row, column, value, field, problem, action, cleaned, note_nb
    PlantedProblem(FLS, 2019, 23, "Målgruppe", "Ungdom", "target_group",
                   "unknown_category", "set_missing", None,
                   "Ukjent målgruppe; settes som manglende."),
    PlantedProblem(FLS, 2019, 61, "Tildelt beløp (kr)", "ca. hundre tusen", "grant_nok",
                   "unreadable_amount", "set_missing", None,
                   "Beløpet kan ikke leses som kroner; settes som manglende."),
    PlantedProblem(FLS, 2020, 14, "Er prosjektet interkommunalt?", "Kanskje", "intermunicipal",
                   "unknown_yesno", "set_missing", None,
                   "Verken ja eller nei; settes som manglende."),
    PlantedProblem(FLS, 2020, 47, "Kommunenummer", "4699", "municipality_codes",
                   "unknown_municipality_code", "set_missing", "4601",
                   "Kommunenummeret finnes ikke i 2020; kommunen kan tas fra «Kommune(r)» (Bergen)."),
    PlantedProblem(FLS, 2021, 9, "Fylke", "Hordaland", "county",
                   "county_not_valid_in_year", "mapped", "46",
                   "Hordaland fantes ikke i 2021; kommunenummeret gir Vestland."),
    PlantedProblem(FLS, 2021, 40, "", "", "",
                   "empty_response", "excluded", None,
                   "Tomt Questback-svar (bare Respondent er fylt ut); raden holdes utenfor."),
    PlantedProblem(FLS, 2021, 77, "Type tilbud", "Kurs og gruppetilbud", "offer_type",
                   "unknown_category", "set_missing", None,
                   "Ukjent type tilbud; settes som manglende."),
    PlantedProblem(FLS, 2024, 18, "Fylke", "Viken", "county",
                   "county_not_valid_in_year", "mapped", "32",
                   "Viken fantes ikke i 2024; kommunenummeret avgjør fylket (Akershus)."),
    PlantedProblem(FLS, 2024, 52, "Er prosjektet et samarbeidsprosjekt?", "Kanskje", "collaboration",
                   "unknown_yesno", "set_missing", None,
                   "Verken ja eller nei; settes som manglende."),
    PlantedProblem(FLS, 2024, 95, "Tildelt beløp (kr)", "se vedlegg", "grant_nok",
                   "unreadable_amount", "set_missing", None,
                   "Beløpet kan ikke leses som kroner; settes som manglende."),
    PlantedProblem(SAM, 2011, 57, "Tildelt beløp", "520000", "granted_nok",
                   "granted_above_applied", "noted", None,
                   "Tildelt beløp er større enn søkt beløp; beholdes, men flagges."),
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Reference tables (package data): counties and municipalities valid in a year
# --------------------------------------------------------------------------------------------
@functools.cache
def _reference(name: str) -> pd.DataFrame:
    with (resources.files("evalkit") / "reference" / name).open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def _valid_in(table: pd.DataFrame, year: int) -> pd.DataFrame:
    day = f"{year}-07-01"
    ok = (table["valid_from"] <= day) & ((table["valid_to"] == "") | (table["valid_to"] >= day))
    return table.loc[ok].reset_index(drop=True)


_SAMI_FIRST = {
    "Aarborte",
    "Deatnu",
    "Dielddanuorri",
    "Gáivuotna",
    "Guovdageaidnu",
    "Hábmer",
    "Kárášjohka",
    "Loabák",
    "Raarvihke",
    "Snåase",
    "Unjárga",
}


def _display_name(name: str) -> str:
    """The Norwegian part of a multilingual name, without a county qualifier (for titles)."""
    parts = name.split(" - ")
    base = parts[1] if len(parts) > 1 and parts[0] in _SAMI_FIRST else parts[0]
    return re.sub(r"\s*\(.*\)$", "", base)


@dataclass(frozen=True)
class _Geo:
    year: int
    county_names: dict[str, str]  # code -> name
    county_alts: dict[str, tuple[str, ...]]
    muni_name: dict[str, str]  # code -> official name
    muni_county: dict[str, str]
    by_county: dict[str, tuple[str, ...]]  # county code -> municipality codes (sorted)
    safe_names: dict[str, tuple[str, ...]]  # code -> names that resolve alone in the year


def _encodable(text: str, encoding: str | None) -> bool:
    if encoding is None:
        return True
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


@functools.cache
def _geo(year: int) -> _Geo:
    counties = _valid_in(_reference("fylker.csv"), year)
    munis = _valid_in(_reference("kommuner.csv"), year)
    alts = {r.code: tuple(a for a in r.alt_names.split(";") if a) for r in munis.itertuples()}
    # a name is safe alone when it points to one municipality in the year and survives the
    # list separators (« og », «,», «/», «;») and has no county qualifier
    seen: dict[str, set[str]] = {}
    for r in munis.itertuples():
        for n in (r.name, *alts[r.code]):
            seen.setdefault(n.casefold(), set()).add(r.code)

    def safe(n: str) -> bool:
        return len(seen[n.casefold()]) == 1 and " og " not in n and not re.search(r"[(),;/–]", n)

    safe_names = {
        r.code: tuple(n for n in (r.name, *alts[r.code]) if safe(n)) for r in munis.itertuples()
    }
    by_county: dict[str, list[str]] = {}
    for r in munis.itertuples():
        by_county.setdefault(r.county_code, []).append(r.code)
    return _Geo(
        year=year,
        county_names=dict(zip(counties["code"], counties["name"], strict=True)),
        county_alts={
            r.code: tuple(a for a in r.alt_names.split(";") if a) for r in counties.itertuples()
        },
        muni_name=dict(zip(munis["code"], munis["name"], strict=True)),
        muni_county=dict(zip(munis["code"], munis["county_code"], strict=True)),
        by_county={c: tuple(sorted(v)) for c, v in sorted(by_county.items())},
        safe_names=safe_names,
    )


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------
def _rng(scheme: str, year: int, part: int) -> np.random.Generator:
    return np.random.default_rng([_SEED, _SCHEME_NO[scheme], year, part])


def _allocate(
    total: int, weights: Sequence[int], unit: int, minimum: Sequence[int] | int
) -> np.ndarray:
    """Split ``total`` into multiples of ``unit`` proportional to integer ``weights``, each at
    least ``minimum``; integer arithmetic only (largest remainder, ties by position)."""
    w = np.asarray(weights, dtype=np.int64)
    n = len(w)
    if n == 0:
        if total:
            raise ValueError(f"cannot allocate {total} to no rows")
        return np.zeros(0, dtype=np.int64)
    if total % unit:
        raise ValueError(f"{total} is not a multiple of {unit}")
    base = np.broadcast_to(np.asarray(minimum, dtype=np.int64) // unit, (n,)).copy()
    rest = total // unit - int(base.sum())
    if rest < 0:
        raise ValueError(f"{total} is less than the minimum of {n} rows")
    share = rest * w // w.sum()
    frac = rest * w % w.sum()
    order = np.lexsort((np.arange(n), -frac))
    share[order[: rest - int(share.sum())]] += 1
    return (share + base) * unit


def _pick(
    rng: np.random.Generator,
    n: int,
    k: int,
    eligible: np.ndarray | None = None,
    forced: np.ndarray | None = None,
) -> np.ndarray:
    """A boolean mask with exactly ``k`` True: every ``forced`` row plus random ``eligible``."""
    eligible = np.ones(n, bool) if eligible is None else eligible.astype(bool)
    forced = np.zeros(n, bool) if forced is None else forced.astype(bool)
    out = forced.copy()
    need = k - int(forced.sum())
    pool = np.flatnonzero(eligible & ~forced)
    if need < 0 or need > len(pool):
        raise AssertionError(
            f"cannot pick {k} of {n} rows ({forced.sum()} forced, {len(pool)} eligible)"
        )
    out[rng.choice(pool, size=need, replace=False)] = True
    return out


def _count(n: int, spec: int | float) -> int:
    """An exact count (int), or the share ``spec`` (float) of ``n`` rows, rounded.

    Synthetic years use shares rounded, not random draws, so their trends are the ones set in
    :data:`_FLS_YEARS` and do not depend on luck.
    """
    return int(spec) if isinstance(spec, int) else int(np.floor(spec * n + 0.5))


def _category_counts(n: int, spec: dict[str, int | float]) -> dict[str, int]:
    """Exact counts, or shares of ``n`` rounded by largest remainder (ties by order)."""
    if all(isinstance(v, int) for v in spec.values()):
        if sum(spec.values()) != n:
            raise AssertionError(f"category counts {spec} do not sum to {n}")
        return dict(spec)
    p = np.array(list(spec.values()), dtype=float)
    exact = p / p.sum() * n
    counts = np.floor(exact).astype(int)
    order = np.lexsort((np.arange(len(p)), -(exact - counts)))
    counts[order[: n - int(counts.sum())]] += 1
    return dict(zip(spec, (int(x) for x in counts), strict=True))


def _shuffled(rng: np.random.Generator, counts: dict[str, int]) -> np.ndarray:
    return rng.permutation(np.repeat(np.array(list(counts), dtype=object), list(counts.values())))


def _reason_codes(text: str, vocabulary: Vocabulary) -> set[str]:
    """The scheme's keyword rules (lower-case substrings; no match → the fallback code)."""
    low = text.casefold()
    hits = {
        t.code for t in vocabulary.terms if not t.fallback and any(k in low for k in t.keywords)
    }
    return hits or {t.code for t in vocabulary.terms if t.fallback}


def _join_names(names: Sequence[str], style: int) -> str:
    if len(names) == 1:
        return names[0]
    if style == 0:
        return ", ".join(names[:-1]) + " og " + names[-1]
    return (", ", "; ", "/")[style % 3].join(names)


# --------------------------------------------------------------------------------------------
# frisklivs_lms: published rows and yearly targets
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Fixed:
    """A grant row: from a published source (:func:`_pub`), or invented to complete a county."""

    county: str
    codes: tuple[str, ...]
    grant: int
    project: str | None = None
    intermunicipal: bool = False
    subgoal: str | None = None  # etablere_fls / etablere_lms when the project name says so
    names: str | None = None  # Kommune(r) as written, when it is not the official name


def _pub(year: int, key: str, *codes: str, **kw) -> _Fixed:
    """The published grant ``key`` of ``year``: its county, amount and (if published) project
    name from ``published_figures.yaml``; the municipality codes of its «kommune» given here."""
    e = published.entry(FLS, year, key)
    project = kw.pop("project", e.get("tiltak"))
    return _Fixed(str(e["county_code"]), codes, int(e["value"]), project, **kw)


_PUBLISHED_ROWS: dict[int, tuple[_Fixed, ...]] = {
    # Rogaland's first-round grantees of 2019 (names published; amounts invented so that the
    # first round is 820 000 of the county's 1 500 000, «om lag 680 000» being left)
    2019: (
        _Fixed("11", ("1127",), 200_000),
        _Fixed("11", ("1130",), 220_000),
        _Fixed("11", ("1149",), 250_000),
        _Fixed("11", ("1119",), 150_000),
    ),
    # Viken's 11 grants of 2022 (grant_viken_01..11), 2 350 000 in all; project names invented
    2022: (
        _pub(2022, "grant_viken_01", "3025"),
        _pub(2022, "grant_viken_02", "3028"),
        _pub(2022, "grant_viken_03", "3001"),
        _pub(2022, "grant_viken_04", "3002"),
        _pub(
            2022,
            "grant_viken_05",
            "3002",
            project="Nettverket Østfold: felles frisklivsarbeid",
            intermunicipal=True,
        ),
        _pub(2022, "grant_viken_06", "3020"),
        _pub(2022, "grant_viken_07", "3007"),
        _pub(2022, "grant_viken_08", "3017"),
        _pub(2022, "grant_viken_09", "3003"),
        _pub(2022, "grant_viken_10", "3018"),
        _pub(2022, "grant_viken_11", "3043"),
    ),
    2023: (
        # Rogaland: the five grantees (2 900 000 in all); Stavanger's amount and the fifth
        # grantee (Karmøy) are invented so that the total is the published one
        _pub(2023, "grant_rogaland_01", "1101", intermunicipal=True, subgoal="etablere_fls"),
        _pub(2023, "grant_rogaland_02", "1151", subgoal="etablere_fls"),
        _pub(2023, "grant_rogaland_03", "1160", subgoal="etablere_fls"),
        _Fixed("11", ("1103",), 900_000, "Utvikle frisklivstilbud til kommende pensjonister"),
        _Fixed("11", ("1149",), 700_000, "Friskliv for unge voksne"),
        # Troms og Finnmark: the 11 grantees, 1 562 500 in all (the 11th name is invented)
        _pub(2023, "grant_troms_og_finnmark_01", "5442"),
        _pub(2023, "grant_troms_og_finnmark_02", "5441"),
        _pub(2023, "grant_troms_og_finnmark_03", "5435"),
        _pub(2023, "grant_troms_og_finnmark_04", "5430"),
        _pub(2023, "grant_troms_og_finnmark_05", "5401"),
        _pub(2023, "grant_troms_og_finnmark_06", "5421"),
        _pub(2023, "grant_troms_og_finnmark_07", "5416"),
        _pub(2023, "grant_troms_og_finnmark_08", "5411"),
        _pub(2023, "grant_troms_og_finnmark_09", "5427"),
        _pub(2023, "grant_troms_og_finnmark_10", "5402"),
        _pub(2023, "grant_troms_og_finnmark_11", "5418"),
        # Innlandet: 14 of the 16 «tiltak» (Øystre Slidre's amount invented)
        _pub(2023, "grant_innlandet_01", "3431"),
        _pub(2023, "grant_innlandet_02", "3416"),
        _pub(2023, "grant_innlandet_03", "3420"),
        _pub(2023, "grant_innlandet_04", "3407"),
        _pub(2023, "grant_innlandet_05", "3414"),
        _pub(2023, "grant_innlandet_06", "3414"),
        _pub(2023, "grant_innlandet_07", "3448"),
        _pub(2023, "grant_innlandet_08", "3415"),
        _pub(2023, "grant_innlandet_09", "3421", subgoal="etablere_lms"),
        _pub(2023, "grant_innlandet_10", "3427"),
        _pub(2023, "grant_innlandet_11", "3443"),
        _pub(2023, "grant_innlandet_12", "3435"),
        _pub(2023, "grant_innlandet_13", "3442"),
        _Fixed("34", ("3453",), 150_000, "Utvikling av frisklivstilbudet"),
    ),
    # Innlandet 2024: five of the ten projects (1 300 000 in all)
    2024: (
        _pub(2024, "grant_innlandet_01", "3429"),
        _pub(2024, "grant_innlandet_02", "3401"),
        _pub(
            2024,
            "grant_innlandet_03",
            "3434",
            "3433",
            intermunicipal=True,
            subgoal="etablere_fls",
            names="Lom og Skjåk",
        ),
        _pub(2024, "grant_innlandet_04", "3447"),
        _pub(2024, "grant_innlandet_05", "3449"),
    ),
}

_MAIN_SUBGOALS = (
    "fremme_helse",
    "forebygge",
    "mestring",
    "samhandling",
    "utvikle_fls",
    "ressursutnyttelse",
    "kompetanse",
)
_ACTORS = ("frisklivssentralen", "andre_kommunale", "frivillige", "spesialist", "annet")


@dataclass(frozen=True)
class _FlsYear:
    year: int
    n: int
    total: int  # all grants of the year
    county_n: dict[str, int]  # rows per county (exact), for some or all counties
    county_total: dict[str, int]  # grant totals per county (exact), for some counties
    intermunicipal: int | float
    collaboration: int | float
    actors: dict[str, int | float]
    target_group: dict[str, int | float]
    offer_type: dict[str, int | float]
    subgoals: dict[str, int | float]
    goal: dict[str, float]
    checkbox_style: int  # 0 label text, 1 «1», 2 «x», 3 «X»
    names_only: float = 0.08  # share of rows with names and no codes


def _subgoals(main: Sequence[float], fls: float, lms: float) -> dict[str, int | float]:
    return {
        **dict(zip(_MAIN_SUBGOALS, main, strict=True)),
        "etablere_fls": fls,
        "etablere_lms": lms,
    }


_MAIN_P = (0.92, 0.88, 0.80, 0.86, 0.80, 0.82, 0.87)


def _actors(fls: float | int, andre: float | int, friv: float, spes: float, annet: float) -> dict:
    return dict(
        frisklivssentralen=fls, andre_kommunale=andre, frivillige=friv, spesialist=spes, annet=annet
    )


def _target(okt: float | int, kronisk: float | int, begge: float | int, annet: float | int) -> dict:
    return {"okt_risiko": okt, "kronisk": kronisk, "begge": begge, "annet": annet}


def _offer(uavh: float | int, spes: float | int, annet: float | int) -> dict:
    return {"diagnoseuavhengig": uavh, "diagnosespesifikk": spes, "annet": annet}


def _goal(oppnadd: float, delvis: float, ikke: float, kan_ikke: float) -> dict:
    return dict(oppnadd=oppnadd, delvis=delvis, ikke_oppnadd=ikke, kan_ikke_vurderes=kan_ikke)


#: Targets per year: ints are exact counts (published figures), floats shares of the rows
#: (synthetic years, drifting over the years so trend statistics have something to find).
_FLS_YEARS: dict[int, _FlsYear] = {
    2019: _FlsYear(
        year=2019, n=118, total=18_000_000,
        county_n={"11": 6}, county_total={"11": _fls(2019, "county_allocation_rogaland")},
        intermunicipal=0.10, collaboration=0.86,
        actors=_actors(0.84, 0.66, 0.50, 0.22, 0.14),
        target_group=_target(0.14, 0.15, 0.52, 0.19),
        offer_type=_offer(0.66, 0.22, 0.12),
        subgoals=_subgoals(_MAIN_P, 0.30, 0.26),
        goal=_goal(0.42, 0.41, 0.05, 0.12),
        checkbox_style=3,
    ),
    2020: _FlsYear(
        year=2020, n=96, total=19_000_000,
        county_n={},
        county_total={"46": _fls(2020, "county_allocation_vestland"),
                      "15": _fls(2020, "county_allocation_more_og_romsdal"),
                      "50": _fls(2020, "county_allocation_trondelag"),
                      "38": _fls(2020, "county_allocation_vestfold_og_telemark_typical")},
        intermunicipal=0.12, collaboration=0.88,
        actors=_actors(0.85, 0.68, 0.46, 0.20, 0.13),
        target_group=_target(0.13, 0.13, 0.55, 0.19),
        offer_type=_offer(0.69, 0.19, 0.12),
        subgoals=_subgoals(_MAIN_P, 0.27, 0.25),
        goal=_goal(0.22, 0.40, 0.08, 0.30),
        checkbox_style=1,
    ),
    2021: _FlsYear(
        year=2021, n=104, total=19_500_000,
        county_n={}, county_total={"38": _fls(2021, "county_allocation_vestfold_og_telemark")},
        intermunicipal=0.14, collaboration=0.90,
        actors=_actors(0.86, 0.70, 0.47, 0.21, 0.13),
        target_group=_target(0.12, 0.11, 0.58, 0.19),
        offer_type=_offer(0.72, 0.17, 0.11),
        subgoals=_subgoals(_MAIN_P, 0.24, 0.23),
        goal=_goal(0.27, 0.43, 0.07, 0.23),
        checkbox_style=0,
    ),
    # published: Helsedirektoratet's report for 2022 (derived counts), Viken's grants, the
    # allocations of Agder, Trøndelag and Vestland; Rogaland's 500 000 is invented (it carried
    # 1,7 mill. over to 2023)
    2022: _FlsYear(
        year=2022, n=_fls(2022, "n_projects"), total=_fls(2022, "national_total_grant"),
        # rows per county invented (109 in all, most in Troms og Finnmark, fewest in Rogaland,
        # as published), but Viken's 11 grantees
        county_n={"03": 7, "11": 4, "15": 9, "18": 10, "30": _fls(2022, "n_grantees_viken"),
                  "34": 11, "38": 10, "42": 9, "46": 12, "50": 10, "54": 16},
        county_total={"30": _fls(2022, "county_granted_total_viken"),
                      "42": _fls(2022, "county_allocation_agder"),
                      "50": _fls(2022, "county_allocation_trondelag"),
                      "46": _fls(2022, "county_allocation_vestland"),
                      "11": 500_000},
        intermunicipal=_fls(2022, "n_intermunicipal"),
        collaboration=_fls(2022, "share_collaboration_projects"),
        actors=_actors(_fls(2022, "share_actor_frisklivssentralen"),
                       _fls(2022, "share_actor_andre_kommunale_tjenester"), 0.48, 0.21, 0.13),
        target_group=_target(12, 8, _fls(2022, "share_target_both"),
                             _fls(2022, "share_target_annet")),
        offer_type=_offer(_fls(2022, "share_diagnoseuavhengig"),
                          _fls(2022, "share_diagnosespesifikk"), _fls(2022, "share_type_annet")),
        # the seven main sub-goals between the published lowest and highest share
        subgoals={"fremme_helse": _fls(2022, "share_delmaal_7_main_max"), "forebygge": 97,
                  "mestring": 90, "samhandling": 93,
                  "utvikle_fls": _fls(2022, "share_delmaal_7_main_min"),
                  "ressursutnyttelse": 88, "kompetanse": 92,
                  "etablere_fls": _fls(2022, "share_delmaal_etablere_frisklivssentral"),
                  "etablere_lms": _fls(2022, "share_delmaal_andre_laerings_mestringstilbud")},
        goal=_goal(0.36, 0.46, 0.04, 0.14),
        checkbox_style=0,
    ),
    # published: Helsedirektoratet's report for 2023 and the county press releases
    2023: _FlsYear(
        year=2023, n=_fls(2023, "n_projects"), total=22_000_000,
        # rows per county invented (most in Vestfold og Telemark, fewest in Rogaland, as
        # published), but the grantees of Rogaland, Troms og Finnmark and Innlandet
        county_n={"03": 11, "11": _fls(2023, "n_grantees_rogaland"), "15": 11, "18": 11,
                  "30": 11, "34": _fls(2023, "n_grantees_innlandet"), "38": 18, "42": 11,
                  "46": 11, "50": 10, "54": _fls(2023, "n_grantees_troms_og_finnmark")},
        # Innlandet: «more than 1 800 000» published; 1 812 500 invented
        county_total={"11": _fls(2023, "county_granted_total_rogaland"),
                      "54": _fls(2023, "county_granted_total_troms_og_finnmark"),
                      "34": 1_812_500,
                      "15": _fls(2023, "county_allocation_more_og_romsdal")},
        intermunicipal=_fls(2023, "share_intermunicipal"), collaboration=0.92,
        actors=_actors(0.88, 0.73, 0.49, 0.22, 0.12),
        target_group=_target(14, 11, _fls(2023, "share_target_both"),
                             _fls(2023, "share_target_annet")),
        # diagnosis-specific: 10 % of 126 is 12 or 13 (13 taken); «annet» the rest
        offer_type=_offer(_fls(2023, "share_diagnoseuavhengig"), 13,
                          _fls(2023, "n_projects") - _fls(2023, "share_diagnoseuavhengig") - 13),
        subgoals=_subgoals((0.93, 0.89, 0.81, 0.86, 0.78, 0.82, 0.85), 0.17, 0.20),
        goal=_goal(0.40, 0.44, 0.04, 0.12),
        checkbox_style=1,
    ),
    2024: _FlsYear(
        year=2024, n=132, total=21_000_000,
        county_n={"34": _fls(2024, "n_grantees_innlandet")},
        county_total={"34": _fls(2024, "county_granted_total_innlandet"),
                      "31": _fls(2024, "county_allocation_ostfold")},
        intermunicipal=0.21, collaboration=0.94,
        actors=_actors(0.89, 0.75, 0.50, 0.24, 0.12),
        target_group=_target(0.08, 0.07, 0.70, 0.15),
        offer_type=_offer(0.90, 0.08, 0.02),
        subgoals=_subgoals(_MAIN_P, 0.13, 0.19),
        goal=_goal(0.43, 0.43, 0.04, 0.10),
        checkbox_style=2,
    ),
}  # fmt: skip

#: Reasons why goal achievement cannot be assessed, with the codes the YAML's keyword rules
#: give them (checked in :func:`_build_fls`) and the years they fit (None: any year).
_REASONS: tuple[tuple[str, frozenset[str], tuple[int, ...] | None], ...] = (
    (
        "Oppstarten ble forsinket fordi vi ikke fikk ansatt prosjektleder i tide.",
        frozenset({"forsinkelse"}),
        None,
    ),
    (
        "Prosjektleder har vært sykemeldt store deler av året.",
        frozenset({"sykdom_permisjon"}),
        None,
    ),
    (
        "Frisklivskoordinator sluttet i mars, og stillingen sto vakant i fire måneder.",
        frozenset({"sykdom_permisjon"}),
        None,
    ),
    (
        "Tiltaket startet i høst, så det er for tidlig å si noe om resultatene.",
        frozenset({"for_kort_tid"}),
        None,
    ),
    ("Prosjektet pågår fortsatt og avsluttes neste år.", frozenset({"for_kort_tid"}), None),
    ("Tiltaket videreføres neste år og blir evaluert da.", frozenset({"for_kort_tid"}), None),
    (
        "For kort prosjektperiode til å se effekter hos deltakerne.",
        frozenset({"for_kort_tid"}),
        None,
    ),
    (
        "Prosjektleder gikk ut i permisjon, og oppstarten ble senere enn planlagt.",
        frozenset({"sykdom_permisjon", "forsinkelse"}),
        None,
    ),
    (
        "Prosjektet kom seint i gang fordi vi ikkje fekk tilsett prosjektleiar.",
        frozenset({"forsinkelse"}),
        None,
    ),
    (
        "Høyt sykefravær i tjenesten ga lite kapasitet til prosjektarbeidet.",
        frozenset({"sykdom_permisjon"}),
        None,
    ),
    ("Vi mangler gode indikatorer for å måle resultatene.", frozenset({"annet"}), None),
    ("Kommunen prioriterte andre oppgaver etter omorganiseringen.", frozenset({"annet"}), None),
    ("Få deltakere meldte seg på kursene.", frozenset({"annet"}), None),
    (
        "Koronapandemien gjorde at gruppetilbudene måtte stenges.",
        frozenset({"pandemi"}),
        (2020, 2021),
    ),
    (
        "Kursene ble utsatt på grunn av covid-19 og smitteverntiltak.",
        frozenset({"forsinkelse", "pandemi"}),
        (2020, 2021),
    ),
    (
        "Nedstengingen gjorde at vi ikke kom i gang med gruppene.",
        frozenset({"pandemi"}),
        (2020, 2021),
    ),
    (
        "Etterslep etter pandemien gjorde at prosjektet ble forsinket.",
        frozenset({"pandemi", "forsinkelse"}),
        (2021, 2022),
    ),
)

_TARGET_OTHER = (
    "Barn og unge",
    "Eldre over 67 år",
    "Innvandrere",
    "Hele befolkningen",
    "Ansatte i kommunen",
    "Personer med psykiske plager",
    "Ungdom 16–25 år",
    "Pårørende",
)
_GENERIC_PROJECTS = (
    "Sterk og stødig",
    "Bra mat for bedre helse",
    "Kurs i mestring av depresjon (KiD)",
    "Hverdagsglede",
    "Søvnkurs i frisklivssentralen",
    "Snus- og røykeslutt",
    "Friskliv senior",
    "Aktiv på dagtid",
    "Trening i grupper for personer med kols",
    "Diabetesskole",
    "Lærings- og mestringskurs for pårørende",
    "Friskliv for unge voksne",
    "Utetrening for alle",
    "Fysisk aktivitet for innvandrerkvinner",
    "Digital frisklivsresept",
    "Tilbud til barn og unge med overvekt",
    "Friskliv på arbeidsplassen",
    "Mestring av kroniske smerter",
    "Helsekurs for personer med utviklingshemming",
    "Seniortrim",
    "Friskliv og mestring",
    "Hjertebra",
    "Mat og mestring",
    "Turgrupper for eldre",
    "Aktivitetsvenn",
    "Hverdagsmestring",
    "Mestre eget liv",
    "Bedre balanse",
)
_PLACE_PROJECTS = (
    "Frisklivssentral i {k}",
    "Videreutvikling av frisklivssentralen i {k}",
    "Friskliv {k}",
    "Frisk i {k}",
    "Aktiv i {k}",
    "Hverdagsmestring i {k}",
    "Helsekurs i {k}",
)
_FLS_NEW = (
    "Etablering av frisklivssentral i {k}",
    "Ny frisklivssentral i {k}",
    "Oppstart av frisklivssentral i {k}",
)
_LMS_NEW = (
    "Etablering av lærings- og mestringstilbud i {k}",
    "Lærings- og mestringskurs i {k}",
    "Mestringskurs for personer med kronisk sykdom i {k}",
)
_INTER = (
    "Interkommunal frisklivssentral for {a} og {b}",
    "Felles frisklivstilbud {a}–{b}",
    "Interkommunalt lærings- og mestringstilbud for {a} og {b}",
)
_BYDELER = (
    "Alna",
    "Bjerke",
    "Frogner",
    "Gamle Oslo",
    "Grorud",
    "Grünerløkka",
    "Nordre Aker",
    "Nordstrand",
    "Sagene",
    "St. Hanshaugen",
    "Stovner",
    "Søndre Nordstrand",
    "Ullern",
    "Vestre Aker",
    "Østensjø",
)
#: One project name a year needs HTML escaping.
_HTML_NAMES = {
    (FLS, 2019): "Mestring & mat <for alle>",
    (FLS, 2020): "Trim & trivsel <65+>",
    (FLS, 2021): "Kropp & sinn <pilot>",
    (FLS, 2022): "Mestring & mat <for alle>",
    (FLS, 2023): "Bevegelse & glede <for alle>",
    (FLS, 2024): "Friskliv & fellesskap <ungdom>",
    (SAM, 2010): "Samhandling <helse & omsorg>",
    (SAM, 2011): "Rehabilitering & mestring <pilot>",
    (SAM, 2012): "Sammen & trygt <hjemme>",
}


def _county_rows(
    rng: np.random.Generator, geo: _Geo, n: int, fixed: dict[str, int]
) -> dict[str, int]:
    """Rows per county: the fixed ones, the rest at least 2 each, drawn ∝ √(municipalities)+2."""
    others = [c for c in geo.by_county if c not in fixed]
    rest = n - sum(fixed.values())
    w = np.array([np.sqrt(len(geo.by_county[c])) + 2 for c in others])
    drawn = rng.multinomial(rest - 2 * len(others), w / w.sum()) + 2 if others else []
    return {**fixed, **dict(zip(others, (int(x) for x in drawn), strict=True))}


def _grants(
    rng: np.random.Generator,
    cfg: _FlsYear,
    county: np.ndarray,
    fixed_grant: np.ndarray,
    heavy: np.ndarray,
) -> np.ndarray:
    """Grants: fixed rows as published, county totals as given, the rest in steps of 5 000."""
    counties = sorted(set(county))
    n_rows = {c: int((county == c).sum()) for c in counties}
    fixed_sum = {c: int(fixed_grant[(county == c) & (fixed_grant > 0)].sum()) for c in counties}
    open_c = [c for c in counties if c not in cfg.county_total]
    left = cfg.total - sum(cfg.county_total.values())
    floor = [
        fixed_sum[c] + 25_000 * (n_rows[c] - int(((county == c) & (fixed_grant > 0)).sum()))
        for c in open_c
    ]
    # the open counties' totals are rounded to 5 000 around their fixed part
    weights = [n_rows[c] * int(rng.integers(80, 121)) for c in open_c]
    extra = _allocate(left - sum(floor), weights, 5_000, 0) if open_c else []
    totals = dict(cfg.county_total)
    totals.update({c: f + int(e) for c, f, e in zip(open_c, floor, extra, strict=True)})
    grant = fixed_grant.astype(np.int64).copy()
    row_w = rng.integers(2, 9, size=len(county)) ** 2 * np.where(heavy, 2, 1)
    for c in counties:
        free = np.flatnonzero((county == c) & (fixed_grant == 0))
        grant[free] = _allocate(totals[c] - fixed_sum[c], row_w[free], 5_000, 25_000)
    return grant


def _build_fls(year: int) -> pd.DataFrame:
    """The truth table of one ``frisklivs_lms`` year (as cleaning should give it), with the
    helper columns (``_codes``, ``_names``, ``_names_only``, ``_fixed``) needed to write it."""
    cfg = _FLS_YEARS[year]
    scheme = load_scheme(FLS)
    rng = _rng(FLS, year, _TRUTH)
    geo = _geo(year)
    fixed_rows = _PUBLISHED_ROWS.get(year, ())
    fixed_n = dict(cfg.county_n)
    for f in fixed_rows:
        fixed_n.setdefault(f.county, 0)
    fixed_n = {c: max(v, sum(f.county == c for f in fixed_rows)) for c, v in fixed_n.items()}
    if len(fixed_n) < len(geo.by_county) and sum(fixed_n.values()) == cfg.n:
        raise AssertionError("county rows leave no room for the other counties")
    per_county = (
        _county_rows(rng, geo, cfg.n, fixed_n)
        if len(cfg.county_n) < len(geo.by_county)
        else fixed_n
    )

    # rows: fixed ones first in each county, then drawn municipalities (unused ones first)
    county, codes, fixed_idx = [], [], []
    for c in sorted(per_county):
        mine = [(i, f) for i, f in enumerate(fixed_rows) if f.county == c]
        for i, f in mine:
            county.append(c)
            codes.append(list(f.codes))
            fixed_idx.append(i)
        m = per_county[c] - len(mine)
        pool = [
            k for k in geo.by_county[c] if k not in {x for _, f in mine for x in f.codes}
        ] or list(geo.by_county[c])
        chosen = rng.choice(pool, size=m, replace=m > len(pool)) if m else []
        for k in chosen:
            county.append(c)
            codes.append([str(k)])
            fixed_idx.append(-1)
    n = len(county)
    county_a = np.array(county, dtype=object)
    fixed = np.array(fixed_idx) >= 0
    fx = [fixed_rows[i] if i >= 0 else None for i in fixed_idx]
    if n != cfg.n:
        raise AssertionError(f"{year}: {n} rows, expected {cfg.n}")

    # intermunicipal projects (never in Oslo) reach 2–4 municipalities of the county
    big = np.array([len(geo.by_county[c]) > 1 for c in county])
    forced = np.array([f is not None and f.intermunicipal for f in fx])
    inter = _pick(rng, n, _count(n, cfg.intermunicipal), eligible=big & ~fixed, forced=forced)
    for i in np.flatnonzero(inter & ~fixed):
        others = [k for k in geo.by_county[county[i]] if k not in codes[i]]
        extra = min(int(rng.choice([1, 1, 2, 2, 3])), len(others))
        codes[i] += [str(k) for k in rng.choice(others, size=extra, replace=False)]
    names_only = ~fixed & (rng.random(n) < cfg.names_only)
    names_only &= np.array([all(geo.safe_names[k] for k in cs) for cs in codes])
    names_only &= county_a != "03"

    collab = _pick(rng, n, _count(n, cfg.collaboration), forced=inter)
    actors = {
        "frisklivssentralen": _pick(rng, n, _count(n, cfg.actors["frisklivssentralen"])),
        "andre_kommunale": _pick(
            rng,
            n,
            min(_count(n, cfg.actors["andre_kommunale"]), int(collab.sum())),
            eligible=collab,
        ),
    }
    for a in ("frivillige", "spesialist", "annet"):
        actors[a] = collab & (rng.random(n) < float(cfg.actors[a]) / 0.9)
    target = _shuffled(rng, _category_counts(n, cfg.target_group))
    target_other = np.where(
        target == "annet", rng.choice(np.array(_TARGET_OTHER, dtype=object), size=n), None
    )
    offer = _shuffled(rng, _category_counts(n, cfg.offer_type))
    subgoals = {}
    for s in _MAIN_SUBGOALS:
        subgoals[s] = _pick(rng, n, _count(n, cfg.subgoals[s]))
    for s in ("etablere_fls", "etablere_lms"):
        hint = np.array([f is not None and f.subgoal == s for f in fx])
        subgoals[s] = _pick(
            rng, n, max(_count(n, cfg.subgoals[s]), int(hint.sum())), eligible=~fixed, forced=hint
        )
    goal = _shuffled(rng, _category_counts(n, cfg.goal))
    reasons = [r for r in _REASONS if r[2] is None or year in r[2]]
    vocab = scheme.vocabularies["goal_reason"]
    for text, codes_expected, _ in _REASONS:
        got = _reason_codes(text, vocab)
        if got != codes_expected:
            raise AssertionError(
                f"keyword rules sort {text!r} as {sorted(got)}, not {sorted(codes_expected)}"
            )
    # the pandemic reasons weigh more in the pandemic years
    weight = np.array(
        [1.0 if r[2] is None else {2020: 4.0, 2021: 2.5}.get(year, 1.0) for r in reasons]
    )
    pick = rng.choice(len(reasons), size=n, p=weight / weight.sum())
    reason_text = np.array(
        [
            reasons[p][0] if g == "kan_ikke_vurderes" else None
            for p, g in zip(pick, goal, strict=True)
        ],
        dtype=object,
    )

    fixed_grant = np.array([f.grant if f else 0 for f in fx], dtype=np.int64)
    heavy = inter | subgoals["etablere_fls"] | subgoals["etablere_lms"]
    grant = _grants(rng, cfg, county_a, fixed_grant, heavy)

    # project names
    projects = []
    for i in range(n):
        f = fx[i]
        places = [_display_name(geo.muni_name[k]) for k in codes[i]]
        if f is not None and f.project:
            projects.append(f.project)
        elif county[i] == "03":
            b = _BYDELER[int(rng.integers(len(_BYDELER)))]
            base = (
                "Frisklivssentral",
                "Hverdagsmestring",
                "Friskliv og mestring",
                "Aktiv på dagtid",
            )
            projects.append(f"{base[int(rng.integers(len(base)))]} i bydel {b}")
        elif inter[i] and len(places) > 1:
            t = _INTER[int(rng.integers(len(_INTER)))]
            projects.append(t.format(a=places[0], b=places[1]))
        elif subgoals["etablere_fls"][i]:
            projects.append(_FLS_NEW[int(rng.integers(len(_FLS_NEW)))].format(k=places[0]))
        elif subgoals["etablere_lms"][i]:
            projects.append(_LMS_NEW[int(rng.integers(len(_LMS_NEW)))].format(k=places[0]))
        elif rng.random() < 0.5:
            projects.append(_GENERIC_PROJECTS[int(rng.integers(len(_GENERIC_PROJECTS)))])
        else:
            projects.append(
                _PLACE_PROJECTS[int(rng.integers(len(_PLACE_PROJECTS)))].format(k=places[0])
            )
    plain = np.flatnonzero(~fixed & ~inter)
    projects[int(plain[int(rng.integers(len(plain)))])] = _HTML_NAMES[(FLS, year)]

    truth = pd.DataFrame(
        {
            "county_code": county_a,
            "municipality_codes": [";".join(sorted(cs)) for cs in codes],
            "project_name": projects,
            "grant_nok": grant,
            "intermunicipal": inter,
            "target_group": target,
            "target_group_other": target_other,
            "offer_type": offer,
            "collaboration": collab,
            **{f"actor.{a}": actors[a] for a in _ACTORS},
            **{
                f"subgoal.{s}": subgoals[s]
                for s in (*_MAIN_SUBGOALS, "etablere_fls", "etablere_lms")
            },
            "goal_achievement": goal,
            "goal_reason_text": reason_text,
            "_codes": [list(cs) for cs in codes],
            "_names": [f.names if f and f.names else None for f in fx],
            "_names_only": names_only,
            "_fixed": fixed,
        }
    )
    _check_fls_truth(truth, cfg, geo)
    order = rng.permutation(n)
    return truth.iloc[order].reset_index(drop=True)


def _check_fls_truth(t: pd.DataFrame, cfg: _FlsYear, geo: _Geo) -> None:
    """The published figures must come out exactly (a wrong seed fails loudly here)."""
    year, n = cfg.year, len(t)
    per_county = t["county_code"].value_counts()
    assert set(per_county.index) == set(geo.by_county), f"{year}: not every county has projects"
    assert int(t["grant_nok"].sum()) == cfg.total, f"{year}: grants sum to {t['grant_nok'].sum()}"
    for c, total in cfg.county_total.items():
        assert int(t.loc[t["county_code"] == c, "grant_nok"].sum()) == total, (
            f"{year}: county {c} total"
        )
    for cs, c in zip(t["_codes"], t["county_code"], strict=True):
        assert all(geo.muni_county[k] == c for k in cs), f"{year}: municipality outside its county"
    assert (t["collaboration"] | ~t["intermunicipal"]).all()
    assert (t["grant_nok"] > 0).all()
    if year == 2022:
        assert n == _fls(2022, "n_projects") and len(per_county) == _fls(2022, "n_counties")
        assert int(t["intermunicipal"].sum()) == _fls(2022, "n_intermunicipal")
        assert int(t["collaboration"].sum()) == _fls(2022, "share_collaboration_projects")
        assert t["target_group"].value_counts()[["begge", "annet"]].tolist() == [
            _fls(2022, "share_target_both"),
            _fls(2022, "share_target_annet"),
        ]
        assert t["offer_type"].value_counts()[
            ["diagnoseuavhengig", "diagnosespesifikk", "annet"]
        ].tolist() == [
            _fls(2022, k)
            for k in ("share_diagnoseuavhengig", "share_diagnosespesifikk", "share_type_annet")
        ]
        assert int(t["actor.frisklivssentralen"].sum()) == _fls(
            2022, "share_actor_frisklivssentralen"
        )
        assert int(t["actor.andre_kommunale"].sum()) == _fls(
            2022, "share_actor_andre_kommunale_tjenester"
        )
        main = [int(t[f"subgoal.{s}"].sum()) for s in _MAIN_SUBGOALS]
        low, high = (_fls(2022, f"share_delmaal_7_main_{m}") for m in ("min", "max"))
        assert min(main) == low and max(main) == high, main
        assert round(100 * low / n) == published.value(FLS, 2022, "share_delmaal_7_main_min")
        assert round(100 * high / n) == published.value(FLS, 2022, "share_delmaal_7_main_max")
        assert int(t["subgoal.etablere_fls"].sum()) == _fls(
            2022, "share_delmaal_etablere_frisklivssentral"
        )
        assert int(t["subgoal.etablere_lms"].sum()) == _fls(
            2022, "share_delmaal_andre_laerings_mestringstilbud"
        )
        top = per_county.sort_values(ascending=False)
        assert top.index[0] == "54" and top.iloc[0] > top.iloc[1], (
            "Troms og Finnmark must have most"
        )
        assert top.index[-1] == "11" and top.iloc[-1] < top.iloc[-2], "Rogaland must have fewest"
        viken = t[t["county_code"] == "30"]
        assert len(viken) == _fls(2022, "n_grantees_viken")
        assert int(viken["grant_nok"].sum()) == _fls(2022, "county_granted_total_viken")
    if year == 2023:
        assert n == _fls(2023, "n_projects") and len(per_county) == _fls(2023, "n_counties")
        assert int(t["intermunicipal"].sum()) == _fls(2023, "share_intermunicipal")
        assert t["target_group"].value_counts()[["begge", "annet"]].tolist() == [
            _fls(2023, "share_target_both"),
            _fls(2023, "share_target_annet"),
        ]
        offer = t["offer_type"].value_counts()
        assert offer["diagnoseuavhengig"] == _fls(2023, "share_diagnoseuavhengig")
        candidates = published.entry(FLS, 2023, "share_diagnosespesifikk")
        assert offer["diagnosespesifikk"] in candidates["derived_count_candidates"]
        assert offer.sum() == n
        top = per_county.sort_values(ascending=False)
        assert top.index[0] == "38" and top.iloc[0] > top.iloc[1], (
            "Vestfold og Telemark must have most"
        )
        assert top.index[-1] == "11" and top.iloc[-1] < top.iloc[-2], "Rogaland must have fewest"
        rog = t[t["county_code"] == "11"]
        assert len(rog) == _fls(2023, "n_grantees_rogaland")
        assert int(rog["grant_nok"].sum()) == _fls(2023, "county_granted_total_rogaland")
        assert len({k for cs in rog["_codes"] for k in cs}) == _fls(2023, "n_grantees_rogaland")
        inn = t[t["county_code"] == "34"]
        assert int(inn["grant_nok"].sum()) > _fls(2023, "county_granted_total_innlandet")
    if year not in (2022, 2023):
        assert 80 <= n <= 140, f"{year}: {n} rows"
    assert len(per_county) == {2019: 18, 2024: 15}.get(year, 11)


# --------------------------------------------------------------------------------------------
# Writing the truth the way people fill in forms
# --------------------------------------------------------------------------------------------
_YES = ("Ja", "ja", "JA", "J", "Yes", "Y", "1", "x", "X", "True", "Sant")
_YES_P = (0.55, 0.1, 0.04, 0.03, 0.03, 0.02, 0.06, 0.03, 0.03, 0.04, 0.07)
_NO = ("Nei", "nei", "N", "No", "0", "False", "Usant")
_NO_P = (0.6, 0.14, 0.04, 0.04, 0.07, 0.05, 0.06)


class _Writer:
    """Turns clean values into what people type, with one rng stream per file."""

    def __init__(self, rng: np.random.Generator, *, xlsx: bool, encoding: str | None):
        self.rng = rng
        self.xlsx = xlsx
        self.encoding = encoding
        self.spaces = (" ", _NBSP) if encoding == "cp1252" else (" ", _NBSP, _THIN)

    def _r(self) -> float:
        return float(self.rng.random())

    def _one(self, options: Sequence[str], p: Sequence[float] | None = None) -> str:
        return options[int(self.rng.choice(len(options), p=p))]

    def pad(self, text: str) -> str:
        r = self._r()
        return (
            f" {text}"
            if r < 0.04
            else f"{text} "
            if r < 0.08
            else f" {text}  "
            if r < 0.10
            else text
        )

    def yesno(self, value: bool) -> object:
        text = self._one(_YES, _YES_P) if value else self._one(_NO, _NO_P)
        if self.xlsx and text in ("1", "0", "True", "False") and self._r() < 0.5:
            return {"1": 1, "0": 0, "True": True, "False": False}[text]
        return self.pad(text)

    def checkbox(self, ticked: bool, label: str, house: int) -> object:
        if not ticked:
            return None
        style = house if self._r() < 0.85 else int(self.rng.integers(4))
        text = (label, "1", "x", "X")[style]
        if self.xlsx and text == "1" and self._r() < 0.5:
            return 1
        return text

    def category(self, code: str, vocabulary: Vocabulary) -> str:
        term = next(t for t in vocabulary.terms if t.code == code)
        r = self._r()
        if r < 0.68 or not term.spellings:
            text = term.label_nb
        elif r < 0.78:
            text = term.code
        else:
            text = self._one(term.spellings)
        r = self._r()
        if r < 0.07:
            text = text.lower()
        elif r < 0.13:
            text = text.upper()
        elif r < 0.19:
            text = text.replace(" ", "  ", 1)
        return self.pad(text)

    def amount(self, nok: int) -> object:
        sep = self._one(self.spaces)
        grouped = f"{nok:,}".replace(",", sep)
        r = self._r()
        if self.xlsx and r < 0.45:
            return int(nok)
        if r < 0.55:
            return str(nok)
        if r < 0.70:
            return grouped
        if r < 0.78:
            return f"{nok:,}".replace(",", ".")
        if r < 0.88:
            return f"kr {grouped},-"
        if r < 0.94 or nok % 100_000:
            return f"{nok} NOK" if self._r() < 0.7 else f"{grouped} kr"
        return f"{nok / 1_000_000:.1f}".replace(".", ",") + " mill."

    def county(self, code: str, geo: _Geo) -> object:
        name = geo.county_names[code]
        alts = [a for a in geo.county_alts[code] if _encodable(a, self.encoding)]
        r = self._r()
        if r < 0.50:
            return self.pad(name)
        if r < 0.62:
            return f"{name} fylkeskommune"
        if r < 0.69:
            return name.lower()
        if r < 0.74:
            return name.upper()
        if r < 0.86 and alts:
            return self._one(alts)
        if r < 0.93:
            return code
        return int(code) if self.xlsx else str(int(code))

    def code(self, code: str) -> str:
        return code[1:] if code.startswith("0") and self._r() < 0.5 else code

    def codes(self, codes: Sequence[str]) -> object:
        if len(codes) == 1:
            if self.xlsx and self._r() < 0.35:
                return int(codes[0])  # Excel drops the leading zero: 0301 → 301
            return self.code(codes[0])
        sep = self._one((", ", ",", "; ", ";", "/", " / ", " "))
        return sep.join(self.code(c) for c in codes)

    def names(self, codes: Sequence[str], geo: _Geo, *, alone: bool) -> str:
        out = []
        for c in codes:
            safe = [x for x in geo.safe_names[c] if _encodable(x, self.encoding)]
            if alone:  # must resolve without the code
                out.append(safe[0] if self._r() < 0.75 or len(safe) == 1 else self._one(safe[1:]))
            else:
                out.append(geo.muni_name[c])
        return _join_names(out, int(self.rng.integers(4)))


def _contact(i: int) -> dict[str, str]:
    return {
        "Kontaktperson": f"Fiktiv Person {i}",
        "E-post": f"fiktiv{i}@eksempel.invalid",
        "Telefon": f"000 00 {i:03d}",
    }


def _respondent_ids(rng: np.random.Generator, n: int, start: int) -> np.ndarray:
    return start + np.cumsum(rng.integers(1, 40, size=n))


def _fls_columns(scheme: Scheme) -> list[str]:
    headers = list(scheme.layouts["questback-2022"].headers)
    at = headers.index("Kommune(r)") + 1
    return [*headers[:at], *_PERSONAL, *headers[at:]]


def _problems(scheme: str, year: int) -> list[PlantedProblem]:
    return [p for p in PLANTED_PROBLEMS if p.scheme == scheme and p.year == year]


def _place_planted(
    t: pd.DataFrame, problems: list[PlantedProblem], geo: _Geo, empty_rows: list[int]
) -> pd.DataFrame:
    """Move a suitable truth row to the position of each planted problem (deterministic)."""
    order = list(range(len(t)))

    def index_of(row: int) -> int:
        return row - 2 - sum(e < row for e in empty_rows)

    targets = {index_of(p.row) for p in problems if p.problem != "empty_response"}
    used: set[int] = set()
    for p in problems:
        if p.problem == "empty_response":
            continue
        single = t["_codes"].map(len) == 1
        ok = ~t["_fixed"] & ~t["_names_only"] & single & ~t["intermunicipal"]
        if p.field == "grant_nok":  # keep the published county totals intact
            ok &= ~t["county_code"].isin(list(_FLS_YEARS[geo.year].county_total))
        if p.field == "county" or p.field == "municipality_codes":
            want = {
                "county": p.cleaned,
                "municipality_codes": geo.muni_county.get(p.cleaned or ""),
            }[p.field]
            ok &= t["county_code"] == want
        if p.field == "municipality_codes":
            ok &= t["municipality_codes"] == p.cleaned
            if not ok.any():  # make one: a Vestland row becomes Bergen
                cand = np.flatnonzero(
                    (
                        ~t["_fixed"]
                        & ~t["_names_only"]
                        & single
                        & ~t["intermunicipal"]
                        & (t["county_code"] == geo.muni_county[p.cleaned])
                    ).to_numpy()
                )
                j = int(cand[0])
                before = _display_name(geo.muni_name[t.at[j, "_codes"][0]])
                after = _display_name(geo.muni_name[p.cleaned])
                t.at[j, "project_name"] = str(t.at[j, "project_name"]).replace(before, after)
                t.at[j, "_codes"] = [p.cleaned]
                t.at[j, "municipality_codes"] = p.cleaned
                ok = pd.Series(False, index=t.index)
                ok.iloc[j] = True
        cand = [
            i
            for i in np.flatnonzero(ok.to_numpy())
            if i not in used and (i not in targets or i == index_of(p.row))
        ]
        if not cand:
            raise AssertionError(f"no row fits planted problem {p}")
        src, dst = cand[0], index_of(p.row)
        order[src], order[dst] = order[dst], order[src]
        t = t.iloc[order].reset_index(drop=True)
        order = list(range(len(t)))
        used.add(dst)
    return t


def _write_fls(year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw export (cells as typed) and the truth (as cleaning should give it)."""
    scheme = load_scheme(FLS)
    kind = DEMO_FILES[FLS][year]
    encoding = "cp1252" if year == 2019 else None
    t = _build_fls(year)
    geo = _geo(year)
    problems = _problems(FLS, year)
    empty_rows = [p.row for p in problems if p.problem == "empty_response"]
    t = _place_planted(t, problems, geo, empty_rows)
    cfg = _FLS_YEARS[year]
    w = _Writer(_rng(FLS, year, _WRITE), xlsx=kind == "xlsx", encoding=encoding)
    vocab = scheme.vocabularies
    headers = scheme.layouts["questback-2022"].headers
    field_header = {f: h for h, f in headers.items()}
    rows: list[dict[str, object]] = []
    for i, r in enumerate(t.itertuples(index=False)):
        rec = dict(zip(t.columns, r, strict=True))
        row: dict[str, object] = {"Fylke": w.county(rec["county_code"], geo)}
        cs = rec["_codes"]
        row["Kommunenummer"] = None if rec["_names_only"] else w.codes(cs)
        if isinstance(rec["_names"], str):  # pandas 3 stores the missing ones as NaN
            row["Kommune(r)"] = rec["_names"]
        elif rec["_names_only"] or w._r() < 0.8:
            row["Kommune(r)"] = w.names(cs, geo, alone=bool(rec["_names_only"]))
        else:
            row["Kommune(r)"] = None
        row.update(_contact(i + 1))
        row["Prosjektnavn"] = rec["project_name"]
        row[field_header["grant_nok"]] = w.amount(int(rec["grant_nok"]))
        row[field_header["intermunicipal"]] = w.yesno(bool(rec["intermunicipal"]))
        row["Målgruppe"] = w.category(rec["target_group"], vocab["target_group"])
        row["Målgruppe - annet, spesifiser"] = rec["target_group_other"]
        row["Type tilbud"] = w.category(rec["offer_type"], vocab["offer_type"])
        row[field_header["collaboration"]] = w.yesno(bool(rec["collaboration"]))
        for f in [
            *(f"actor.{a}" for a in _ACTORS),
            *(f"subgoal.{s}" for s in (*_MAIN_SUBGOALS, "etablere_fls", "etablere_lms")),
        ]:
            h = field_header[f]
            row[h] = w.checkbox(bool(rec[f]), h.split(" - ", 1)[1], cfg.checkbox_style)
        row["Måloppnåelse"] = w.category(rec["goal_achievement"], vocab["goal_achievement"])
        row[field_header["goal_reason_text"]] = rec["goal_reason_text"]
        rows.append(row)
    raw = pd.DataFrame(
        rows, columns=[c for c in _fls_columns(scheme) if c != "Respondent"], dtype=object
    )

    # planted problems: overwrite the cell, and the truth becomes what cleaning should give
    for p in problems:
        if p.problem == "empty_response":
            continue
        i = p.row - 2 - sum(e < p.row for e in empty_rows)
        raw.at[i, p.column] = p.value
        if p.field == "county":
            assert t.at[i, "county_code"] == p.cleaned
        elif p.field == "municipality_codes":
            assert t.at[i, "municipality_codes"] == p.cleaned
            raw.at[i, "Kommune(r)"] = geo.muni_name[p.cleaned]
        else:
            t[p.field] = t[p.field].astype(object)
            t.at[i, p.field] = None
    for e in sorted(empty_rows):
        blank = pd.DataFrame([{c: None for c in raw.columns}], dtype=object)
        raw = pd.concat([raw.iloc[: e - 2], blank, raw.iloc[e - 2 :]], ignore_index=True)
    ids = _respondent_ids(w.rng, len(raw), 4_180_000 + 10_000 * (year - 2019))
    raw.insert(0, "Respondent", ids.astype(int))
    keep = np.ones(len(raw), bool)
    keep[[e - 2 for e in empty_rows]] = False
    t.insert(0, "respondent_id", [str(x) for x in ids[keep]])
    t.insert(0, "_row", np.flatnonzero(keep) + 2)
    return raw, t


# --------------------------------------------------------------------------------------------
# samhandling: one row per application
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _SamRound:
    n: int  # applications
    granted: int  # applications granted
    total: int  # NOK granted in all


@dataclass(frozen=True)
class _SamYear:
    year: int
    rounds: dict[int, _SamRound]
    category_p: dict[str, float]
    partners_p: float
    coverage: int | None = None  # distinct municipalities of all applications (2010)


_SAM_YEARS: dict[int, _SamYear] = {
    2010: _SamYear(
        2010,
        # 236 applications invented; granted and amount published
        {1: _SamRound(236, _sam(2010, "n_projects"), _sam(2010, "total_granted"))},
        {
            "lokalmedisinsk_senter": 0.45,
            "rehabilitering": 0.15,
            "frisklivssentral": 0.12,
            "jordmor": 0.06,
            "barn_unge": 0.07,
            "annet": 0.15,
        },
        0.6,
        coverage=312,  # «over 300» published
    ),
    2011: _SamYear(
        2011,
        # applications and grants per round invented; amounts per round published
        {
            1: _SamRound(296, 152, _sam(2011, "round1_granted")),
            2: _SamRound(118, 47, _sam(2011, "round2_granted")),
        },
        {
            "lokalmedisinsk_senter": 0.35,
            "rehabilitering": 0.20,
            "frisklivssentral": 0.15,
            "jordmor": 0.07,
            "barn_unge": 0.08,
            "annet": 0.15,
        },
        0.55,
    ),
    2012: _SamYear(
        2012,
        {
            1: _SamRound(
                _sam(2012, "n_applications"), _sam(2012, "n_projects"), _sam(2012, "total_granted")
            )
        },
        {
            "lokalmedisinsk_senter": 0.28,
            "rehabilitering": 0.22,
            "frisklivssentral": 0.18,
            "jordmor": 0.08,
            "barn_unge": 0.10,
            "annet": 0.14,
        },
        0.5,
    ),
}


@dataclass(frozen=True)
class _SamFixed:
    county: str
    code: str
    granted: int
    project: str
    category: str
    round: int = 1


#: Published 2011 grants (round not stated for Møre og Romsdal: put in round 1).
_SAM_PUBLISHED: dict[int, tuple[_SamFixed, ...]] = {
    2011: (
        _SamFixed(
            "03",
            "0301",
            _sam(2011, "grant_sagene_lms_oslo"),
            "Sagene lokalmedisinske senter",
            "lokalmedisinsk_senter",
        ),
        _SamFixed(
            "15",
            "1563",
            _sam(2011, "grant_sunndal_dms"),
            "Distriktsmedisinsk senter i Sunndal",
            "lokalmedisinsk_senter",
        ),
        # the other five Møre og Romsdal projects (names and split invented; the county's total
        # and number of projects are published and checked in _check_sam_truth)
        _SamFixed(
            "15", "1505", 1_100_000, "Lokalmedisinsk senter Nordmøre", "lokalmedisinsk_senter"
        ),
        _SamFixed(
            "15",
            "1504",
            900_000,
            "Interkommunal legevakt og observasjonssenger",
            "lokalmedisinsk_senter",
        ),
        _SamFixed(
            "15", "1520", 700_000, "Hverdagsrehabilitering i Ørsta og Volda", "rehabilitering"
        ),
        _SamFixed(
            "15", "1519", 600_000, "Interkommunal jordmortjeneste på Søre Sunnmøre", "jordmor"
        ),
        _SamFixed("15", "1528", 500_000, "Frisklivssentral i Sykkylven", "frisklivssentral"),
    ),
}
#: Counties whose published grants of a round are all their grants that round: the generator
#: grants no other application there in the round of the published ones («Seks ulike
#: prosjekter i Møre og Romsdal får nå støtte», 2011).
_SAM_CLOSED: dict[int, frozenset[str]] = {2011: frozenset({"15"})}
_SAM_PROJECTS = {
    "lokalmedisinsk_senter": (
        "Lokalmedisinsk senter i {k}",
        "Distriktsmedisinsk senter {k}",
        "Forprosjekt lokalmedisinsk senter",
        "Intermediære senger i {k}",
        "Kommunale akuttplasser i {k}",
        "Felles legevakt og observasjonssenger",
        "Interkommunalt helsesamarbeid i {k}-regionen",
    ),
    "rehabilitering": (
        "Hverdagsrehabilitering i {k}",
        "Rehabilitering i hjemmet",
        "Interkommunalt rehabiliteringsteam",
        "Rehabilitering nær hjemmet i {k}",
    ),
    "frisklivssentral": (
        "Frisklivssentral i {k}",
        "Etablering av frisklivssentral",
        "Interkommunal frisklivssentral",
    ),
    "jordmor": (
        "Interkommunal jordmortjeneste i {k}",
        "Jordmor i kommunen",
        "Følgetjeneste for gravide",
    ),
    "barn_unge": (
        "Helsestasjon for ungdom i {k}",
        "Tidlig innsats for barn og unge",
        "Skolehelsetjenesten i {k}",
        "Samhandling om barn med sammensatte behov",
    ),
    "annet": (
        "Samhandling om utskrivningsklare pasienter",
        "Elektronisk meldingsutveksling",
        "Kompetansenettverk for helse- og omsorgspersonell",
        "Lindrende omsorg i {k}",
        "Forebyggende hjemmebesøk",
        "Kommunepsykolog i {k}",
    ),
}
_SAM_COLUMNS = (
    "Saksnr",
    "Fylke",
    "Kommunenr",
    "Søker (kommune)",
    "Samarbeidskommuner",
    "Prosjekt",
    "Kategori",
    "Søkt beløp",
    "Vedtak",
    "Tildelt beløp",
    "Runde",
    "Kontaktperson",
    "E-post",
    "Telefon",
    "Saksbehandler",
)


def _sam_counties(
    rng: np.random.Generator,
    geo: _Geo,
    n: int,
    minimum: int = 2,
    closed: frozenset[str] = frozenset(),
) -> np.ndarray:
    """Applications per county ∝ number of municipalities, at least ``minimum`` each; none in
    the ``closed`` counties."""
    counties = list(geo.by_county)
    w = np.array([0.0 if c in closed else len(geo.by_county[c]) for c in counties])
    least = np.array([0 if c in closed else minimum for c in counties])
    return rng.multinomial(n - int(least.sum()), w / w.sum()) + least


def _build_sam(year: int) -> pd.DataFrame:
    """The truth table of one ``samhandling`` year: one row per application."""
    cfg = _SAM_YEARS[year]
    rng = _rng(SAM, year, _TRUTH)
    geo = _geo(year)
    counties = list(geo.by_county)
    fixed = _SAM_PUBLISHED.get(year, ())
    cover: dict[str, list[str]] = {}
    if cfg.coverage:
        # 2010: the applications together reach exactly `coverage` municipalities (Oslo among them)
        all_codes = [k for c in counties for k in geo.by_county[c] if k != "0301"]
        chosen = {
            "0301",
            *(str(k) for k in rng.choice(all_codes, size=cfg.coverage - 1, replace=False)),
        }
        cover = {c: [k for k in geo.by_county[c] if k in chosen] for c in counties}
    parts = []
    for rnd, rc in cfg.rounds.items():
        fixed_r = [f for f in fixed if f.round == rnd]
        n_free = rc.n - len(fixed_r)
        if cfg.coverage:  # one granted project per county at least, never more than it covers
            w = np.array([len(cover[c]) - 1 for c in counties], dtype=float)
            per_c = rng.multinomial(rc.granted - len(counties), w / w.sum()) + 1
            assert all(k <= len(cover[c]) for k, c in zip(per_c, counties, strict=True))
        else:
            closed = frozenset(f.county for f in fixed_r) & _SAM_CLOSED.get(year, frozenset())
            per_c = _sam_counties(
                rng, geo, rc.granted - len(fixed_r), minimum=1 if rnd == 1 else 0, closed=closed
            )
        granted_county = np.repeat(np.array(counties, dtype=object), per_c)
        refused_county = np.repeat(
            np.array(counties, dtype=object),
            _sam_counties(rng, geo, n_free - len(granted_county), minimum=0),
        )
        county = np.concatenate([[f.county for f in fixed_r], granted_county, refused_county])
        granted = np.zeros(len(county), bool)
        granted[: rc.granted] = True
        fx = np.zeros(len(county), bool)
        fx[: len(fixed_r)] = True
        parts.append(
            pd.DataFrame(
                {
                    "county_code": county,
                    "granted": granted,
                    "round": rnd,
                    "_fixed": fx,
                    "_fixed_i": [*range(len(fixed_r)), *[-1] * (len(county) - len(fixed_r))],
                }
            )
        )
    t = pd.concat(parts, ignore_index=True)
    n = len(t)

    # municipalities: applicant and partners in the applicant's county
    applicant = np.empty(n, dtype=object)
    partners: list[list[str]] = [[] for _ in range(n)]
    fixed_list = [f for rnd in cfg.rounds for f in fixed if f.round == rnd]
    for c in counties:
        rows_g = np.flatnonzero(((t["county_code"] == c) & t["granted"]).to_numpy())
        rows_r = np.flatnonzero(((t["county_code"] == c) & ~t["granted"]).to_numpy())
        munis = cover[c] if cfg.coverage else list(geo.by_county[c])
        if cfg.coverage:
            if len(rows_g) > len(munis) or (munis and not len(rows_g)):
                raise AssertionError(
                    f"2010: county {c} has {len(rows_g)} grants for {len(munis)} municipalities"
                )
            shuffled = [str(x) for x in rng.permutation(munis)]
            applicant[rows_g] = shuffled[: len(rows_g)]
            for k in shuffled[len(rows_g) :]:  # every other municipality joins one granted project
                partners[int(rows_g[int(rng.integers(len(rows_g)))])].append(k)
        else:
            applicant[rows_g] = [str(x) for x in rng.choice(munis, size=len(rows_g))]
            for i in rows_g:
                if len(munis) > 1 and rng.random() < cfg.partners_p:
                    others = [k for k in munis if k != applicant[i]]
                    m = min(int(rng.choice([1, 1, 2, 2, 3, 4, 6])), len(others))
                    partners[i] = [str(x) for x in rng.choice(others, size=m, replace=False)]
        applicant[rows_r] = [str(x) for x in rng.choice(munis, size=len(rows_r))]
        for i in rows_r:
            if len(munis) > 1 and rng.random() < cfg.partners_p * 0.8:
                others = [k for k in munis if k != applicant[i]]
                m = min(int(rng.choice([1, 1, 2, 3])), len(others))
                partners[i] = [str(x) for x in rng.choice(others, size=m, replace=False)]
    for i in np.flatnonzero(t["_fixed"].to_numpy()):
        f = fixed_list[int(t.at[i, "_fixed_i"])]
        applicant[i] = f.code
        keep = not f.project.startswith(("Sagene", "Frisklivssentral"))
        partners[i] = [k for k in partners[i] if k != f.code] if keep else []

    # categories, amounts
    cats = np.array(list(cfg.category_p), dtype=object)
    p = np.array(list(cfg.category_p.values()))
    category = rng.choice(cats, size=n, p=p / p.sum())
    granted_nok = np.zeros(n, dtype=np.int64)
    for rnd, rc in cfg.rounds.items():
        in_round = (t["round"] == rnd).to_numpy()
        fixed_g = np.array([fixed_list[int(j)].granted if j >= 0 else 0 for j in t["_fixed_i"]])
        free = np.flatnonzero(in_round & t["granted"].to_numpy() & ~t["_fixed"].to_numpy())
        fixed_sum = int(fixed_g[in_round & t["_fixed"].to_numpy()].sum())
        w = rng.integers(2, 9, size=len(free)) ** 2 * (
            1 + np.array([len(partners[i]) > 0 for i in free])
        )
        granted_nok[free] = _allocate(rc.total - fixed_sum, w, 10_000, 50_000)
        fx_rows = np.flatnonzero(in_round & t["_fixed"].to_numpy())
        granted_nok[fx_rows] = fixed_g[fx_rows]
    for i in np.flatnonzero(t["_fixed"].to_numpy()):
        category[i] = fixed_list[int(t.at[i, "_fixed_i"])].category
    factor = rng.integers(100, 221, size=n)
    applied = np.where(
        t["granted"].to_numpy(),
        -(-granted_nok * factor // 100 // 10_000) * 10_000,  # rounded up: never below the grant
        rng.integers(10, 250, size=n) * 10_000,
    )
    applied = np.maximum(applied, granted_nok)
    projects = []
    for i in range(n):
        if t.at[i, "_fixed"]:
            projects.append(fixed_list[int(t.at[i, "_fixed_i"])].project)
            continue
        options = _SAM_PROJECTS[category[i]]
        projects.append(
            options[int(rng.integers(len(options)))].format(
                k=_display_name(geo.muni_name[applicant[i]])
            )
        )
    free_rows = np.flatnonzero(~t["_fixed"].to_numpy())
    projects[int(free_rows[int(rng.integers(len(free_rows)))])] = _HTML_NAMES[(SAM, year)]

    t["municipality_code"] = applicant
    t["partner_municipalities"] = [";".join(sorted(ps)) if ps else None for ps in partners]
    t["_partners"] = partners
    t["project_name"] = projects
    t["category"] = category
    t["applied_nok"] = applied
    t["decision"] = np.where(t["granted"], "innvilget", "avslatt")
    t["granted_nok"] = granted_nok
    t["intermunicipal"] = [bool(ps) for ps in partners]
    _check_sam_truth(t, cfg, geo)
    # the ministry's list is sorted by county; case numbers follow the order of arrival
    arrival = np.lexsort((rng.permutation(n), t["round"].to_numpy()))  # round 2 arrived later
    seq = np.empty(n, dtype=np.int64)
    seq[arrival] = np.sort(rng.choice(np.arange(100, 100 + 8 * n), size=n, replace=False))
    t["_seq"] = seq
    t = t.sort_values(["round", "county_code", "_seq"], kind="stable").reset_index(drop=True)
    for p in _problems(SAM, year):  # a plain granted application must sit on the planted row
        i = p.row - 2
        fits = (
            t["granted"]
            & ~t["_fixed"]
            & (t["granted_nok"] >= 200_000)
            & ~t["project_name"].isin(list(_HTML_NAMES.values()))
        )
        same = (t["round"] == t.at[i, "round"]) & (t["county_code"] == t.at[i, "county_code"])
        if not fits.iloc[i]:
            j = int(np.flatnonzero((fits & same).to_numpy())[0])
            t.loc[[i, j], "_seq"] = t.loc[[j, i], "_seq"].to_numpy()
            t = t.sort_values(["round", "county_code", "_seq"], kind="stable").reset_index(
                drop=True
            )
    t["application_id"] = [f"{year % 100:02d}/{s:05d}" for s in t["_seq"]]
    return t


def _check_sam_truth(t: pd.DataFrame, cfg: _SamYear, geo: _Geo) -> None:
    year = cfg.year
    assert t["county_code"].nunique() == 19
    for rnd, rc in cfg.rounds.items():
        r = t[t["round"] == rnd]
        assert len(r) == rc.n and int(r["granted"].sum()) == rc.granted, f"{year} round {rnd}"
        assert int(r.loc[r["granted"], "granted_nok"].sum()) == rc.total, (
            f"{year} round {rnd} total"
        )
    assert (t["applied_nok"] >= t["granted_nok"]).all()
    assert (t.loc[~t["granted"], "granted_nok"] == 0).all()
    for a, ps, c in zip(t["municipality_code"], t["_partners"], t["county_code"], strict=True):
        assert geo.muni_county[a] == c and all(geo.muni_county[k] == c for k in ps)
    g = t[t["granted"]]
    reached = set(g["municipality_code"]) | {k for ps in g["_partners"] for k in ps}
    if year == 2012:
        assert len(t) == _sam(2012, "n_applications")
        assert int(t["granted"].sum()) == _sam(2012, "n_projects")
        assert int(g["granted_nok"].sum()) == _sam(2012, "total_granted")
    if year == 2011:
        # the six published projects are Møre og Romsdal's grants of their round (the county
        # may have other grants in the other round, which the source does not speak of)
        fixed_round = int(g.loc[(g["county_code"] == "15") & g["_fixed"], "round"].iloc[0])
        mr = g[(g["county_code"] == "15") & (g["round"] == fixed_round)]
        assert bool(mr["_fixed"].all())
        assert len(mr) == _sam(2011, "n_projects_more_og_romsdal")
        assert int(mr["granted_nok"].sum()) == _sam(2011, "county_total_more_og_romsdal")
    if year == 2010:
        everyone = set(t["municipality_code"]) | {k for ps in t["_partners"] for k in ps}
        assert int(t["granted"].sum()) == _sam(2010, "n_projects")
        assert int(g["granted_nok"].sum()) == _sam(2010, "total_granted")
        assert len(reached) == len(everyone) == cfg.coverage
        assert 5 <= len(reached) - _sam(2010, "n_municipalities_covered") <= 30  # «over 300»


def _write_sam(year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    scheme = load_scheme(SAM)
    t = _build_sam(year)
    geo = _geo(year)
    w = _Writer(_rng(SAM, year, _WRITE), xlsx=True, encoding=None)
    vocab = scheme.vocabularies
    problems = _problems(SAM, year)
    rows = []
    for i, r in enumerate(t.to_dict("records")):
        ps = r["_partners"]
        partner_text = None
        if ps:
            items = []
            for k in ps:
                safe = geo.safe_names[k]
                use_name = bool(safe) and w._r() < 0.75
                items.append(safe[0] if use_name else w.code(k))
            partner_text = _join_names(items, int(w.rng.integers(4)))
        decision = vocab["decision"]
        granted_cell: object
        if r["granted"]:
            granted_cell = w.amount(int(r["granted_nok"]))
        else:
            granted_cell = 0 if w._r() < 0.5 else None
        rnd: object = r["round"]
        if year != 2011:
            rnd = None if w._r() < 0.85 else 1
        elif rnd == 1 and w._r() < 0.15:
            rnd = None
        elif w._r() < 0.3:
            rnd = str(rnd)
        rows.append(
            {
                "Saksnr": r["application_id"],
                "Fylke": w.county(r["county_code"], geo),
                "Kommunenr": int(r["municipality_code"])
                if w._r() < 0.6
                else r["municipality_code"],
                "Søker (kommune)": geo.muni_name[r["municipality_code"]],
                "Samarbeidskommuner": partner_text,
                "Prosjekt": r["project_name"],
                "Kategori": w.category(r["category"], vocab["category"]),
                "Søkt beløp": w.amount(int(r["applied_nok"])),
                "Vedtak": w.category(r["decision"], decision),
                "Tildelt beløp": granted_cell,
                "Runde": rnd,
                **_contact(i + 1),
                "Saksbehandler": f"Fiktiv Saksbehandler {int(w.rng.integers(1, 7))}",
            }
        )
    raw = pd.DataFrame(rows, columns=list(_SAM_COLUMNS), dtype=object)
    for p in problems:
        i = p.row - 2
        if p.problem == "granted_above_applied":
            ok = t["granted"] & ~t["_fixed"] & (t["granted_nok"] >= 200_000)
            assert ok.iloc[i], f"planted row {p.row} is not a plain granted application"
            lower = int(t.at[i, "granted_nok"]) - 50_000
            t.at[i, "applied_nok"] = lower
            raw.at[i, "Søkt beløp"] = lower
            raw.at[i, "Tildelt beløp"] = int(t.at[i, "granted_nok"])
    t.insert(0, "_row", np.arange(len(t)) + 2)
    return raw, t


# --------------------------------------------------------------------------------------------
# Files: CSV as Excel writes it, xlsx with fixed properties and a stable zip
# --------------------------------------------------------------------------------------------
def _kr(nok: int) -> str:
    """``1500000`` → ``1 500 000 kr`` (plain spaces, as the files' notes have it)."""
    return f"{nok:,} kr".replace(",", " ")


def _n(scheme: str, year: int, key: str) -> str:
    return str(published.count(scheme, year, key))


def _f(year: int, key: str) -> str:
    return _kr(_fls(year, key))


def _s(year: int, key: str) -> str:
    return _kr(_sam(year, key))


#: What is real in each file, with the published figures from ``published_figures.yaml``.
_ABOUT = {
    (FLS, 2019): "Ingen tall er publisert for hele 2019. Rogalands ramme "
    f"({_f(2019, 'county_allocation_rogaland')}) og de fire kommunene i første runde "
    "(Randaberg, Strand, Karmøy, Hå) er publisert; beløpene er oppdiktet.",
    (FLS, 2020): "Ingen tall er publisert for hele 2020. Fylkesrammene for Vestland "
    f"({_f(2020, 'county_allocation_vestland')}), Møre og Romsdal "
    f"({_f(2020, 'county_allocation_more_og_romsdal')}), Trøndelag "
    f"({_f(2020, 'county_allocation_trondelag')}) og Vestfold og Telemark "
    f"(ca. {_f(2020, 'county_allocation_vestfold_og_telemark_typical')}) er brukt som fylkenes "
    "summer.",
    (FLS, 2021): "Ingen tall er publisert for hele 2021. Rammen for Vestfold og Telemark "
    f"({_f(2021, 'county_allocation_vestfold_og_telemark')}) er brukt som fylkets sum.",
    (FLS, 2022): "Ekte (publisert av Helsedirektoratet for 2022): "
    f"{_n(FLS, 2022, 'n_projects')} prosjekter i {_n(FLS, 2022, 'n_counties')} fylker, "
    f"{_f(2022, 'national_total_grant')}, andelene for interkommunale prosjekter, målgruppe, "
    "type tilbud, samarbeid, aktører og delmål, flest prosjekter i Troms og Finnmark og færrest i "
    f"Rogaland; Vikens {_n(FLS, 2022, 'n_grantees_viken')} tildelinger "
    f"({_f(2022, 'county_granted_total_viken')}); fylkesrammene for Agder, Trøndelag og Vestland.",
    (FLS, 2023): "Ekte (publisert for 2023): "
    f"{_n(FLS, 2023, 'n_projects')} prosjekter i {_n(FLS, 2023, 'n_counties')} fylker, andelene "
    "for interkommunale prosjekter, målgruppe og type tilbud, flest prosjekter i Vestfold og "
    "Telemark og færrest i Rogaland; Rogalands fem tildelinger "
    f"({_f(2023, 'county_granted_total_rogaland')}), Troms og Finnmarks "
    f"{_n(FLS, 2023, 'n_grantees_troms_og_finnmark')} tildelinger "
    f"({_f(2023, 'county_granted_total_troms_og_finnmark')}), Innlandets tiltak og Møre og "
    f"Romsdals ramme ({_f(2023, 'county_allocation_more_og_romsdal')}).",
    (FLS, 2024): "Ingen tall er publisert for hele 2024. Innlandets "
    f"{_n(FLS, 2024, 'n_grantees_innlandet')} prosjekter "
    f"({_f(2024, 'county_granted_total_innlandet')}, fem av dem med navn og beløp) og Østfolds "
    f"ramme ({_f(2024, 'county_allocation_ostfold')}) er brukt.",
    (SAM, 2010): f"Ekte (publisert av HOD): {_n(SAM, 2010, 'n_projects')} innvilgede prosjekter, "
    f"{_s(2010, 'total_granted')}, over {_n(SAM, 2010, 'n_municipalities_covered')} kommuner. "
    "Antall søknader er ikke publisert: søknadstallet her er syntetisk.",
    (SAM, 2011): f"Ekte (publisert av HOD): {_s(2011, 'round1_granted')} i første runde og "
    f"{_s(2011, 'round2_granted')} i andre runde ({_s(2011, 'ks_grant')} til KS er ikke med); "
    f"Sagene lokalmedisinske senter ({_s(2011, 'grant_sagene_lms_oslo')}) og Møre og Romsdals "
    f"seks prosjekter ({_s(2011, 'county_total_more_og_romsdal')}, Sunndal "
    f"{_s(2011, 'grant_sunndal_dms')}). Antall søknader er ikke publisert: søknadstallene her er "
    "syntetiske.",
    (SAM, 2012): f"Ekte (publisert av HOD): {_n(SAM, 2012, 'n_applications')} søknader, "
    f"{_n(SAM, 2012, 'n_projects')} innvilgede prosjekter, {_s(2012, 'total_granted')}.",
}


def _about_lines(scheme: str, year: int) -> list[str]:
    problems = _problems(scheme, year)
    planted = "; ".join(
        f"rad {p.row}{f', «{p.column}»' if p.column else ''}: {p.note_nb}" for p in problems
    )
    return [
        "Om dataene",
        "Dette er syntetiske demodata, ikke ekte rapporter.",
        "Filen er laget av kommandoen «evalkit demo» (modulen evalkit.demo) og blir byte for byte lik hver gang.",
        "Radene er oppdiktet: de er ikke rapporter fra kommuner eller fylker. Navn, e-postadresser og "
        "telefonnumre er fiktive.",
        "Bare de publiserte totalene er ekte. " + _ABOUT[(scheme, year)],
        "Bevisst feil for datakvalitetsrapporten: " + (planted or "ingen") + ".",
        "Se data/demo/README.md.",
    ]


def _csv_bytes(raw: pd.DataFrame, sep: str, encoding: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(raw.columns)
    for row in raw.itertuples(index=False):
        writer.writerow(
            ["" if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in row]
        )
    return buf.getvalue().encode(encoding)  # strict: an unencodable character fails here


def _xlsx_bytes(raw: pd.DataFrame, sheet: str, about: list[str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(raw.columns))
    for row in raw.itertuples(index=False):
        ws.append(
            [
                None
                if v is None or (isinstance(v, float) and np.isnan(v))
                else (int(v) if isinstance(v, np.integer) else v)
                for v in row
            ]
        )
    info = wb.create_sheet("Om dataene")
    for line in about:
        info.append([line])
    info.column_dimensions["A"].width = 120
    props = wb.properties
    props.creator = "evalkit demo"
    props.lastModifiedBy = "evalkit demo"
    props.title = "Syntetiske demodata"
    props.description = "Syntetiske data laget av evalkit demo; ikke ekte rapporter."
    props.created = _FIXED_TIME
    props.modified = _FIXED_TIME
    first = io.BytesIO()
    with zipfile.ZipFile(first, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()  # not save_workbook: it stamps «modified» with now
    return _stable_zip(first.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """Rewrite a zip with sorted entries, a fixed timestamp and fixed attributes, stored
    uncompressed so the bytes do not depend on the zlib build (git compresses them anyway)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in sorted(src.namelist()):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
_TRUTH_COLUMNS = {
    FLS: [
        "_row",
        "respondent_id",
        "county_code",
        "municipality_codes",
        "project_name",
        "grant_nok",
        "intermunicipal",
        "target_group",
        "target_group_other",
        "offer_type",
        "collaboration",
        *(f"actor.{a}" for a in _ACTORS),
        *(f"subgoal.{s}" for s in (*_MAIN_SUBGOALS, "etablere_fls", "etablere_lms")),
        "goal_achievement",
        "goal_reason_text",
    ],
    SAM: [
        "_row",
        "application_id",
        "county_code",
        "municipality_code",
        "partner_municipalities",
        "project_name",
        "category",
        "applied_nok",
        "decision",
        "granted_nok",
        "round",
        "granted",
        "intermunicipal",
    ],
}


def _raw_and_truth(scheme: str, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    if scheme == FLS:
        return _write_fls(year)
    if scheme == SAM:
        return _write_sam(year)
    raise ValueError(f"no demo data for scheme {scheme!r}")


def truth(scheme: str, year: int) -> pd.DataFrame:
    """What cleaning the demo export of ``scheme`` ``year`` should give (kept rows only).

    Built in memory from the same seeds as the files; ``_row`` is the row in the file. The
    planted problems are already applied (a cell set to missing is ``None`` here).
    """
    raw, t = _raw_and_truth(scheme, year)
    out = t[_TRUTH_COLUMNS[scheme]].copy()
    if scheme == FLS:
        reasons = load_scheme(FLS).vocabularies["goal_reason"]
        for code in reasons.codes:
            out[f"goal_reason.{code}"] = [
                None if pd.isna(txt) else code in _reason_codes(txt, reasons)
                for txt in out["goal_reason_text"]
            ]
    return out.reset_index(drop=True)


def _readme(rows: dict[tuple[str, int], int]) -> str:
    lines = [
        "# Demodata (syntetiske) / Demo data (synthetic)",
        "",
        "**Norsk.** Alle filene i denne mappen er **syntetiske**: de er laget av `evalkit demo`",
        "(`evalkit.demo.generate`) med faste frø og blir byte for byte like på hver maskin. Radene er ikke",
        "ekte rapporter fra kommuner, fylker eller departementet; navn, e-postadresser og telefonnumre",
        "(«Fiktiv Person 17», `fiktiv17@eksempel.invalid`) er fiktive. Bare de publiserte totalene nedenfor",
        "er ekte; alt annet er oppdiktet, men satt sammen slik at tallene stemmer. `SYNTHETIC.txt` merker",
        "mappen som syntetisk, og alle dokumenter laget fra den sier det. Hver .xlsx-fil har et ark",
        "«Om dataene» som sier det samme. Ikke rediger filene for hånd: kjør `evalkit demo` (eller `make demo`).",
        "",
        "**English.** Every file in this folder is **synthetic**, made by `evalkit demo`",
        "(`evalkit.demo.generate`) from fixed seeds, byte for byte the same on every machine. The rows",
        "are not real reports; names, e-mail addresses and phone numbers are fictitious. Only the",
        "published totals listed below are real; everything else is invented so that they come out",
        "exactly. Do not edit the files by hand: rerun `evalkit demo`.",
        "",
        "## Files / Filer",
        "",
        "| file | layout | format | rows |",
        "|---|---|---|---|",
    ]
    for scheme, years in DEMO_FILES.items():
        layout = "questback-2022" if scheme == FLS else "hod-2012"
        for year, kind in years.items():
            fmt = (
                {2019: "CSV `;`, Windows-1252", 2020: "CSV `,`, UTF-8 with BOM"}.get(year)
                if scheme == FLS
                else None
            )
            n = rows[(scheme, year)]
            real = (scheme, year) in {(FLS, 2022), (FLS, 2023), (SAM, 2012)}
            count = f"{n} (published)" if real else f"{n} (synthetic)"
            if any(q.problem == "empty_response" for q in _problems(scheme, year)):
                count += ", one of them an empty response"
            lines.append(f"| `{scheme}/{year}.{kind}` | `{layout}` | {fmt or 'xlsx'} | {count} |")
    lines += [
        "",
        "## Real and invented / Ekte og oppdiktet",
        "",
        "Sources: `published_figures.yaml` (Helsedirektoratet's yearly reports, county press releases, HOD",
        "press releases).",
        "",
    ]
    for (scheme, year), text in _ABOUT.items():
        lines.append(f"- **{scheme} {year}**: {text}")
    lines += [
        "",
        "Invented everywhere: project-level answers (target group, offer type, actors, sub-goals, goal",
        "achievement and reasons) except the totals above, project names where none was published, the",
        "municipalities of unpublished rows, amounts of unpublished rows (county and national totals",
        "are kept), respondent ids and case numbers. The national totals of 2019–2021, 2023 and 2024 are",
        "invented. The Eigersund 2023 row is intermunicipal but lists only Eigersund, so Rogaland has",
        "five municipalities.",
        "",
        "## Planted problems / Bevisst feil",
        "",
        "Cells broken on purpose so the data-quality report has something to show",
        "(`evalkit.demo.PLANTED_PROBLEMS`). Row = row in the file, header = row 1.",
        "",
        "| file | row | column | value | expected flag | action | afterwards |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in PLANTED_PROBLEMS:
        kind = DEMO_FILES[p.scheme][p.year]
        value = (
            f"`{p.value}`"
            if p.value
            else "(granted > applied)"
            if p.problem == "granted_above_applied"
            else "(empty row)"
        )
        geo = _geo(p.year)
        after = {
            "set_missing": "missing",
            "excluded": "row excluded",
            "noted": "kept, flagged",
            "mapped": f"county {p.cleaned} ({geo.county_names.get(p.cleaned or '', '')}, from the codes)",
        }[p.action]
        if p.field == "municipality_codes":
            after = (
                f"code missing; {p.cleaned} ({geo.muni_name[p.cleaned or '']}) from «Kommune(r)»"
            )
        lines.append(
            f"| `{p.scheme}/{p.year}.{kind}` | {p.row} | {p.column or '(whole row)'} | {value} | "
            f"`{p.problem}` | {p.action} | {after} |"
        )
    lines.append("")
    return "\n".join(lines)


_MARKER_TEXT = (
    "Syntetiske demodata laget av «evalkit demo» – ikke ekte rapporter.\n"
    "Synthetic demo data made by `evalkit demo` - not real reports.\n"
)


def _write_if_changed(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return path


def generate(out_dir: Path | str = "data/demo") -> list[Path]:
    """Write the synthetic demo exports of every scheme and year to ``out_dir``.

    Writes ``frisklivs_lms/2019.csv`` (``;``, Windows-1252), ``2020.csv`` (``,``, UTF-8 with
    BOM), ``2021.xlsx`` … ``2024.xlsx``, ``samhandling/2010.xlsx`` … ``2012.xlsx``, a
    ``README.md`` and the marker ``SYNTHETIC.txt``. The bytes are the same on every run.

    Parameters
    ----------
    out_dir : Path or str
        Folder to write to (created if needed).

    Returns
    -------
    list of Path
        The files written, in a fixed order.

    Raises
    ------
    AssertionError
        When a truth table misses a published figure (it never should).
    """
    out = Path(out_dir)
    written = []
    rows: dict[tuple[str, int], int] = {}
    for scheme, years in DEMO_FILES.items():
        for year, kind in years.items():
            raw, _ = _raw_and_truth(scheme, year)
            path = out / scheme / f"{year}.{kind}"
            if kind == "xlsx":
                sheet = "Rapporter" if scheme == FLS else "Søknader"
                data = _xlsx_bytes(raw, sheet, _about_lines(scheme, year))
            elif year == 2019:
                data = _csv_bytes(raw, ";", "cp1252")
            else:
                data = _csv_bytes(raw, ",", "utf-8-sig")
            written.append(_write_if_changed(path, data))
            rows[(scheme, year)] = len(raw)
            log.info("wrote %s (%d rows)", path, len(raw))
    written.append(_write_if_changed(out / "README.md", _readme(rows).encode("utf-8")))
    written.append(_write_if_changed(out / SYNTHETIC_MARKER, _MARKER_TEXT.encode("utf-8")))
    return written
