"""The documents' wording: summary sentences, alt texts and notes, in the current language.

Their words come from the message catalogs (:mod:`evalkit.i18n`, keys ``text.*``), their
numbers are formatted by :mod:`evalkit.formats` (by locale, with Babel).
Every piece of text that comes from the data or from the scheme YAML (county and project
names, labels, titles, summary sentences, free text) goes through :func:`esc` before it goes
into Markdown or HTML, so a project called ``<script>`` or a label ``[x](javascript:…)`` stays
text. Markdown is displayed by :class:`MarkdownText`, which only ever holds its text.
"""

from __future__ import annotations

import numbers
import re
from typing import Any

from evalkit import disclosure, stats, wording
from evalkit.config import scheme_text
from evalkit.errors import EvalkitError
from evalkit.formats import (
    PLACEHOLDER_FIX,
    PLACEHOLDER_KEY,
    PLACEHOLDER_NAME,
    SUMMARY_FORMATS,
    TEMPLATE_PARSER,
    UNIT_FORMATS,
    denominator,
    fmt_ci,
    fmt_int,
    fmt_nok,
    fmt_pct,
    fmt_pp,
    join_list,
    placeholder_problem,
    placeholder_problems,
    placeholder_text,
    the_units,
    unit_words,
    units,
)
from evalkit.i18n import t, tn

#: Each character that means something to HTML or to Markdown (links, images, emphasis, code,
#: headings, tables, strikethrough, math, backslash escapes), as a named HTML entity: the text
#: shows as itself in HTML and in Markdown (nbconvert, JupyterLab), and a reader of the Markdown
#: source can still read it. ``~`` has no named entity.
_ENTITIES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&apos;",
        "[": "&lbrack;",
        "]": "&rbrack;",
        "(": "&lpar;",
        ")": "&rpar;",
        "!": "&excl;",
        "*": "&ast;",
        "_": "&lowbar;",
        "`": "&grave;",
        "#": "&num;",
        "\\": "&bsol;",
        "|": "&verbar;",
        "~": "&#126;",
        "$": "&dollar;",
    }
)
#: Line breaks (every one Python, HTML or Markdown knows), tabs and runs of spaces: one space,
#: so that no line of the text starts a Markdown block (a list, a heading, indented code).
_BREAKS = re.compile(r"[ {0}]{{2,}}|[{0}]".format(r"\t\r\n\f\v\x1c-\x1e\x85\u2028\u2029"))
#: Control characters (not allowed in HTML): shown as U+FFFD, so nothing is lost unseen.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
#: What starts a Markdown block at the start of a text with no Markdown character in it: a
#: list item (``-``, ``+``, ``1.``, ``1)``) or a thematic break (``---``).
_BLOCK_START = re.compile(r"^( ?)(?:([-+])|(\d{1,9})\.)")
#: A web address: ``://`` with its colon as an entity is not made a link by Markdown.
_URL = re.compile(r":(?=//)")


def esc(text: object) -> str:
    """Text from the data or a scheme YAML, escaped for Markdown and HTML: it shows as itself
    and nothing in it takes effect as markup.

    The one escaping function of the documents. ``& < > " '`` and the characters Markdown
    reads (``[ ] ( ) ! * _ ` # \\ | ~ $``) become HTML entities; line breaks and runs of
    spaces become one space, a list marker at the start an entity; control characters show as
    U+FFFD; the colon of ``://`` becomes an entity, so a web address is plain text.
    Non-breaking spaces stay. Used in HTML (tables, captions, attributes) as in Markdown.

    Examples
    --------
    >>> esc("[x](javascript:alert(1))")
    '&lbrack;x&rbrack;&lpar;javascript:alert&lpar;1&rpar;&rpar;'
    """
    out = _CONTROLS.sub("\ufffd", str(text))
    out = _BREAKS.sub(" ", out).translate(_ENTITIES)
    out = _URL.sub("&colon;", out)

    def block(m: re.Match) -> str:
        if m.group(2):
            return m.group(1) + ("&#45;" if m.group(2) == "-" else "&plus;")
        return f"{m.group(1)}{m.group(3)}&period;"

    return _BLOCK_START.sub(block, out, count=1)


def esc_paragraphs(text: object) -> str:
    """A longer text of a scheme YAML (background, a section's text) for Markdown: each
    paragraph (parted by an empty line) through :func:`esc`, the paragraphs kept apart."""
    parts = re.split(r"(?:[ \t]*(?:\r\n|\r|\n)){2,}", str(text))
    return "\n\n".join(e for e in (esc(p).strip(" ") for p in parts) if e)


class MarkdownText:
    """Markdown to display, held as its text, and only ever its text.

    IPython's ``Markdown`` is not used: it reads a file when its whole text is the path of one,
    and downloads it when the text starts with ``http``. Scheme and data text in ``data`` has
    gone through :func:`esc`.
    """

    def __init__(self, data: str) -> None:
        self.data = str(data)

    def _repr_markdown_(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return self.data


class _Missing(Exception):
    """A value a summary sentence names is not in metrics.json (or is None)."""


class _Escaped(str):
    """Text that has been through :func:`esc` already (a sentence's ``{items}``)."""


class _Clause(_Escaped):
    """Escaped text that ends in a relative clause («… som svarte»): a comma follows it when
    the sentence goes on with a word."""


def _refuse(problems: list[str]) -> EvalkitError:
    return EvalkitError(
        f"A summary sentence of the scheme YAML cannot be filled in: {'; '.join(problems)}. "
        f"To fix: {PLACEHOLDER_FIX}."
    )


def _step(value: Any, key: str, field: str) -> Any:
    """``value[key]`` for a dict (by key) or a list (by position); nothing else is looked into."""
    position = int(key) if key.isascii() and key.isdigit() else None
    if isinstance(value, dict):
        if key in value:
            return value[key]
        if position is not None and position in value:
            return value[position]
    elif isinstance(value, list) and position is not None and position < len(value):
        return value[position]
    raise _Missing(field)


class SummaryFormatter:
    """Fills a summary sentence of the scheme YAML from metrics.json.

    ``{key}`` and ``{key[sub][sub]}`` name values of metrics.json (keys of dicts, positions in
    lists; nothing else is looked into); ``{most[key]}`` and ``{fewest[key]}`` the counties
    with the most and the fewest (``fewest`` is missing when every county has as many; either
    is missing when naming it would give away a count hidden in ``county_table``, the county
    table as published: :func:`evalkit.disclosure.extremes`). The
    format after ``:`` is one of ``int`` (``1 234``),
    ``nok`` (``20 000 000 kr``), ``mill`` (``81,6 millioner``), ``prosent``
    (``91,7 prosent``), ``pct`` (``91,7 %``), ``pct0`` (``92``: a share in whole percent),
    ``counties`` and ``municipalities`` (a number of them: «1 fylke», «11 fylker», «1
    kommune», «152 kommuner»), ``labels`` (share keys as
    their labels in lower case, joined: «a, b og c»), and in the
    scheme's unit: ``units`` (a count: «1 prosjekt», «15 prosjekter»), ``the_units`` («det ene
    prosjektet», «de 15 prosjektene») and ``of``, given a share (``{shares[key]:of}``), what it
    is a share of: «av de 132 prosjektene» when every row answered, «av de 131 prosjektene som
    svarte,» when some did not (:func:`denominator`; the comma only where the sentence goes on
    with a word). Anything else (:func:`placeholder_problem`) raises
    :class:`~evalkit.errors.EvalkitError`; the scheme loader refuses it first. A value that is
    absent or None raises :class:`_Missing`, and so does a share of no rows for ``of``: the
    sentence is left out.

    ``unit``: ``"project"`` or ``"application"`` (by default the ``unit`` of ``context``, as
    metrics.json holds it); the rows of the year, which ``of`` compares a share's ``n`` and
    ``missing`` with, are the context's ``n_projects`` (``n_applications``).

    The sentence is text of the YAML: its words and every value put in go through :func:`esc`,
    so the result is Markdown in which nothing but the text takes effect.
    """

    def __init__(
        self,
        context: dict,
        labels: dict[str, dict[str, str]] | None = None,
        unit: str | None = None,
        county_table: disclosure.SuppressedTable | None = None,
    ) -> None:
        self.context = context
        self.labels = labels or {}
        self.unit = unit if unit is not None else context.get("unit")
        self.county_table = county_table

    def format(self, template: str) -> str:
        """``template`` filled in and escaped."""
        problems = placeholder_problems(template)
        if problems:
            raise _refuse(problems)
        out = []
        clause = False
        for literal, field, spec, _conversion in TEMPLATE_PARSER.parse(template):
            if clause and re.match(r"\s+\w", literal):
                out.append(",")  # «av de 131 prosjektene som svarte, var …»
            out.append(esc(literal))
            clause = False
            if field is not None:
                value = self.format_field(self.value(field), spec or "", field)
                out.append(value)
                clause = isinstance(value, _Clause)
        return "".join(out)

    def value(self, field: str) -> Any:
        """The value a placeholder's name (``shares[collaboration][share]``) names."""
        problem = placeholder_problem(field)
        if problem is not None:
            raise _refuse([problem])
        match = PLACEHOLDER_NAME.fullmatch(field)
        name, keys = match.group(1), PLACEHOLDER_KEY.findall(match.group(2))
        if name in ("most", "fewest"):
            by_county = self.context.get("by_county") or []
            if not by_county or not isinstance(by_county[0], dict) or keys[0] not in by_county[0]:
                raise _Missing(field)
            counts = {r["county_name"]: r[keys[0]] for r in by_county if r.get("county_code")}
            found = disclosure.extremes(counts, self.county_table, keys[0])
            names = found.most if name == "most" else found.fewest
            if not names:  # none, all alike, or naming them would give a hidden count away
                raise _Missing(field)
            return join_list(list(names))
        if name not in self.context:
            raise _Missing(field)
        value = self.context[name]
        for key in keys:
            value = _step(value, key, field)
        return value

    def format_field(self, value: Any, spec: str, field: str) -> str:
        """One value in its format, escaped."""
        if value is None:
            raise _Missing(field)
        if isinstance(value, _Escaped):
            return str(value)
        shown = placeholder_text(field, spec, None)
        if spec in UNIT_FORMATS:
            return self._in_units(value, spec, shown, field)
        if spec == "labels":
            if not isinstance(value, list):
                raise _refuse([f"{shown}: labels takes a list of share keys"])
            names = [self._label(str(k)).lower() for k in value]
            return esc(join_list(names))
        if spec:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise _refuse([f"{shown}: the format {spec} takes a number"])
            return esc(SUMMARY_FORMATS[spec](value))
        if isinstance(value, dict | list):
            raise _refuse([f"{shown} names a table of metrics.json, not one value"])
        return esc(value)

    def _label(self, key: str) -> str:
        """A share key's label in the current language (``label``; ``label_nb`` of before the
        languages), or the key itself."""
        entry = self.labels.get(key, {})
        return entry.get("label") or entry.get("label_nb") or key

    def _in_units(self, value: Any, spec: str, shown: str, field: str) -> str:
        """A count in the scheme's unit (``units``, ``the_units``), or a share's denominator
        (``of``)."""
        if self.unit is None:
            raise _refuse([f"{shown}: the format {spec} needs the scheme's unit"])
        if spec == "of":
            if not isinstance(value, dict) or not {"n", "missing"} <= value.keys():
                raise _refuse([f"{shown}: the format of takes a share (with n and missing)"])
            n, missing = value["n"], value["missing"]
            if n is None or missing is None:
                raise _Missing(field)
            if not n:
                raise _Missing(field)  # a share of no rows: the sentence says nothing
            from evalkit.config import count_key

            total = self.context.get(count_key(self.unit))
            words, clause = denominator(int(n), int(missing), self.unit, total)
            return _Clause(esc(words)) if clause else esc(words)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            if not (isinstance(value, numbers.Real) and float(value).is_integer()):
                raise _refuse([f"{shown}: the format {spec} takes a whole number"])
        n = int(value)
        return esc(units(n, self.unit) if spec == "units" else the_units(n, self.unit))


def _sentence(fmt: SummaryFormatter, sentence: Any) -> str | None:
    """One summary sentence filled in, or None when a value it names is missing."""
    try:
        if isinstance(sentence, str):
            return fmt.format(sentence)
        if sentence.if_ is not None and not fmt.value(sentence.if_):
            return None
        if sentence.unless is not None and fmt.value(sentence.unless):
            return None
        if sentence.each is None:
            try:
                return fmt.format(sentence.text)
            except _Missing:
                if sentence.otherwise is None:
                    raise
                return fmt.format(sentence.otherwise)
        entries = fmt.context.get(sentence.each) or []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise _Missing(sentence.each)
        if len(entries) < sentence.min:
            return None
        items = [SummaryFormatter(e, fmt.labels, fmt.unit).format(sentence.item) for e in entries]
        listed = {"count": len(entries), "items": _Escaped(join_list(items))}
        return SummaryFormatter(listed, fmt.labels, fmt.unit).format(sentence.text)
    except _Missing:
        return None


def summary(m: dict, scheme: Any, county_table: disclosure.SuppressedTable | None = None) -> str:
    """The document's summary as Markdown: the scheme YAML's ``summary`` sentences in the
    current language (``summary_nn``, ``summary_en``; the bokmål ``summary`` when the YAML has
    none) filled in from metrics.json (``m``), escaped, each left out when a value it names is missing (a
    sentence with ``otherwise`` says that instead). ``county_table``: the county table as the
    document shows it, so that no sentence names a county whose count it hides."""
    from evalkit.metrics import share_labels

    fmt = SummaryFormatter(m, share_labels(scheme), scheme.unit, county_table)
    parts = [_sentence(fmt, s) for s in scheme_text(scheme.doc, "summary")]
    # folded YAML text may hold line breaks; the non-breaking spaces of numbers stay
    return " ".join(re.sub(r"[ \t\r\n]+", " ", p).strip() for p in parts if p)


def normalise_sheet(name: str) -> str:
    """A group name as an ASCII sheet-name part: ``aktører`` → ``aktorer``."""
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "_"})
    return name.lower().translate(table)


# --- the statistics in words ------------------------------------------------------------------
#: The level of the documents' confidence intervals.
LEVEL = 1 - stats.ALPHA


def _level() -> str:
    """«95 %» («95%» in English): the confidence level as the sentences write it."""
    return fmt_pct(LEVEL, 0)


def _share_of(count: int, n: int, year: int) -> str:
    return t("text.holm.share_of", count=fmt_int(count), n=fmt_int(n), year=year)


def holm_sentence(
    comparisons: list[dict], labels: dict[str, str], counts: dict[str, int] | None = None
) -> str:
    """How many comparisons Holm's adjustment covered, naming those that had no test (plain
    text: a table note as it is, :func:`esc` before it goes into Markdown). ``counts``: the
    ``comparison_counts`` of metrics.json (:func:`evalkit.stats.comparison_counts`)."""
    counts = counts or stats.comparison_counts(comparisons)
    untested = [c for c in comparisons if c.get("p_value") is None]
    tested = counts["tested"]
    if not untested:
        return tn("text.holm.adjusted", tested, n=fmt_int(tested))
    out = tn(
        "text.holm.adjusted_of_total", tested, n=fmt_int(tested), total=fmt_int(counts["total"])
    )
    details = [
        t(
            "text.holm.untested_detail",
            label=labels.get(c["metric"], c["metric"]),
            first=_share_of(c["count"], c["n"], c["year"]),
            second=_share_of(c["other_count"], c["other_n"], c["other_year"]),
        )
        for c in untested
    ]
    # each name quoted, as the verdict sentences quote them: «For ‘The COVID-19 pandemic’ …»
    names = join_list([t("dq.quoted", text=labels.get(c["metric"], c["metric"])) for c in untested])
    return (
        out
        + " "
        + t(
            "text.holm.untested",
            names=names,
            details="; ".join(details),
            zero=fmt_pct(0, 0),
            hundred=fmt_pct(1, 0),
        )
    )


def comparison_lead(
    comparisons: list[dict],
    labels: dict[str, str],
    figure_no: int,
    table_no: int,
    counts: dict[str, int] | None = None,
) -> str:
    """The sentences before the year comparison: where to look, and what holds after Holm
    (each comparison's ``holds_after_holm``, decided by :func:`evalkit.stats.adjust_holm`;
    plain text: :func:`esc` before it goes into Markdown)."""
    years = sorted({c["other_year"] for c in comparisons})
    year = comparisons[0]["year"]
    counts = counts or stats.comparison_counts(comparisons)
    held = [c for c in comparisons if c.get("p_value") is not None and c["holds_after_holm"]]
    out = t(
        "text.comparison.lead",
        figure=figure_no,
        table=table_no,
        year=year,
        years=join_list([str(y) for y in years]),
        level=_level(),
    )
    tested = fmt_int(counts["tested"])
    if held:
        items = join_list(
            [f"{labels.get(c['metric'], c['metric'])} {fmt_pp(c['diff'])}" for c in held]
        )
        said = tn("text.comparison.held", counts["held"], n=fmt_int(counts["held"]),
                  tested=tested, items=items)  # fmt: skip
        out += " " + said + ("" if said.endswith(".") else ".")
    else:
        out += " " + t("text.comparison.none_held", tested=tested)
    return out


# --- alternative texts of the figures -----------------------------------------------------------
def alt_bars_by_county(by_county, value: str, hidden, *, title: str, money: bool = False) -> str:
    """«Liggende stolpediagram. Antall prosjekter per fylke 2022. Flest i Troms og Finnmark
    (16), færrest i Rogaland (4).» Only the values the figure shows."""
    fmt = fmt_nok if money else fmt_int
    shown = by_county[~hidden.to_numpy(bool)]
    shown = shown[shown[value].fillna(0) > 0]
    out = t("text.alt.bars", title=title)
    if len(shown):
        hi, lo = shown[value].max(), shown[value].min()
        top = join_list([str(n) for n in shown.loc[shown[value] == hi, "county_name"]])
        bottom = join_list([str(n) for n in shown.loc[shown[value] == lo, "county_name"]])
        words = dict(top=top, high=fmt(hi), bottom=bottom, low=fmt(lo))
        if money:
            out += " " + t("text.alt.bars_amount", **words)
        else:
            out += " " + t("text.alt.bars_count", **words)
    n_hidden = int(hidden.sum())
    if n_hidden:
        out += " " + tn("text.alt.bars_hidden", n_hidden, n=fmt_int(n_hidden))
    return out


def alt_shares(shares, *, title: str) -> str:
    """Bars with intervals: the largest and the smallest share with their intervals."""
    data = shares.dropna(subset=["share"]).sort_values("share", ascending=False, kind="stable")
    out = tn("text.alt.shares", len(data), n=fmt_int(len(data)), title=title, level=_level())
    if len(data):

        def one(r) -> str:
            return t(
                "text.alt.share_with_ci",
                label=r["label"],
                share=fmt_pct(r["share"]),
                ci=fmt_ci(r["ci_low"], r["ci_high"]),
            )

        first, last = data.iloc[0], data.iloc[-1]
        out += " " + t("text.alt.highest", share=one(first))
        if len(data) > 1:
            out += " " + t("text.alt.lowest", share=one(last))
    return out


def alt_applied_granted(a: dict, *, title: str) -> str:
    """The scatter of granted against applied, in the numbers of ``applied_vs_granted``."""
    return tn(
        "text.alt.applied_granted",
        a["n"],
        n=fmt_int(a["n"]),
        title=title,
        granted=fmt_nok(a["granted_total_nok"]),
        applied=fmt_nok(a["applied_total_nok"]),
        share=fmt_pct(a["granted_share"]),
        full=fmt_int(a["n_full"]),
        median=fmt_pct(a["ratio"]["median"]),
    )


def alt_forest(
    comparisons: list[dict],
    labels: dict[str, str],
    *,
    title: str,
    counts: dict[str, int] | None = None,
) -> str:
    """The forest figure: how many differences, the largest rise and fall, what holds
    (``holds_after_holm``; ``counts``: metrics.json's ``comparison_counts``)."""
    counts = counts or stats.comparison_counts(comparisons)
    held = [c for c in comparisons if c.get("p_value") is not None and c["holds_after_holm"]]

    def name(c: dict) -> str:
        return labels.get(c["metric"], c["metric"])

    out = tn("text.alt.forest", counts["total"], n=fmt_int(counts["total"]), title=title,
             level=_level())  # fmt: skip
    up = max(comparisons, key=lambda c: c["diff"])
    down = min(comparisons, key=lambda c: c["diff"])
    if up["diff"] > 0:
        out += " " + t("text.alt.largest_rise", label=name(up), diff=fmt_pp(up["diff"]))
    if down["diff"] < 0:
        out += " " + t("text.alt.largest_fall", label=name(down), diff=fmt_pp(down["diff"]))
    tested = fmt_int(counts["tested"])
    if held:
        items = join_list([f"{name(c)} ({fmt_pp(c['diff'])})" for c in held])
        out += " " + tn("text.alt.forest_held", counts["held"], n=fmt_int(counts["held"]),
                        tested=tested, items=items)  # fmt: skip
    else:
        out += " " + t("text.alt.forest_none_held", tested=tested)
    return out


def alt_trend(per_year, *, title: str) -> str:
    """Shares over the years: each line from its first to its last year."""
    parts = []
    for label, g in per_year.groupby("label", sort=False):
        g = g.sort_values("year")
        a, b = g.iloc[0], g.iloc[-1]
        parts.append(
            t(
                "text.alt.trend_line",
                label=label,
                first=fmt_pct(a["share"]),
                first_year=int(a["year"]),
                last=fmt_pct(b["share"]),
                last_year=int(b["year"]),
            )
        )
    return t("text.alt.trend", title=title, level=_level(), lines="; ".join(parts))


def alt_amounts(by_year: dict, *, title: str) -> str:
    """Box plots of amounts per year: the median of the first and the last year."""
    years = sorted(by_year)
    out = t("text.alt.amounts", title=title)
    if years:
        a, b = by_year[years[0]], by_year[years[-1]]
        out += " " + t(
            "text.alt.amounts_median",
            first=fmt_nok(a["median"]),
            first_year=years[0],
            last=fmt_nok(b["median"]),
            last_year=years[-1],
        )
    return out


def share_denominator_note(shares, unit: str, among: str | None = None) -> str:
    """Which denominator the shares use: everyone, those who answered, or a subgroup
    (``among``: the words that name it, «med måloppnåelse «Kan ikke vurderes»»)."""
    if not len(shares):
        return ""
    ns = sorted({int(n) for n in shares["n"]})
    missing = sorted({int(m) for m in shares["missing"]})
    if among:
        return t("text.denominator.among", rows=the_units(ns[0], unit), among=among)
    if len(ns) > 1:
        return t("text.denominator.each_question", rows=unit_words(unit)[2])
    rows = the_units(ns[0], unit)
    if missing == [0]:
        if ns[0] > 1:
            return t("text.denominator.all", rows=rows)
        return t("text.denominator.rows", rows=rows)
    left_out = units(missing[0], unit)
    if unit == "project":  # a project answered its form; an application's field has an answer
        return tn("text.denominator.answered_project", missing[0], rows=rows, missing=left_out)
    return tn("text.denominator.answered", missing[0], rows=rows, missing=left_out)


def _group_test_spec(scheme: Any, key: str) -> Any:
    """The YAML's ``group_tests`` entry of a test in metrics.json's ``group_tests``."""
    spec = next((g for g in scheme.doc.group_tests if g.key == key), None)
    if spec is None:
        raise EvalkitError(
            f"metrics.json names the group test {key!r}, which the scheme {scheme.name!r} has "
            "not under group_tests; build the document again from the data (--force)"
        )
    return spec


def group_test_label(g: dict, scheme: Any) -> str:
    """A between-groups test of metrics.json's ``group_tests`` as the document names it: its
    ``label`` in the scheme YAML, in the current language (metrics.json holds the bokmål)."""
    return scheme_text(_group_test_spec(scheme, g["key"]), "label")


def group_test_warning(g: dict, scheme: Any) -> str | None:
    """The warning of a between-groups test of metrics.json's ``group_tests`` in the current
    language (metrics.json holds the bokmål sentence), or None: «For få søknader per fylke til
    å trekke noen konklusjon.» / «Too few applications per county to draw any conclusion.»
    A warning that is no sentence of :data:`evalkit.wording.GROUP_WARNINGS` is shown as
    metrics.json holds it."""
    code = g.get("warning_code") or wording.group_warning_code(g.get("warning"))
    if code is None:
        return g.get("warning") or None
    kind = wording.group_kind(_group_test_spec(scheme, g["key"]).by, scheme.doc.by_category)
    return wording.group_warning(code, unit=scheme.unit, group=kind)


def group_test_denominator_notes(m: dict, scheme: Any) -> list[str]:
    """Which rows each between-group test counts: a test of a combined share with
    ``assessable`` counts only the assessable rows (plain text, table notes)."""
    combined = {c.key: c for c in scheme.doc.combined_shares if c.assessable}
    outcome = {g.key: g.outcome for g in scheme.doc.group_tests}
    out = []
    for g in m.get("group_tests", []):
        c = combined.get(outcome.get(g.get("key"), ""))
        if c is not None:
            where = scheme_text(c, "assessable") or t("text.group_test.assessable_only")
            out.append(
                t(
                    "text.group_test.counted",
                    label=group_test_label(g, scheme),
                    rows=the_units(g["n"], scheme.unit),
                    where=where,
                )
            )
    return out
