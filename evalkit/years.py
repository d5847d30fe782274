"""The years a document may name: those the reference tables cover, each compared year once.

Standard library only, so that the command line checks a year before anything heavy is
imported (a cached document is served without pandas). :mod:`evalkit.geography` and
:mod:`evalkit.evaluation` use these same checks.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources

from evalkit.errors import EvalkitError, ParameterError

#: The reference tables whose ``valid_from`` dates bound the years covered.
_TABLES = ("fylker.csv", "kommuner.csv")


@functools.cache
def covered_years() -> tuple[int, int]:
    """The first and last year the bundled county and municipality tables cover."""
    years = []
    for name in _TABLES:
        with resources.files("evalkit").joinpath("reference", name).open(encoding="utf-8") as fh:
            years.extend(int(row["valid_from"][:4]) for row in csv.DictReader(fh))
    return min(years), max(years)


def check_year_covered(year: int) -> None:
    """Refuse a year the reference tables do not cover (its counties would be unknown)."""
    first, last = covered_years()
    if not first <= int(year) <= last:
        raise EvalkitError(
            f"The year {year} is outside the years evalkit's county and municipality tables "
            f"cover ({first}–{last}). Check the year; for a later year, update the tables in "
            "evalkit/reference/ (SSB classifications 104 and 131)."
        )


def check_compare_with(year: int, compare_with: list[int] | None) -> None:
    """Refuse comparing a year with itself, or naming a year twice."""
    if not compare_with:
        return
    if int(year) in {int(y) for y in compare_with}:
        raise ParameterError(
            f"compare_with names {year}, the year of the document itself; compare with "
            "earlier or later years (or leave compare_with out for the latest earlier year)."
        )
    seen: set[int] = set()
    twice = sorted({int(y) for y in compare_with if int(y) in seen or seen.add(int(y))})
    if twice:
        raise ParameterError(
            f"compare_with names {', '.join(map(str, twice))} more than once; name each year once."
        )
