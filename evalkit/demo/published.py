"""The published figures the demo data are calibrated from: ``published_figures.yaml``.

The YAML beside this module is the one copy in the repository of every published figure with
its source (Helsedirektoratet's yearly reports, county press releases, HOD press releases); it
comes from the project's shared collection. The generator takes each published number from it,
so a corrected figure there changes the demo data (rerun ``evalkit demo``) and no number is
written twice.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml

#: The file name, in this package.
FILENAME = "published_figures.yaml"


@functools.cache
def load() -> dict[str, Any]:
    """The whole collection: scheme → period (``"2022"``, ``"2015-2018"``) → key → entry."""
    text = resources.files(__package__).joinpath(FILENAME).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def entry(scheme: str, period: int | str, key: str) -> dict[str, Any]:
    """One published figure with its metadata (``value``, ``unit``, ``county_code`` …)."""
    try:
        return load()[scheme][str(period)][key]
    except KeyError:
        raise KeyError(f"{FILENAME} has no figure {scheme}/{period}/{key}") from None


def value(scheme: str, period: int | str, key: str) -> Any:
    """The published value of a figure."""
    return entry(scheme, period, key)["value"]


def count(scheme: str, period: int | str, key: str) -> int:
    """The count behind a figure: its ``derived_count`` (a percentage's count) if it has one,
    else its value (a figure published as a count)."""
    e = entry(scheme, period, key)
    return int(e["derived_count"] if "derived_count" in e else e["value"])
