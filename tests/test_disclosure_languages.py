"""The disclosure texts of the documents in nynorsk and English (the bokmål is tested in
test_disclosure and test_disclosure_document). Expected sentences written out by hand."""

from __future__ import annotations

import pandas as pd

from evalkit import disclosure as d
from evalkit.config import load_scheme
from evalkit.i18n import language


def test_skjerming_paragraph_of_samhandling_in_english_and_nynorsk():
    doc = load_scheme("samhandling").doc
    with language("en"):
        text = d.method_text(doc, d.RULE)
    assert text.startswith(
        "The awards are public: the ministry published the list of the projects that received "
        "support, county by county. The columns ‘Granted’ and ‘Granted (NOK)’ in the table "
        "‘Applications and awards by county’ are therefore not suppressed, and the list of the "
        "awards is complete. Refused applications are not public. In county-level tables, "
        "counts of 1 or 2 in the column ‘Applications’ are shown as ‘:’, and numbers are also "
        "hidden where the number of refused applications (the difference between "
        "‘Applications’ and ‘Granted’) is 1 or 2."
    )
    with language("nn"):
        text = d.method_text(doc, d.RULE)
    assert "Avslåtte søknader er ikkje offentlege." in text
    assert "blir difor ikkje skjerma" in text and "(sekundærskjerming)." in text


def test_footnote_and_row_labels_follow_the_language():
    table = pd.DataFrame({"n": [10, 2, 7, 5, 0]}, index=list("ABCDE"))
    sup = d.suppress(table, ["n"])
    with language("en"):
        assert sup.footnote.startswith(
            "‘:’ The number is hidden because it is 1 or 2 (or because it could otherwise be "
            "worked out from the totals)."
        )
        assert d.row_label(d.TOTAL_NB) == "Total" and d.row_label("Oslo") == "Oslo"
        assert d.DisclosureRule(min_count=10).small_text == "between 1 and 9"
    with language("nn"):
        assert sup.footnote.startswith("«:» Talet er skjult fordi det er 1 eller 2")
        assert d.row_label(d.UNPLACED_NB) == "Kan ikkje plasserast"
    # the table keeps its keys in every language: the trends table matches by them
    assert d.TOTAL_NB == "I alt" and d.UNKNOWN_COUNTY_NB == "Ukjent fylke"
