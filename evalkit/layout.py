"""Next year's form: propose a layout for an export whose headers changed.

Each header of the file is compared with every field of the scheme

* by its **wording**: the similarity (0–1) of the header with the headers the scheme's
  layouts already map to the field and with the field's ``label_nb``, word by word (words
  matched when equal, when one is an abbreviation of the other, ``kr``/``kroner``, or when
  nearly equal by :class:`difflib.SequenceMatcher`, ``kommune``/``kommunen``);
* for answer fields (yes/no, checkbox, category, amount, county, municipality codes, round)
  also by its **answers**: the share of the column's non-blank values that the field's
  parser accepts (:mod:`evalkit.parse`, run once per distinct value).

The score of a pair is the wording when the answers say nothing (a text or id field, or a
column without answers), else ``0.6 × wording + 0.4 × answers``. Headers and fields are then
paired one to one so that the sum of the scores is largest
(:func:`scipy.optimize.linear_sum_assignment`); a pair scoring under :data:`MIN_SCORE`, or
whose wording is under :data:`MIN_WORDING`, is not made, and the header is listed as
unmatched. The confidence of a match is its score.

The header row is found as :mod:`evalkit.read` finds it for ``evalkit validate``
(:func:`locate_header`): the row among the first :data:`evalkit.read.HEADER_SEARCH_ROWS` that
holds the most headers of the scheme's layouts, in a CSV file as in a workbook. A form whose
every header was reworded holds none of them; its first row is then taken as the header row
only when most of its cells read like the scheme's headers (:func:`reads_like_headers`), and
otherwise nothing is proposed: a file whose first rows are data has no header to propose a
layout from, and its values must not be printed as if they were headers.

Headers that are, or read like, the scheme's personal-data headers are listed as personal
data before any value is looked at: their values are never read, and no value of any column
is ever printed (only headers, field names and scores). Every header, file, sheet and field
name printed is made safe for the terminal first (:func:`evalkit.inert.visible`), and the
YAML writes a header holding a control or bidirectional character as a double-quoted string
whose escapes YAML reads back as the header itself.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from scipy.optimize import linear_sum_assignment

from evalkit import geography, parse
from evalkit import read as _read
from evalkit.config import Scheme
from evalkit.errors import StructuralError
from evalkit.inert import TERMINAL_UNSAFE, escape, visible

#: Weight of the answers in the score of an answer field (the wording has the rest).
ANSWER_WEIGHT = 0.4
#: Pairs scoring less are not made: the header is listed as unmatched.
MIN_SCORE = 0.5
#: Nor are pairs whose wording is less similar than this, however well the answers fit: the
#: answers confirm a wording, they do not replace it.
MIN_WORDING = 0.4
#: A header that reads at least this much like a personal-data header
#: (:func:`personal_likeness`), and more than like any field, is taken as personal data.
PERSONAL_MIN = 0.75
#: A first row that holds none of the layouts' headers is taken as the header row only when at
#: least this share of its non-blank cells read like a field's or a personal-data header (and
#: are not answers given below them). In the demo exports, a data row taken as the header has
#: at most 0.19 of such cells with rows below it, 0.56 without (checkbox answers are the
#: option's name, as in the header); the header rows have 1.
HEADER_LIKE_SHARE = 0.75
#: A match under this confidence is marked «check» in the summary.
CHECK_BELOW = 0.7
#: Two words nearly equal (by :class:`difflib.SequenceMatcher`) count as the same word.
_WORD_MIN = 0.75
#: Headers nearly equal once spaces and punctuation are gone count as the same header.
_COMPACT_MIN = 0.85
#: Field types whose answers are compared with the field's parser.
ANSWER_TYPES = ("yesno", "checkbox", "category", "amount", "county", "municipality_codes", "round")

#: Municipality codes as the cleaner reads them: three or four digits (``301``, ``0301``), one
#: or more, separated by spaces, commas, semicolons, slashes or «og».
_MUNICIPALITY_CODES = r"^\d{3,4}(?:(?:[ ;,/]+| og )\d{3,4})*$"


# --- wording --------------------------------------------------------------------------------
def words(text: str) -> str:
    """A header as compared: NFC, case folded, punctuation read as space, spaces folded."""
    text = unicodedata.normalize("NFC", str(text)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


@functools.lru_cache(maxsize=1 << 16)
def _word_similarity(a: str, b: str) -> float:
    # cached: the words of a header recur (in it, and in header after header of an export)
    if a == b:
        return 1.0
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 2 and long_.startswith(short):
        return 0.9  # an abbreviation: «kr» for «kroner»
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= _WORD_MIN else 0.0


def wording_similarity(a: str, b: str) -> float:
    """Similarity (0–1) of two headers, word by word.

    Each word of one header is paired with its most similar word of the other
    (:func:`_word_similarity`), both ways, and the similarities are averaged weighting each
    word by its length. Headers that differ only in spaces and punctuation
    (``Kommune(r)``/``Kommuner``) are compared as one word. A character ratio of the whole
    headers is not used: it finds shared letters in unrelated words (``Kommentar`` and
    ``Kommune``).
    """
    a, b = words(a), words(b)
    if not a or not b:
        return 0.0
    wa, wb = a.split(), b.split()
    got = sum(len(w) * max(_word_similarity(w, v) for v in wb) for w in wa)
    got += sum(len(v) * max(_word_similarity(v, w) for w in wa) for v in wb)
    by_word = got / (sum(map(len, wa)) + sum(map(len, wb)))
    compact = difflib.SequenceMatcher(None, a.replace(" ", ""), b.replace(" ", "")).ratio()
    return max(by_word, compact if compact >= _COMPACT_MIN else 0.0)


def personal_likeness(personal: str, header: str) -> float:
    """How much ``header`` reads like the personal-data header ``personal``: their
    :func:`wording_similarity`, or 1 when every word of ``personal`` is in ``header``
    («Kontaktperson for prosjektet», «Telefon (mobil)»). Errs towards personal data."""
    similar = wording_similarity(personal, header)
    mine, theirs = words(personal).split(), words(header).split()
    if mine and theirs and all(max(_word_similarity(w, v) for v in theirs) for w in mine):
        return 1.0
    return similar


def field_wordings(scheme: Scheme) -> dict[str, list[str]]:
    """Field -> the wordings it is known by: every layout header mapped to it, its label."""
    out: dict[str, list[str]] = {name: [] for name in scheme.fields}
    for lay in scheme.layouts.values():
        for header, name in lay.headers.items():
            out[name].append(header)
    for name, spec in scheme.fields.items():
        out[name].append(spec.label_nb)
    return {name: list(dict.fromkeys(w)) for name, w in out.items()}


def _best_wording(header: str, wordings: list[str]) -> tuple[float, str]:
    scores = [(wording_similarity(header, w), w) for w in wordings]
    return max(scores, key=lambda s: s[0]) if scores else (0.0, "")


def _personal_known(scheme: Scheme) -> list[str]:
    """Every layout's personal-data headers (those :func:`evalkit.read.read_export` drops)."""
    return list(dict.fromkeys(p for lay in scheme.layouts.values() for p in lay.personal_data))


def _header_wording(
    header: str, fields: list[str], wordings: dict[str, list[str]], personal_known: list[str]
) -> tuple[list[tuple[float, str]], bool]:
    """How ``header`` reads: its best wording score (and the wording) for each of ``fields``,
    and whether it is, or reads like, a personal-data header (more than like any field)."""
    scored = [_best_wording(header, wordings[name]) for name in fields]
    best = max((score for score, _ in scored), default=0.0)
    near = max((personal_likeness(p, header) for p in personal_known), default=0.0)
    return scored, header in personal_known or (near >= PERSONAL_MIN and near >= best)


def reads_like_headers(table: pd.DataFrame, scheme: Scheme) -> bool:
    """Whether the headers of ``table`` (its first row, as read) read like a header row.

    They do when at least :data:`HEADER_LIKE_SHARE` of the non-blank ones read like a field's
    wording (:data:`MIN_WORDING` or more) or like a personal-data header, counting only those
    that are not also an answer in their column below (a ticked checkbox holds the option's
    name, which reads like its header). The test a first row holding none of the layouts'
    headers must pass to be taken as the header row: data values (ids, names, e-mail
    addresses, amounts, «Ja»/«Nei») read like no header. No value is kept or shown.
    """
    wordings, fields, personal = (
        field_wordings(scheme),
        list(scheme.fields),
        _personal_known(scheme),
    )
    headers = [_read.clean_header(h) for h in table.columns]
    cells = [j for j, h in enumerate(headers) if not _is_blank_header(h)]
    like = 0
    for j in cells:
        scored, is_personal = _header_wording(headers[j], fields, wordings, personal)
        if not (is_personal or max((s for s, _ in scored), default=0.0) >= MIN_WORDING):
            continue
        below = {_read.clean_header(v) for v in table.iloc[:, j].dropna().unique()}
        like += headers[j] not in below
    return bool(cells) and like >= HEADER_LIKE_SHARE * len(cells)


# --- answers --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Column:
    """A column's distinct normalised values, how often each occurs, and which are blank."""

    text: pa.Array
    counts: np.ndarray
    blank: np.ndarray

    @classmethod
    def of(cls, values: pd.Series) -> _Column:
        codes, text = parse.distinct_text(values)
        counts = np.bincount(codes, minlength=len(text)).astype(np.float64)
        key = parse.casefold(text)
        blank = parse._bools(
            pc.or_kleene(pc.is_null(key), pc.is_in(key, value_set=pa.array(parse.NO_ANSWER)))
        )
        return cls(text, counts, blank)

    @property
    def n_answers(self) -> int:
        return int(self.counts[~self.blank].sum())

    def share(self, accepted: np.ndarray) -> float:
        """The share of the non-blank values that are ``accepted``."""
        return float(self.counts[accepted & ~self.blank].sum() / self.n_answers)


def _accepted(column: _Column, spec, scheme: Scheme) -> np.ndarray:
    """Which distinct values of ``column`` the parser of field ``spec`` accepts."""
    text = column.text
    if spec.type == "yesno":
        return ~parse.yesno_of(text)[1]
    if spec.type == "checkbox":  # ticked cells hold one mark: the option, «x», «1», «Ja»…
        key = parse.casefold(text)
        yes_no = parse._bools(pc.is_in(key, value_set=pa.array(parse.YES + parse.NO)))
        counts = np.where(column.blank | yes_no, 0, column.counts)
        mark = np.zeros(len(text), dtype=bool)
        if counts.any():
            mark[int(np.argmax(counts))] = True
        return yes_no | mark
    if spec.type == "category":
        return ~parse.category_of(text, scheme.vocabularies[spec.vocabulary].lookup)[1]
    if spec.type == "amount":
        _, bad, implausible = parse.amount_of(text, spec.plausible)
        return ~(bad | implausible)
    if spec.type == "county":
        exact, folded = geography._county_lookup()
        codes = set().union(*exact.values())
        values = text.to_pylist()
        return np.array(
            [
                v is not None
                and (
                    (v.isdigit() and v.zfill(2) in codes)
                    or geography._county_key(v) in exact
                    or geography._ascii_fold(geography._county_key(v)) in folded
                )
                for v in values
            ],
            dtype=bool,
        )
    if spec.type == "municipality_codes":
        return parse._bools(pc.match_substring_regex(text, _MUNICIPALITY_CODES))
    if spec.type == "round":
        return parse._bools(pc.is_in(text, value_set=pa.array(["1", "2"])))
    raise ValueError(f"no answer test for fields of type {spec.type!r}")


# --- the proposal ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    """A header paired with a field, and why."""

    header: str
    field: str
    confidence: float
    wording: float
    like: str  # the known wording the header is most like
    answers: float | None  # share of non-blank values the field's parser accepts
    n_answers: int
    runner_up: tuple[str, float] | None = None  # the next best field for this header

    def explain(self) -> str:
        """Why, in one line: the wording, the answers and a close second choice."""
        text = f"wording {self.wording:.2f} (like «{self.like}»)"
        if self.answers is not None:
            text += f", answers {self.answers:.2f} (of {self.n_answers} non-blank)"
        if self.runner_up is not None:
            text += f"; next best {self.runner_up[0]} {self.runner_up[1]:.2f}"
        return text


@dataclass
class Proposal:
    """A proposed layout for one export."""

    name: str
    file: str
    scheme: str
    matches: list[Match]  # in the file's column order
    unmatched: list[tuple[str, str | None, float]]  # header, best field, its score
    missing: list[str]  # fields no header was paired with
    personal_data: list[str]
    blank_headers: list[int] = field(default_factory=list)  # 1-based column numbers
    required_missing: list[str] = field(default_factory=list)
    header_row: int = 1  # the header's row number as the user sees it
    sheet: str | None = None  # the sheet read, for a workbook whose data is not on the first

    @property
    def headers(self) -> dict[str, str]:
        """The layout's ``headers`` mapping: header -> field."""
        return {m.header: m.field for m in self.matches}


def layout_name(path: Path, scheme: Scheme) -> str:
    """``proposed-<year>`` (the first four-digit year in the file name) or
    ``proposed-<file stem>``, made unique among the scheme's layouts."""
    year = re.search(r"(?<![0-9])(19|20)[0-9][0-9](?![0-9])", path.stem)
    stem = year.group(0) if year else re.sub(r"[^\w-]+", "-", path.stem).strip("-").lower()
    base = f"proposed-{stem or 'layout'}"
    name, n = base, 2
    while name in scheme.layouts:
        name, n = f"{base}-{n}", n + 1
    return name


def _is_blank_header(header: str) -> bool:
    return not header or header.startswith("Unnamed:")


def propose_layout(table: pd.DataFrame, scheme: Scheme, *, name: str, file: str = "") -> Proposal:
    """Propose a layout mapping the headers of ``table`` (a raw export, as read) to the
    fields of ``scheme``. See the module's description for how the scores are made."""
    headers = [_read.clean_header(h) for h in table.columns]
    personal_known = _personal_known(scheme)
    wordings = field_wordings(scheme)
    fields = list(scheme.fields)

    blank_headers = [i + 1 for i, h in enumerate(headers) if _is_blank_header(h)]
    candidates: list[int] = []  # positions of the headers to match
    personal: list[str] = []
    wording = np.zeros((len(headers), len(fields)))
    like: dict[tuple[int, int], str] = {}
    for i, header in enumerate(headers):
        if _is_blank_header(header):
            continue
        scored, is_personal = _header_wording(header, fields, wordings, personal_known)
        for j, (score_, wording_) in enumerate(scored):
            wording[i, j], like[i, j] = score_, wording_
        if is_personal:
            personal.append(header)  # its values are never read
        else:
            candidates.append(i)

    # answers: parsed once per column and answer field (on the distinct values)
    answer_fields = [j for j, f in enumerate(fields) if scheme.fields[f].type in ANSWER_TYPES]
    answers = np.full((len(headers), len(fields)), np.nan)
    n_answers = np.zeros(len(headers), dtype=np.int64)
    for i in candidates:
        column = _Column.of(table.iloc[:, i])
        n_answers[i] = column.n_answers
        if not n_answers[i]:
            continue
        shares: dict[tuple, float] = {}  # fields read alike (all checkboxes…) are read once
        for j in answer_fields:
            spec = scheme.fields[fields[j]]
            key = (spec.type, spec.vocabulary, spec.plausible)
            if key not in shares:
                shares[key] = column.share(_accepted(column, spec, scheme))
            answers[i, j] = shares[key]

    score = np.where(
        np.isnan(answers), wording, (1 - ANSWER_WEIGHT) * wording + ANSWER_WEIGHT * answers
    )
    rows = np.array(candidates, dtype=np.int64)
    sub = score[rows] if len(rows) else np.zeros((0, len(fields)))
    allowed = (sub >= MIN_SCORE) & (wording[rows] >= MIN_WORDING)
    gain = np.where(allowed, sub, 0.0)
    paired: dict[int, int] = {}
    for r, j in zip(*linear_sum_assignment(gain, maximize=True), strict=True):
        if allowed[r, j]:
            paired[int(rows[r])] = int(j)

    matches: list[Match] = []
    unmatched: list[tuple[str, str | None, float]] = []
    for i in candidates:
        order = np.argsort(-score[i], kind="stable")
        if i in paired:
            j = paired[i]
            second = next((k for k in order if k != j), None)
            close = (
                second is not None
                and score[i, second] >= MIN_SCORE
                and score[i, j] - score[i, second] < 0.1
            )
            matches.append(
                Match(
                    header=headers[i],
                    field=fields[j],
                    confidence=round(float(score[i, j]), 2),
                    wording=round(float(wording[i, j]), 2),
                    like=like[i, j],
                    answers=None if np.isnan(answers[i, j]) else round(float(answers[i, j]), 2),
                    n_answers=int(n_answers[i]),
                    runner_up=(fields[second], round(float(score[i, second]), 2))
                    if close
                    else None,
                )
            )
        else:
            worded = [int(k) for k in order if wording[i, k] >= MIN_WORDING]
            best = worded[0] if worded else None
            unmatched.append(
                (
                    headers[i],
                    fields[best] if best is not None else None,
                    round(float(score[i, best]), 2) if best is not None else 0.0,
                )
            )
    taken = set(paired.values())
    missing = [f for j, f in enumerate(fields) if j not in taken]
    return Proposal(
        name=name,
        file=file,
        scheme=scheme.name,
        matches=matches,
        unmatched=unmatched,
        missing=missing,
        personal_data=personal,
        blank_headers=blank_headers,
        required_missing=[f for f in missing if scheme.fields[f].required],
    )


class _RowsSheet:
    """The first rows of a CSV file, offered to :func:`evalkit.read._choose_header_row` as
    the one sheet of a workbook (its ``title`` and openpyxl's ``iter_rows``)."""

    def __init__(self, title: str, rows: list[tuple]) -> None:
        self.title = title
        self._rows = rows

    def iter_rows(self, max_row: int, values_only: bool = True):
        return iter(self._rows[:max_row])


class _RowsBook:
    def __init__(self, sheet: _RowsSheet) -> None:
        self.worksheets = [sheet]


def _csv_header(path: Path, table: _read._Table, scheme: Scheme) -> _read._Table:
    """``table`` (a CSV file read with its first row as the header) with the header row that
    :func:`evalkit.read._choose_header_row` finds among its first rows, as in a workbook."""
    frame = table.frame
    first = [tuple(frame.columns)] + [
        tuple(None if pd.isna(v) else v for v in row)
        for row in frame.head(_read.HEADER_SEARCH_ROWS - 1).itertuples(index=False, name=None)
    ]
    chosen, _ = _read._choose_header_row(path, _RowsBook(_RowsSheet(path.name, first)), scheme)
    if chosen.row == 1:
        return table
    cells = first[chosen.row - 1]
    below = frame.iloc[chosen.row - 1 :].reset_index(drop=True)
    below.columns = [f"Unnamed: {j}" if v is None else str(v) for j, v in enumerate(cells)]
    return _read._Table(below, header_row=chosen.row)


def locate_header(path: Path | str, scheme: Scheme) -> _read._Table:
    """Read an export with its header row found as ``evalkit validate`` finds it.

    In a workbook :func:`evalkit.read._read_located` finds the sheet and row; in a CSV file
    the same search (:func:`evalkit.read._choose_header_row`) looks at its first
    :data:`evalkit.read.HEADER_SEARCH_ROWS` rows. A header row holding none of the layouts'
    headers (a form whose every header was reworded) is the first row, and it is taken only
    when it :func:`reads_like_headers`.

    Raises
    ------
    StructuralError
        The file cannot be read, or no header row is found (its first rows are data).
    """
    path = Path(path)
    table = _read._read_located(path, scheme)
    if path.suffix.strip().lower() == ".csv":
        table = _csv_header(path, table, scheme)
    headers = {_read.clean_header(h) for h in table.frame.columns}
    known = {h for lay in scheme.layouts.values() for h in lay.headers}
    if headers & known or reads_like_headers(table.frame, scheme):
        return table
    raise StructuralError(
        f"No header row found: none of the first {_read.HEADER_SEARCH_ROWS} rows holds a "
        f"header of a layout of {scheme.name}, and the cells of the first row do not read like "
        "headers (the file seems to start with data), so there is nothing to propose a layout "
        "from (no cell is shown, as they may hold personal data)",
        file=path,
        fix=(
            "export the file again with its header row (the questions as column names), or "
            "type the header row above the data, and run `evalkit layout` again"
        ),
    )


def propose_layout_for_file(
    path: Path | str, scheme: Scheme, *, name: str | None = None
) -> Proposal:
    """Read an export (its header row found by :func:`locate_header`) and propose a layout.

    Raises
    ------
    StructuralError
        The file cannot be read, or no header row is found.
    """
    path = Path(path)
    table = locate_header(path, scheme)
    proposal = propose_layout(
        table.frame, scheme, name=name or layout_name(path, scheme), file=path.name
    )
    proposal.header_row = table.header_row
    proposal.sheet = table.sheet if table.sheet_index else None
    return proposal


# --- output ---------------------------------------------------------------------------------
#: Keys at least this long are written as YAML explicit keys (``? key``).
_LONGEST_KEY = 1000


def _yaml_key(text: str) -> str:
    """``text`` as a YAML scalar that reads back as the same string: plain when it can be,
    else double-quoted (JSON's escapes are YAML's), with every character a terminal must not
    be given (:data:`evalkit.inert.TERMINAL_UNSAFE`) written as an escape (``\\x1b``,
    ``\\u202e``), which YAML reads back as the character."""
    plain = (
        len(text) < _LONGEST_KEY
        and "\n" not in text
        and "#" not in text
        and not text.startswith(("'", '"'))
        and not TERMINAL_UNSAFE.search(text)
    )
    if plain:
        try:
            if yaml.safe_load(f"{text}: x") == {text: "x"}:
                return text
        except yaml.YAMLError:
            pass
    quoted = json.dumps(text, ensure_ascii=False)
    return TERMINAL_UNSAFE.sub(lambda m: escape(m.group()), quoted)


def _comment(text: object) -> str:
    """Text made safe for a one-line YAML comment and for the terminal."""
    return " ".join(visible(text).split())


def _shown(header: str) -> str:
    """A header quoted for the summary, safe for the terminal."""
    return visible(repr(header))


def proposal_yaml(proposal: Proposal, scheme: Scheme) -> str:
    """The layout as YAML, indented to be pasted under ``layouts:``; the confidences and
    the unmatched headers and fields as comments."""
    lines = [
        f"  # Proposed by `evalkit layout` from {_comment(proposal.file)}{_where(proposal)} for "
        f"scheme {_comment(proposal.scheme)}. Check every line;",
        "  # confidence 0-1 = the wording's similarity to the known headers and label, and for",
        "  # answer fields 0.6 x wording + 0.4 x the share of answers the field's parser reads.",
        f"  {_yaml_key(proposal.name)}:",
        "    headers:",
    ]
    for m in proposal.matches:
        key, note = _yaml_key(m.header), f"  # {m.confidence:.2f}: {_comment(m.explain())}"
        if len(key) < _LONGEST_KEY:
            lines.append(f"      {key}: {_yaml_key(m.field)}{note}")
        else:  # YAML's explicit key: a plain `key: value` may be at most 1024 characters long
            lines.extend([f"      ? {key}", f"      : {_yaml_key(m.field)}{note}"])
    if not proposal.matches:
        lines[-1] = "    headers: {}"
    if proposal.personal_data:
        lines.append("    # personal data: dropped on reading, never kept, printed or written")
        lines.append("    personal_data:")
        lines.extend(f"      - {_yaml_key(h)}" for h in proposal.personal_data)
    else:
        lines.append("    personal_data: []")
    if proposal.unmatched or proposal.blank_headers:
        lines.append("  # Headers left unmatched (kept out of the analysis unless mapped above):")
        for header, best, s in proposal.unmatched:
            guess = (
                f" (nearest: {best}, score {s:.2f}; a match needs {MIN_SCORE:.2f})"
                if best
                else " (worded like no field)"
            )
            lines.append(f"  #   {_comment(header)}{guess}")
        for col in proposal.blank_headers:
            lines.append(f"  #   column {col} has no header")
    if proposal.missing:
        lines.append("  # Fields with no header in this file:")
        for f in proposal.missing:
            spec = scheme.fields[f]
            need = "; required: reading stops until one is mapped" if spec.required else ""
            lines.append(f"  #   {_comment(f)} ({spec.type}, «{_comment(spec.label_nb)}»{need})")
    return "\n".join(lines) + "\n"


def _where(proposal: Proposal) -> str:
    """« (header row 4 of sheet 'Data')» when the header is not the first row (of the first
    sheet), safe for the terminal."""
    if proposal.header_row == 1 and proposal.sheet is None:
        return ""
    sheet = f" of sheet {_shown(proposal.sheet)}" if proposal.sheet is not None else ""
    return f" (header row {proposal.header_row}{sheet})"


def proposal_summary(proposal: Proposal, scheme: Scheme) -> str:
    """A summary for the terminal: what was matched, how surely, and what was not."""
    n = len(proposal.matches)
    out = [
        f"{_comment(proposal.file)}{_where(proposal)}: {n} header(s) matched to fields of "
        f"{_comment(proposal.scheme)}, "
        f"{len(proposal.unmatched)} unmatched, {len(proposal.personal_data)} personal data; "
        f"{len(proposal.missing)} field(s) without a header.",
    ]
    check = [m for m in proposal.matches if m.confidence < CHECK_BELOW or m.runner_up]
    if check:
        out.append("Check these matches:")
        out.extend(
            f"  {_shown(m.header)} -> {_comment(m.field)} ({m.confidence:.2f}: "
            f"{_comment(m.explain())})"
            for m in check
        )
    if proposal.unmatched:
        out.append("Unmatched headers: " + ", ".join(_shown(h) for h, _, _ in proposal.unmatched))
    if proposal.personal_data:
        out.append(
            "Personal data (values not read): "
            + ", ".join(_shown(h) for h in proposal.personal_data)
        )
    if proposal.missing:
        out.append("Fields without a header: " + _comment(", ".join(proposal.missing)))
    if proposal.required_missing:
        out.append(
            "Required fields without a header (the file cannot be read until they are "
            "mapped): " + _comment(", ".join(proposal.required_missing))
        )
    out.append(
        f"Paste the YAML printed on stdout under `layouts:` in {_comment(scheme.path.name)}, "
        "check it, then run `evalkit validate`."
    )
    return "\n".join(out) + "\n"
