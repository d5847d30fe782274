"""Scheme configuration: one YAML file per grant scheme, bundled in the package
(``evalkit/schemes/``) or the user's own (``schemes/`` in the project folder).

The YAML holds the layouts (raw header -> field, one per form version), the fields and their
types, the vocabularies (code, Norwegian label, accepted spellings), the share metrics, and
every scheme-specific choice of the documents: sections, tables, figures, the summary's
sentences, key figures, county-table columns, group tests, the regression, notes. A new form
version or a new grant scheme is a YAML change, never a code change.

Texts per language: every text key ``X_nb`` (titles, labels, vocabularies, notes, sources,
background, sections, key figures …) may be given as ``X_nn`` and ``X_en`` too, by one rule
(:class:`_TranslatedFields`, no field written out by hand); the summary's sentences as
``summary_nn``/``summary_en`` (the same sentences, with the same placeholders, checked at
load). ``languages: [nb, nn, en]`` lists the languages the scheme publishes (default
``[nb]``). :func:`scheme_text` reads a text in a language, falling back to bokmål;
:func:`text_fallbacks` lists the keys that fall back. The defaults the loader fills in
(:func:`document_defaults`: «Fylker», «Beløp», «Antall prosjekter» …) come from the message
catalogs in every language.

The YAML is checked before use by the pydantic models below
(shape: every key known, every type right) and their cross-checks (every name it refers to
defined); a problem is an :class:`~evalkit.errors.EvalkitError` naming the file, the key path
and the fix.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import reprlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    model_validator,
)

from evalkit import i18n, scheme_files
from evalkit.errors import EvalkitError
from evalkit.i18n import LANGUAGES, SOURCE_LANGUAGE, current_language, language
from evalkit.scheme_files import (
    check_file,
    clip_text,
    override_line,
    read_scheme_bytes,
    replaces_bundled,
    scheme_path,
)

#: The largest whole number a float64 holds exactly (2**53): no plausible range may reach
#: beyond it, so that an amount read as a float is compared with the range exactly and every
#: kept amount is an exact integer.
MAX_EXACT_AMOUNT = 2**53


@dataclass(frozen=True)
class AmountRange:
    """The plausible amounts of an amount field, in whole kroner per row, both ends included.

    An amount outside it is flagged (``implausible_amount``) and set to missing, so it is
    left out of sums and quartiles. Set under the field in the scheme YAML, e.g.
    ``plausible: {min: 0, max: 10000000}``; either end may be left out to keep its default.
    """

    min: int = 1
    max: int = 50_000_000


#: The range of an amount field whose YAML sets none: more than 0 and at most 50 million
#: kroner per row.
DEFAULT_AMOUNT_RANGE = AmountRange()


def normalise_key(text: str) -> str:
    """Fold a label for matching: case folded, spaces and punctuation removed, letters kept
    (``å`` is not ``a``): ``"Diagnose-uavhengig"`` and ``"diagnoseuavhengig"`` match."""
    text = unicodedata.normalize("NFC", str(text)).casefold()
    return re.sub(r"[\W_]+", "", text)


@dataclass(frozen=True)
class Term:
    """One entry of a vocabulary."""

    code: str
    label_nb: str
    spellings: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    fallback: bool = False
    label_nn: str | None = None
    label_en: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    name: str
    terms: tuple[Term, ...]

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.terms]

    def label(self, code: str, lang: str | None = None) -> str:
        """The label of ``code`` in ``lang`` (default: the current language; bokmål when the
        YAML has none in it)."""
        for term in self.terms:
            if term.code == code:
                return scheme_text(term, "label", lang)
        raise KeyError(code)

    @functools.cached_property
    def lookup(self) -> dict[str, str]:
        """Normalised spelling -> code (code, label and every accepted spelling)."""
        out: dict[str, str] = {}
        for t in self.terms:
            for s in (t.code, t.label_nb, *t.spellings):
                key = normalise_key(s)
                if out.get(key, t.code) != t.code:
                    raise EvalkitError(
                        f"Vocabulary {self.name!r}: spelling {s!r} is given for both "
                        f"{out[key]!r} and {t.code!r}. Remove it from one of them in the scheme YAML."
                    )
                out[key] = t.code
        return out


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label_nb: str
    required: bool = False
    vocabulary: str | None = None
    target: str | None = None
    #: Amount fields only: the plausible amounts (:data:`DEFAULT_AMOUNT_RANGE` unless set).
    plausible: AmountRange | None = None
    #: Round fields only: the round a blank cell stands for (None: a blank round is unknown).
    blank_is: int | None = None
    label_nn: str | None = None
    label_en: str | None = None


@dataclass(frozen=True)
class Layout:
    name: str
    headers: dict[str, str]
    personal_data: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShareSpec:
    """A share metric (or a family of them, for category/checked/reasons kinds)."""

    field: str
    kind: str
    group: str
    label_nb: str
    code: str | None = None
    key: str | None = None
    among: dict[str, Any] | None = None
    label_nn: str | None = None
    label_en: str | None = None


# --- the YAML's schema (pydantic) ------------------------------------------------------------


def _as_text(value: Any) -> Any:
    """YAML reads ``code: 1`` as a number and ``code: yes`` as True: a code or label is text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value) if isinstance(value, int | float) else value


Text = Annotated[str, BeforeValidator(_as_text)]

#: A notebook's file name in ``notebooks/``: no folder, no path, ``.py`` or ``.ipynb``.
_NOTEBOOK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.(?:py|ipynb)")


def _notebook_name(value: str) -> str:
    """``notebook:`` names a file in the project's ``notebooks/`` folder, never a path: a
    scheme YAML is data and may not make evalkit run a file elsewhere."""
    if not _NOTEBOOK_NAME.fullmatch(value):
        raise ValueError(
            f"{_quote(value)} is not the name of a notebook in notebooks/ (letters, digits, "
            "_ - . only, ending .py or .ipynb; no folder, no path). Put the notebook in the "
            "project's notebooks/ folder and give its name, e.g. `notebook: my_scheme.py`"
        )
    return value


NotebookName = Annotated[str, AfterValidator(_notebook_name)]
FieldType = Literal[
    "id",
    "county",
    "municipality_codes",
    "municipality_names",
    "municipality_list",
    "text",
    "amount",
    "yesno",
    "checkbox",
    "category",
    "reasons",
    "round",
]
ShareKind = Literal["yesno", "category", "category_one", "checked", "reasons"]
#: The field types and share kinds a scheme may use (from the models' literals).
FIELD_TYPES = frozenset(get_args(FieldType))
SHARE_KINDS = frozenset(get_args(ShareKind))
#: The pieces a section can show by name (``sections[].show``).
SectionPiece = Literal[
    "county_table",
    "county_figures",
    "amounts_table",
    "category_table",
    "applied_granted_table",
    "applied_granted_figure",
    "group_tests",
]


#: The languages a text key ``X_nb`` has a translation key of (``X_nn``, ``X_en``).
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE)


class _TranslatedFields(type(BaseModel)):  # pydantic's metaclass, by its public face
    """Every field ``X_nb`` of a model gains the optional fields ``X_nn`` and ``X_en`` of the
    same type (None when not given), so that each text of the YAML can be translated without a
    field written out by hand for each language; :func:`scheme_text` reads them."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kw: Any):
        # the annotations are the strings ``from __future__ import annotations`` (above) leaves
        # in the class body's namespace; without it, Python 3.14 would evaluate them lazily
        # through ``__annotate__`` and no field would be added: refuse rather than drop them
        if "__annotations__" not in namespace and "__annotate__" in namespace:
            raise TypeError(f"{name}: _TranslatedFields needs `from __future__ import annotations`")
        notes = namespace.get("__annotations__", {})
        for key, annotation in list(notes.items()):
            if not key.endswith(f"_{SOURCE_LANGUAGE}"):
                continue
            for lang in TRANSLATED:
                other = f"{key[: -len(SOURCE_LANGUAGE)]}{lang}"
                if other not in notes:
                    optional = "None" in str(annotation).split("|")[-1]
                    notes[other] = annotation if optional else f"{annotation} | None"
                    namespace[other] = None
        return super().__new__(mcs, name, bases, namespace, **kw)


class _Model(BaseModel, metaclass=_TranslatedFields):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TermModel(_Model):
    code: Text
    label_nb: Text
    spellings: list[Text] = []
    keywords: list[Text] = []
    fallback: bool = False


class PlausibleModel(_Model):
    """``plausible: {min: …, max: …}`` of an amount field, whole kroner, both ends included."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    min: StrictInt = 1
    max: StrictInt = 50_000_000

    @model_validator(mode="after")
    def _ordered(self) -> PlausibleModel:
        if not 0 <= self.min <= self.max <= MAX_EXACT_AMOUNT:
            raise ValueError(
                f"need 0 <= min <= max <= {MAX_EXACT_AMOUNT} (got min {self.min}, max "
                f"{self.max}). Correct the range in the scheme YAML"
            )
        return self


class FieldModel(_Model):
    type: FieldType
    label_nb: Text | None = None
    required: bool = False
    vocabulary: str | None = None
    target: str | None = None
    plausible: PlausibleModel | None = None
    #: For a round field: the round a blank cell stands for (as the export's specification
    #: says); without it a blank round is unknown and counted in ``round_missing``.
    blank_is: Literal[1, 2] | None = None

    @model_validator(mode="after")
    def _plausible_on_amounts(self) -> FieldModel:
        if self.plausible is not None and self.type != "amount":
            raise ValueError(
                "sets `plausible`, but only amount fields have a plausible range. Remove it, "
                "or make the field `type: amount`"
            )
        if self.blank_is is not None and self.type != "round":
            raise ValueError(
                "sets `blank_is`, but only round fields say which round a blank cell is. "
                "Remove it, or make the field `type: round`"
            )
        return self


class LayoutModel(_Model):
    headers: dict[Text, Text]
    personal_data: list[Text] = []


class AmongModel(_Model):
    field: str
    equals: Text


class ShareModel(_Model):
    field: str
    kind: ShareKind
    group: str
    label_nb: str
    code: Text | None = None
    key: str | None = None
    among: AmongModel | None = None


class CombinedShareModel(_Model):
    """Several codes of a category field counted as one share (``combined.<key>``), with an
    optional second denominator: only the rows whose answer is one of ``assessable``."""

    key: str
    label_nb: str
    field: str
    codes: list[Text]
    assessable: list[Text] | None = None
    #: How the text names the assessable rows: «der måloppnåelsen kunne vurderes».
    assessable_nb: str | None = None


class CheckedCountModel(_Model):
    """The rows with at least ``at_least`` of the checkboxes ``fields`` (a pattern such as
    ``actor.*``) checked, among the rows where the yes/no column ``among`` is yes (all rows
    without it): ``checked_counts.<key>`` in metrics.json (``count``, ``n``, ``fewer`` = the
    rows with fewer checked, the share with its interval), so that a sentence says of a group
    only what is true of every row in it, or the share it is true of."""

    key: str
    fields: str
    at_least: int = Field(ge=1)
    among: str | None = None


class ShareRangeModel(_Model):
    """The lowest and highest of several shares (``share_ranges.<key>``)."""

    key: str
    fields: list[str]


class AmountModel(_Model):
    field: str
    label_nb: str
    #: A yes/no column: the distribution only among the rows where it is yes.
    among: str | None = None


class AwardModel(_Model):
    """Application schemes: which rows were granted, and the applied and granted amounts.

    With ``decision`` and ``refused`` (a category field and its code for a refusal), a refused
    row with no granted amount counts as 0 kr, and one with an amount is flagged and the amount
    left out; a granted amount above the applied one is noted.
    """

    flag: str
    applied: str
    granted: str
    decision: str | None = None
    refused: str | None = None


class DerivedModel(_Model):
    """A yes/no column the cleaning step derives from a field: yes where the field holds the
    code ``equals`` (a category), or, with ``filled: true``, where it is not empty."""

    source: str = Field(alias="from")
    equals: str | None = None
    filled: bool = False

    @model_validator(mode="after")
    def _one_rule(self) -> DerivedModel:
        if (self.equals is None) == (not self.filled):
            raise ValueError("give either `equals: <code>` or `filled: true`")
        return self


class ByCountyModel(_Model):
    #: Yes/no columns counted per county (``n_<column>``).
    flags: list[str] = []
    #: Distinct municipalities per county (``n_municipalities``); default: when the scheme
    #: has municipality codes and no award.
    municipalities: bool | None = None


class ColumnModel(_Model):
    key: str
    label_nb: str
    #: A count of rows: the small-count rule applies to it.
    count: bool = False
    #: Hidden with these count columns (a sum or a rate that would reveal them).
    linked_to: list[str] = []
    format: Literal["int", "pct"] = "int"


class CountyFiguresModel(_Model):
    count: str
    count_label_nb: str
    amount: str | None = None


class CountyTableModel(_Model):
    title_nb: str | None = None
    columns: list[ColumnModel] | None = None
    figures: CountyFiguresModel | None = None


class PublicRowsModel(_Model):
    """Rows published elsewhere, county by county (``disclosure.public``): their counts and
    the amounts summed over them are not hidden per county, and a list of them shows every
    row."""

    #: A yes/no column: the rows where it is yes are public; left out: every row.
    among: str | None = None
    #: What is public, as the method text names it: «Tildelingene».
    what_nb: str
    #: Where and how it was published, a clause: «departementet publiserte listen …».
    source_nb: str
    #: The other rows, which stay protected, plural and indefinite: «avslåtte søknader».
    rest_nb: str | None = None


class DisclosureModel(_Model):
    """``disclosure``: what the small-count rule need not protect."""

    public: list[PublicRowsModel] = []


class GroupTestModel(_Model):
    key: str
    label_nb: str
    #: ``county_code`` or a category field.
    by: str
    #: A yes/no column, or the key of a combined share (counted among its assessable rows).
    outcome: str


class KeyFigureModel(_Model):
    label_nb: str
    #: A metrics.json key, dotted for nested ones (``grant_nok.median_nok``) ...
    value: str | None = None
    #: ... or a share key: shown as «count (share)».
    share: str | None = None
    format: Literal["int", "nok"] = "int"

    @model_validator(mode="after")
    def _one(self) -> KeyFigureModel:
        if (self.value is None) == (self.share is None):
            raise ValueError("give exactly one of `value` (a metrics key) and `share`")
        return self


class SentenceModel(_Model):
    """A summary sentence with a condition, or a sentence over a list of metrics.json.

    ``{text, if}``: the text only when the metrics value ``if`` names is not 0 (nor missing);
    ``{text, unless}``: only when the value ``unless`` names is 0 (and not missing).
    ``{each, item, text, min}``: ``item`` written for each entry of the list ``each``
    (``by_round``), joined into ``text``'s ``{items}`` (``{count}``: the number of entries);
    left out when the list has fewer than ``min`` entries.
    ``otherwise``: the text written instead when ``text`` names a value that is missing
    (``{fewest[n_projects]}`` when naming the county would give a hidden count away).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    text: str
    if_: str | None = Field(default=None, alias="if")
    unless: str | None = None
    each: str | None = None
    item: str | None = None
    min: int = 1
    otherwise: str | None = None

    @model_validator(mode="after")
    def _each_has_item(self) -> SentenceModel:
        if (self.each is None) != (self.item is None):
            raise ValueError("`each` and `item` go together: give both or neither")
        if self.each is not None and self.otherwise is not None:
            raise ValueError("`otherwise` is for a sentence without `each`")
        return self


class SharesItemModel(_Model):
    shares: str
    title_nb: str
    figure: bool = False


class ListSpecModel(_Model):
    title_nb: str
    among: str | None = None
    #: Column of the tidy frame -> its header (bokmål), in order.
    columns: dict[str, str]
    #: The headers in nynorsk and English: the same keys as ``columns`` (checked at load); a
    #: column missing here keeps its bokmål header (:func:`scheme_text` of ``"columns"``,
    #: listed by :func:`text_fallbacks`).
    columns_nn: dict[str, str] | None = None
    columns_en: dict[str, str] | None = None
    sort: list[str] | None = None
    #: One of ``columns``: its value heads each group of rows instead of being repeated.
    group_by: str | None = None


class ListItemModel(_Model):
    list: ListSpecModel


class SectionModel(_Model):
    title_nb: str
    text_nb: str | None = None
    show: list[SectionPiece | SharesItemModel | ListItemModel]


class PredictorModel(_Model):
    name: str
    field: str
    #: For a category field: the code the predictor is 1 for.
    equals: Text | None = None
    label_nb: str


class RegressionModel(_Model):
    #: The key of a combined share with ``assessable``: its codes are the outcome, the other
    #: assessable codes the other outcome, the rest left out.
    outcome: str
    title_nb: str
    label_nb: str
    predictors: list[PredictorModel]


class TrendFigureModel(_Model):
    group: str
    title_nb: str


class TrendsModel(_Model):
    figures: list[TrendFigureModel] | None = None
    #: The amount field (of ``amounts``) shown per year.
    amount: str | None = None
    regression: RegressionModel | None = None


class SchemeModel(_Model):
    """The whole scheme YAML."""

    scheme: str
    title_nb: str
    short_title_nb: str
    #: The languages the scheme's documents are published in; bokmål alone by default.
    languages: list[Literal["nb", "nn", "en"]] = ["nb"]
    unit: Literal["project", "application"]
    id_field: str
    year_field: str | None = None
    #: A file in the project's ``notebooks/`` (a name, never a path: :func:`_notebook_name`).
    notebook: NotebookName | None = None
    first_year: int
    layouts: dict[str, LayoutModel]
    fields: dict[str, FieldModel]
    vocabularies: dict[str, list[TermModel]] = {}
    shares: list[ShareModel] = []
    #: Yes/no columns the cleaning step derives from a field (:class:`DerivedModel`).
    derived: dict[str, DerivedModel] = {}
    source_nb: str | None = None
    background_nb: str | None = None
    summary: list[str | SentenceModel] | None = None
    #: The summary in nynorsk and English: the same sentences in the same order, each with
    #: the same placeholders and conditions as the bokmål one (:func:`summary_problems`).
    summary_nn: list[str | SentenceModel] | None = None
    summary_en: list[str | SentenceModel] | None = None
    key_figures: list[KeyFigureModel] | None = None
    amounts: list[AmountModel] | None = None
    award: AwardModel | None = None
    by_county: ByCountyModel = ByCountyModel()
    by_category: str | None = None
    county_table: CountyTableModel = CountyTableModel()
    combined_shares: list[CombinedShareModel] = []
    checked_counts: list[CheckedCountModel] = []
    share_ranges: list[ShareRangeModel] = []
    group_tests: list[GroupTestModel] | None = None
    sections: list[SectionModel] | None = None
    disclosure: DisclosureModel = DisclosureModel()
    notes_nb: dict[int, str] = {}
    synthetic_notes_nb: dict[int, str] = {}
    trends: TrendsModel = TrendsModel()

    @model_validator(mode="after")
    def _names_are_defined(self) -> SchemeModel:
        problems = reference_problems(self) + summary_problems(self)
        problems += translation_problems(self)
        if len(set(self.languages)) != len(self.languages) or not self.languages:
            problems.append(("languages", "list each language once (e.g. [nb, nn, en])"))
        if problems:
            raise ValueError("\n".join(f"{where}: {what}" for where, what in problems))
        return self


# --- texts per language ------------------------------------------------------------------------
def _source_name(obj: Any, key: str) -> str:
    """The attribute holding the bokmål of ``key``: ``label_nb``, or ``summary`` itself."""
    return f"{key}_{SOURCE_LANGUAGE}" if hasattr(obj, f"{key}_{SOURCE_LANGUAGE}") else key


def scheme_text(obj: Any, key: str, lang: str | None = None) -> Any:
    """The text ``key`` of a part of the scheme (a pydantic model of the YAML, or a
    :class:`Term`, :class:`FieldSpec`, :class:`ShareSpec`, :class:`Scheme`) in ``lang``
    (default: the current language): ``scheme_text(share, "label", "nn")`` is
    ``share.label_nn``, or ``share.label_nb`` when the YAML has no nynorsk. A mapping
    (``notes``) falls back entry by entry; ``scheme_text(model, "summary", "en")`` is
    ``summary_en``, else ``summary``. :func:`text_fallbacks` lists what falls back."""
    lang = current_language() if lang is None else lang
    source = getattr(obj, _source_name(obj, key))
    if lang == SOURCE_LANGUAGE:
        return source
    value = getattr(obj, f"{key}_{lang}", None)
    if isinstance(source, dict):
        return {k: (value or {}).get(k) or v for k, v in source.items()}
    return source if value is None or value == "" else value


def _walk(obj: Any, path: str) -> Any:
    """Every pydantic model inside ``obj`` with its key path (``shares[2]``)."""
    if isinstance(obj, BaseModel):
        yield path, obj
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name), f"{path}.{name}" if path else name)
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            yield from _walk(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for k, item in obj.items():
            yield from _walk(item, f"{path}.{k}")


def _translations(model: Any, langs: tuple[str, ...]) -> Any:
    """Every bokmål text field of ``model`` and its models with its translation into each of
    ``langs``: (``where``, the field ``X_nb``, its value, ``X_<lang>``, that value, lang)."""
    for path, part in _walk(model, ""):
        where = f"{path}." if path else ""
        for name in type(part).model_fields:
            if not name.endswith(f"_{SOURCE_LANGUAGE}"):
                continue
            source = getattr(part, name)
            for lang in langs:
                other = f"{name[: -len(SOURCE_LANGUAGE)]}{lang}"
                yield where, name, source, other, getattr(part, other, None), lang


def text_fallbacks(scheme: Scheme | SchemeModel, lang: str) -> list[str]:
    """The text keys of the scheme YAML without a translation into ``lang``, whose bokmål is
    shown instead (``shares[0].label_nn``, ``notes_nn.2023``, ``summary_nn``); [] for
    bokmål. The build prints them. The defaults the loader fills in come from the catalogs in
    every language and are never listed."""
    model = scheme.doc if isinstance(scheme, Scheme) else scheme
    if lang == SOURCE_LANGUAGE or model is None:
        return []
    out = []
    for where, _name, source, other, given, _lang in _translations(model, (lang,)):
        if isinstance(source, dict):
            out += [
                f"{where}{other}.{k}" for k, v in source.items() if v and not (given or {}).get(k)
            ]
        elif source and not given:
            out.append(f"{where}{other}")
    for path, part in _walk(model, ""):
        where = f"{path}." if path else ""
        for name in _PLAIN_TRANSLATED:  # a bokmål text without _nb: `columns` of a list
            if f"{name}_{lang}" not in type(part).model_fields:
                continue
            source = getattr(part, name)
            if isinstance(source, dict):
                given = getattr(part, f"{name}_{lang}", None) or {}
                out += [
                    f"{where}{name}_{lang}.{k}" for k, v in source.items() if v and not given.get(k)
                ]
    if model.summary and getattr(model, f"summary_{lang}", None) is None:
        out.append(f"summary_{lang}")
    return out


#: Texts whose bokmål key has no ``_nb`` (the translations are ``X_nn``, ``X_en``) and that
#: fall back entry by entry: a list's column headers.
_PLAIN_TRANSLATED = ("columns",)


def translation_problems(m: SchemeModel) -> list[tuple[str, str]]:
    """Every translated text (``X_nn``, ``X_en``) whose ``{placeholders}`` differ from its
    bokmål's (``X_nb``), as (key path, problem); the summaries: :func:`summary_problems`."""
    from evalkit.i18n import placeholders

    def names(text: Any) -> set[str] | None:
        try:
            return placeholders(text) if isinstance(text, str) else set()
        except ValueError:
            return None  # unbalanced braces: the text's own check says so

    out = []
    for where, name, source, other, given, lang in _translations(m, TRANSLATED):
        if given is None:
            continue
        pairs = (
            [(f"{other}.{k}", source.get(k), v) for k, v in given.items()]
            if isinstance(given, dict)
            else [(other, source, given)]
        )
        for key, nb_text, text in pairs:
            if isinstance(source, dict) and nb_text is None:
                out.append((f"{where}{key}", f"translates an entry {name} does not "
                            "have: give the bokmål too"))  # fmt: skip
                continue
            want, got = names(nb_text), names(text)
            if want is not None and got is not None and want != got:
                out.append((f"{where}{key}", f"names the placeholders "
                            f"{_show(sorted(got))}, the bokmål {name} "
                            f"{_show(sorted(want))}: a translation in language {lang} "
                            "names the same values"))  # fmt: skip
    return out


def _sentence_parts(sentence: str | SentenceModel) -> dict[str, Any]:
    """What must be the same in each language's version of a summary sentence."""

    def names(text: str | None) -> list[str]:
        try:
            return sorted(
                placeholder_text(f, spec or "", None)
                for _l, f, spec, _c in TEMPLATE_PARSER.parse(text or "")
                if f is not None
            )
        except ValueError:
            return []

    from evalkit.formats import TEMPLATE_PARSER, placeholder_text

    if isinstance(sentence, str):
        sentence = SentenceModel(text=sentence)
    return {
        "placeholders": names(sentence.text),
        "item placeholders": names(sentence.item),
        "otherwise placeholders": names(sentence.otherwise) if sentence.otherwise else None,
        "if": sentence.if_,
        "unless": sentence.unless,
        "each": sentence.each,
        "min": sentence.min,
    }


def summary_problems(m: SchemeModel) -> list[tuple[str, str]]:
    """The translated summaries (``summary_nn``, ``summary_en``) against the bokmål one: the
    same number of sentences, and each with the same placeholders and conditions."""
    out = []
    for lang in TRANSLATED:
        translated = getattr(m, f"summary_{lang}")
        if translated is None:
            continue
        key = f"summary_{lang}"
        if m.summary is None:
            out.append((key, "a translated summary needs the bokmål `summary:` it translates"))
            continue
        if len(translated) != len(m.summary):
            out.append((key, f"has {len(translated)} sentence(s), the bokmål summary "
                        f"{len(m.summary)}: translate each sentence, in the same order"))  # fmt: skip
            continue
        for i, (nb, other) in enumerate(zip(m.summary, translated, strict=True)):
            want, got = _sentence_parts(nb), _sentence_parts(other)
            for part in want.keys() | got.keys():
                if want.get(part) != got.get(part):
                    out.append((f"{key}[{i}]", f"its {part} ({_show(got.get(part))}) differ "
                                f"from the bokmål summary[{i}]'s ({_show(want.get(part))}) in "
                                f"language {lang}: a translation names the same values in the "
                                "same formats"))  # fmt: skip
    return out


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return "none" if value is None else str(value)


def count_key(unit: str) -> str:
    """``n_projects`` / ``n_applications``: the metrics.json key of the number of rows."""
    return f"n_{unit}s"


def _suggest(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name[:QUOTE_CHARS], known, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
    return f"known: {shown}" if known else "none is defined"


def reference_problems(m: SchemeModel) -> list[tuple[str, str]]:
    """Every name the YAML refers to that it does not define, as (key path, message and fix)."""
    out: list[tuple[str, str]] = []
    fields = m.fields
    columns = [*fields, *m.derived]  # what the tidy frame holds
    targets = {f.target: n for n, f in fields.items() if f.type == "reasons" and f.target}

    def need(where: str, name: str, known: list[str], what: str) -> bool:
        if name in known:
            return True
        # a suggestion for the problems an error shows only: difflib for each of thousands
        # of wrong names, over thousands of known ones, would take minutes
        hint = _suggest(name, known) if len(out) < MAX_PROBLEMS else "…"
        out.append((where, f"{name!r} is not {what} ({hint}). Define it, or correct the "
                           "name."))  # fmt: skip
        return False

    def codes_of(fname: str) -> list[str]:
        vocab = fields[fname].vocabulary if fname in fields else None
        return [t.code for t in m.vocabularies.get(vocab or "", [])]

    for name, terms in m.vocabularies.items():
        seen: set[str] = set()
        for i, t in enumerate(terms):
            if t.code in seen:
                out.append((f"vocabularies.{name}[{i}].code", f"the code {t.code!r} is given "
                            "twice. Give each code once (merge the two entries' spellings)."))  # fmt: skip
            seen.add(t.code)
    for fname, f in fields.items():
        if f.vocabulary is not None:
            need(f"fields.{fname}.vocabulary", f.vocabulary, list(m.vocabularies), "a vocabulary")
        elif f.type in ("category", "reasons"):
            out.append((f"fields.{fname}", f"a {f.type} field needs `vocabulary:`. Name one of "
                        "the vocabularies."))  # fmt: skip
    need("id_field", m.id_field, list(fields), "a field")
    for lname, layout in m.layouts.items():
        for header, fname in layout.headers.items():
            need(f"layouts.{lname}.headers.{header}", fname, list(fields), "a field")
    yesno = [n for n, f in fields.items() if f.type in ("yesno", "checkbox")] + list(m.derived)
    categories = [n for n, f in fields.items() if f.type == "category"]
    amounts = [n for n, f in fields.items() if f.type == "amount"]
    share_keys: list[str] = []
    groups: list[str] = []
    for i, s in enumerate(m.shares):
        where = f"shares[{i}]"
        groups.append(s.group)
        if s.kind == "checked":
            matched = [n for n in fields if fnmatch.fnmatchcase(n, s.field)]
            if not matched:
                out.append((f"{where}.field", f"{s.field!r} matches no field. Name a checkbox "
                            "field, or a pattern such as actor.* that matches some."))  # fmt: skip
            share_keys += matched
        elif s.kind == "yesno":
            if need(f"{where}.field", s.field, yesno, "a yes/no field or derived column"):
                share_keys.append(s.key or s.field)
        elif s.kind in ("category", "category_one"):
            if need(f"{where}.field", s.field, categories, "a category field"):
                if s.kind == "category_one":
                    if s.code is None:
                        out.append((f"{where}.code", "category_one needs `code:`. Name the code "
                                    "whose share is wanted."))  # fmt: skip
                    else:
                        need(f"{where}.code", s.code, codes_of(s.field), f"a code of {s.field}")
                    share_keys.append(s.key or f"{s.field}.{s.code}")
                else:
                    share_keys += [f"{s.field}.{c}" for c in codes_of(s.field)]
        elif s.kind == "reasons":
            if need(f"{where}.field", s.field, list(targets), "the target of a reasons field"):
                share_keys += [f"{s.field}.{c}" for c in codes_of(targets[s.field])]
        if s.among is not None:
            need(f"{where}.among.field", s.among.field, columns, "a field")
            if s.among.field in categories:
                need(f"{where}.among.equals", s.among.equals, codes_of(s.among.field),
                     f"a code of {s.among.field}")  # fmt: skip
    seen_keys: set[str] = set()
    for k in share_keys:
        if k in seen_keys:
            out.append(("shares", f"the share {k!r} is defined twice. Give it once."))
        seen_keys.add(k)
    combined = []
    for i, c in enumerate(m.combined_shares):
        where = f"combined_shares[{i}]"
        combined.append(c.key)
        if need(f"{where}.field", c.field, categories, "a category field"):
            for j, code in enumerate([*c.codes, *(c.assessable or [])]):
                need(f"{where}.codes[{j}]" if j < len(c.codes) else f"{where}.assessable",
                     code, codes_of(c.field), f"a code of {c.field}")  # fmt: skip
    checkboxes = [n for n, f in fields.items() if f.type == "checkbox"]
    for i, c in enumerate(m.checked_counts):
        where = f"checked_counts[{i}]"
        matched = [n for n in checkboxes if fnmatch.fnmatchcase(n, c.fields)]
        if not matched:
            out.append((f"{where}.fields", f"{c.fields!r} matches no checkbox field "
                        f"({_suggest(c.fields, checkboxes)}). Name a checkbox field, or a "
                        "pattern such as actor.* that matches some."))  # fmt: skip
        elif c.at_least > len(matched):
            out.append((f"{where}.at_least", f"{c.at_least} is more than the {len(matched)} "
                        f"checkbox(es) {c.fields!r} matches. Give at most {len(matched)}."))  # fmt: skip
        if c.among is not None:
            need(f"{where}.among", c.among, yesno, "a yes/no field or derived column")
    if len({c.key for c in m.checked_counts}) < len(m.checked_counts):
        out.append(("checked_counts", "a key is given twice. Give each count its own key."))
    for i, r in enumerate(m.share_ranges):
        for j, pattern in enumerate(r.fields):
            if not any(fnmatch.fnmatchcase(k, pattern) for k in share_keys):
                out.append((f"share_ranges[{i}].fields[{j}]", f"{pattern!r} matches no share "
                            f"({_suggest(pattern, share_keys)}). Name a share key."))  # fmt: skip
    amount_fields = [a.field for a in m.amounts] if m.amounts is not None else amounts
    for i, a in enumerate(m.amounts or []):
        need(f"amounts[{i}].field", a.field, amounts, "an amount field")
        if a.among is not None:
            need(f"amounts[{i}].among", a.among, yesno, "a yes/no field or derived column")
    for name, d in m.derived.items():
        if name in fields:
            out.append((f"derived.{name}", f"{name!r} is a field already. Give the derived "
                        "column a name of its own."))  # fmt: skip
        if need(f"derived.{name}.from", d.source, list(fields), "a field") and d.equals:
            need(f"derived.{name}.equals", d.equals, codes_of(d.source), f"a code of {d.source}")
    if m.award is not None:
        need("award.flag", m.award.flag, yesno, "a yes/no field or derived column")
        need("award.applied", m.award.applied, amounts, "an amount field")
        need("award.granted", m.award.granted, amounts, "an amount field")
        if (m.award.decision is None) != (m.award.refused is None):
            out.append(("award", "`decision` and `refused` go together: name the decision "
                        "field and its code for a refusal, or neither."))  # fmt: skip
        elif m.award.decision is not None and need(
            "award.decision", m.award.decision, categories, "a category field"
        ):
            need("award.refused", m.award.refused, codes_of(m.award.decision),
                 f"a code of {m.award.decision}")  # fmt: skip
    for i, flag in enumerate(m.by_county.flags):
        need(f"by_county.flags[{i}]", flag, yesno, "a yes/no field or derived column")
    if m.by_category is not None:
        need("by_category", m.by_category, categories, "a category field")
    table_keys = [count_key(m.unit), *(f"n_{f}" for f in m.by_county.flags), *amount_fields,
                  "n_municipalities", "award_rate"]  # fmt: skip
    if m.award is not None:
        table_keys.append(f"n_{m.award.flag}")
    cols = m.county_table.columns or []
    for i, col in enumerate(cols):
        need(f"county_table.columns[{i}].key", col.key, table_keys, "a county figure")
        counts = [c.key for c in cols if c.count]
        for j, link in enumerate(col.linked_to):
            need(f"county_table.columns[{i}].linked_to[{j}]", link, counts, "a count column")
    if m.county_table.figures is not None:
        need("county_table.figures.count", m.county_table.figures.count, table_keys,
             "a county figure")  # fmt: skip
        if m.county_table.figures.amount is not None:
            need("county_table.figures.amount", m.county_table.figures.amount, amount_fields,
                 "an amount of `amounts`")  # fmt: skip
    for i, g in enumerate(m.group_tests or []):
        need(f"group_tests[{i}].by", g.by, ["county_code", *categories], "county_code or a "
             "category field")  # fmt: skip
        need(f"group_tests[{i}].outcome", g.outcome, [*yesno, *combined],
             "a yes/no column or a combined share")  # fmt: skip
    for i, k in enumerate(m.key_figures or []):
        if k.share is not None:
            need(f"key_figures[{i}].share", k.share, share_keys, "a share")
    for i, sec in enumerate(m.sections or []):
        for j, item in enumerate(sec.show):
            where = f"sections[{i}].show[{j}]"
            if isinstance(item, SharesItemModel):
                need(f"{where}.shares", item.shares, groups, "a share group")
            elif isinstance(item, ListItemModel):
                listed = [*columns, "county_name"]
                for col in item.list.columns:
                    need(f"{where}.list.columns.{col}", col, listed, "a field")
                for lang in TRANSLATED:
                    for col in getattr(item.list, f"columns_{lang}") or {}:
                        need(f"{where}.list.columns_{lang}.{col}", col, list(item.list.columns),
                             f"a key of the list's `columns` (its header in language {lang} "
                             "translates one of them)")  # fmt: skip
                for col in item.list.sort or []:
                    need(f"{where}.list.sort", col, listed, "a field")
                if item.list.among is not None:
                    need(f"{where}.list.among", item.list.among, yesno, "a yes/no column")
                if item.list.group_by is not None:
                    need(
                        f"{where}.list.group_by", item.list.group_by, list(item.list.columns),
                        "a column of the list",
                    )  # fmt: skip
    public_among: set[str | None] = set()
    for i, p in enumerate(m.disclosure.public):
        if p.among is not None:
            need(f"disclosure.public[{i}].among", p.among, yesno, "a yes/no column")
        if p.among in public_among:
            out.append((f"disclosure.public[{i}].among", f"the rows {p.among or 'all'!r} are "
                        "declared public twice. Give them once."))  # fmt: skip
        public_among.add(p.among)
    for i, f in enumerate(m.trends.figures or []):
        need(f"trends.figures[{i}].group", f.group, groups, "a share group")
    if m.trends.amount is not None:
        need("trends.amount", m.trends.amount, amount_fields, "an amount of `amounts`")
    reg = m.trends.regression
    if reg is not None:
        assessable = [c.key for c in m.combined_shares if c.assessable]
        need("trends.regression.outcome", reg.outcome, assessable,
             "a combined share with `assessable`")  # fmt: skip
        for i, p in enumerate(reg.predictors):
            where = f"trends.regression.predictors[{i}]"
            if need(f"{where}.field", p.field, [*yesno, *categories], "a yes/no or category "
                    "field"):  # fmt: skip
                if p.field in categories:
                    if p.equals is None:
                        out.append((f"{where}.equals", f"{p.field} is a category field: give "
                                    "`equals:` (the code the predictor is 1 for)."))  # fmt: skip
                    else:
                        need(f"{where}.equals", p.equals, codes_of(p.field), f"a code of {p.field}")
    # a summary sentence names values and formats, nothing else (no attributes, conversions,
    # widths): the same check refuses them again when the sentence is filled in
    from evalkit.formats import PLACEHOLDER_FIX, placeholder_problem, placeholder_problems

    for i, sentence in enumerate(m.summary or []):
        texts = [(f"summary[{i}]", sentence, None)] if isinstance(sentence, str) else [
            (f"summary[{i}].text", sentence.text, ("count", "items") if sentence.each else None),
            (f"summary[{i}].item", sentence.item or "", None),
            (f"summary[{i}].otherwise", sentence.otherwise or "", None),
        ]  # fmt: skip
        problems = [(k, p) for k, text, names in texts for p in placeholder_problems(text, names)]
        for key, name in (("if", "if_"), ("unless", "unless")):
            condition = None if isinstance(sentence, str) else getattr(sentence, name)
            problem = placeholder_problem(condition) if condition is not None else None
            problems += [(f"summary[{i}].{key}", problem)] if problem else []
        out += [(k, f"{p}. To fix: {PLACEHOLDER_FIX}.") for k, p in problems]
    return out


# --- the scheme as the code uses it -----------------------------------------------------------
@dataclass(frozen=True, eq=False)  # identity hash: usable as a cache key
class Scheme:
    name: str
    title_nb: str
    short_title_nb: str
    unit: str
    id_field: str
    notebook: str | None
    first_year: int
    layouts: dict[str, Layout]
    fields: dict[str, FieldSpec]
    vocabularies: dict[str, Vocabulary]
    shares: tuple[ShareSpec, ...]
    path: Path = field(compare=False)
    #: Every document choice, with defaults filled in (:func:`document_defaults`).
    doc: SchemeModel | None = field(default=None, compare=False, repr=False)
    title_nn: str | None = None
    title_en: str | None = None
    short_title_nn: str | None = None
    short_title_en: str | None = None
    #: The languages the scheme publishes in (``languages:`` of the YAML).
    languages: tuple[str, ...] = (SOURCE_LANGUAGE,)

    def fields_of_type(self, *types: str) -> list[str]:
        return [n for n, f in self.fields.items() if f.type in types]

    def expand_fields(self, pattern: str) -> list[str]:
        """Field names matching a pattern such as ``actor.*``, in YAML order."""
        return [n for n in self.fields if fnmatch.fnmatchcase(n, pattern)]

    @property
    def required_fields(self) -> list[str]:
        return [n for n, f in self.fields.items() if f.required]

    @property
    def count_key(self) -> str:
        """``n_projects`` / ``n_applications``."""
        return count_key(self.unit)

    def words(self) -> tuple[str, str, str]:
        """«prosjekt», «prosjekter», «prosjektene» (or the same of «søknad») in the current
        language (:func:`evalkit.formats.unit_words`)."""
        from evalkit.formats import unit_words

        return unit_words(self.unit)

    def text(self, key: str, lang: str | None = None) -> Any:
        """:func:`scheme_text` of the scheme: ``scheme.text("title", "en")``."""
        return scheme_text(self, key, lang)

    def fallbacks(self, lang: str) -> list[str]:
        """:func:`text_fallbacks` of the scheme in ``lang``."""
        return text_fallbacks(self, lang)

    @property
    def replaces_bundled(self) -> bool:
        """Whether this YAML is read instead of the scheme of the same name bundled with
        evalkit (a copy in the project's ``schemes/``, or a file given with ``--scheme-file``)."""
        return replaces_bundled(self.name, self.path)

    def override_line(self, *, nb: bool = False) -> str:
        """One line saying which YAML is read instead of the bundled one, in English («schemes/
        frisklivs_lms.yaml in the project is used instead of the scheme bundled with evalkit»)
        or, with ``nb``, in the documents' current language; "" for a bundled or a new
        scheme."""
        return override_line(self.name, self.path, nb=nb) if self.replaces_bundled else ""


def _in_languages(stem: str, make: Callable[[], str]) -> dict[str, str]:
    """``{stem_nb: …, stem_nn: …, stem_en: …}``: ``make()`` called in each language."""
    out = {}
    for lang in LANGUAGES:
        with language(lang):
            out[f"{stem}_{lang}"] = make()
    return out


def document_defaults(m: SchemeModel) -> SchemeModel:
    """The scheme's YAML with every document choice it leaves out filled in, so that a YAML
    with no document keys still makes a complete document. The texts filled in are the
    catalogs' (``defaults.*``) in every language, with the YAML's labels in the language (or
    their bokmål)."""
    from evalkit.formats import unit_words

    def label(name: str) -> str:  # a field's label in the current language
        f = m.fields.get(name)
        return (scheme_text(f, "label") if f is not None else None) or name

    def one() -> str:
        return unit_words(m.unit)[0]

    def many() -> str:
        return unit_words(m.unit)[1]

    amounts = m.amounts
    if amounts is None:
        amounts = [
            AmountModel(
                field=n,
                **_in_languages(
                    "label",
                    lambda n=n: i18n.t("defaults.amount_per_unit", label=label(n), one=one()),
                ),
            )
            for n, f in m.fields.items()
            if f.type == "amount"
        ]
    has_codes = any(
        f.type in ("municipality_codes", "municipality_list") for f in m.fields.values()
    )
    by_county = m.by_county
    if by_county.municipalities is None:
        by_county = by_county.model_copy(update={"municipalities": has_codes and m.award is None})
    n_key = count_key(m.unit)
    table = m.county_table
    if table.columns is None:
        cols = [
            ColumnModel(
                key=n_key, count=True, **_in_languages("label", lambda: many().capitalize())
            )
        ]
        if m.award is not None:
            flag = m.award.flag
            cols.append(
                ColumnModel(
                    key=f"n_{flag}", count=True, **_in_languages("label", lambda: label(flag))
                )
            )
        cols += [
            ColumnModel(
                key=f"n_{f}", linked_to=[n_key], **_in_languages("label", lambda f=f: label(f))
            )
            for f in by_county.flags
        ]
        if by_county.municipalities:
            cols.append(
                ColumnModel(
                    key="n_municipalities",
                    linked_to=[n_key],
                    **_in_languages("label", lambda: i18n.t("defaults.municipalities")),
                )
            )
        cols += [
            ColumnModel(
                key=a.field,
                linked_to=[n_key],
                **_in_languages(
                    "label", lambda a=a: i18n.t("defaults.amount_column", label=label(a.field))
                ),
            )
            for a in amounts
        ]
        table = table.model_copy(update={"columns": cols})
    if table.title_nb is None:
        table = table.model_copy(
            update=_in_languages(
                "title", lambda: i18n.t("defaults.per_county", many=many().capitalize())
            )
        )
    if table.figures is None:
        table = table.model_copy(
            update={
                "figures": CountyFiguresModel(
                    count=n_key,
                    amount=amounts[0].field if amounts else None,
                    **_in_languages(
                        "count_label", lambda: i18n.t("defaults.number_of", many=many())
                    ),
                )
            }
        )
    groups: dict[str, ShareModel] = {}
    for s in m.shares:
        groups.setdefault(s.group, s)
    yesno_shares = [s for s in m.shares if s.kind == "yesno"]
    group_tests = m.group_tests
    if group_tests is None:
        group_tests = [
            GroupTestModel(
                key=f"{s.key or s.field}_by_county",
                by="county_code",
                outcome=s.field,
                **_in_languages(
                    "label",
                    lambda s=s: i18n.t(
                        "defaults.share_between_counties", label=scheme_text(s, "label").lower()
                    ),
                ),
            )
            for s in yesno_shares
        ]
    key_figures = m.key_figures
    if key_figures is None:
        key_figures = [
            KeyFigureModel(
                value="n_counties", **_in_languages("label", lambda: i18n.t("defaults.counties"))
            ),
            KeyFigureModel(value=n_key, **_in_languages("label", lambda: many().capitalize())),
        ]
        if has_codes:
            key_figures.append(
                KeyFigureModel(
                    value="n_municipalities",
                    **_in_languages("label", lambda: i18n.t("defaults.municipalities_reached")),
                )
            )
        key_figures += [
            KeyFigureModel(
                value=f"{a.field.removesuffix('_nok')}_total_nok",
                format="nok",
                **_in_languages(
                    "label", lambda a=a: i18n.t("defaults.amount_total", label=label(a.field))
                ),
            )
            for a in amounts
        ]
        key_figures += [
            KeyFigureModel(
                share=s.key or s.field,
                **_in_languages("label", lambda s=s: scheme_text(s, "label")),
            )
            for s in yesno_shares
        ]
    summaries: dict[str, Any] = {}
    if m.summary is None:

        def lit(text: str) -> str:  # a label of the YAML in a sentence: text, not a placeholder
            return text.replace("{", "{{").replace("}", "}}")

        def summary() -> list[str]:
            out: list[Any] = [
                i18n.t(
                    "defaults.summary.scope",
                    year="{year}",
                    count=f"{{{n_key}:units}}",
                    counties="{n_counties:counties}",
                )
            ]
            out += [
                i18n.t(
                    "defaults.summary.amount_total",
                    label=lit(label(a.field)),
                    total=f"{{{a.field.removesuffix('_nok')}_total_nok:nok}}",
                )
                for a in amounts
            ]
            out.append(  # without «færrest» when naming it would give a hidden count away
                SentenceModel(
                    text=i18n.t(
                        "defaults.summary.most_fewest",
                        many=many(),
                        most=f"{{most[{n_key}]}}",
                        fewest=f"{{fewest[{n_key}]}}",
                    ),
                    otherwise=i18n.t(
                        "defaults.summary.most", many=many(), most=f"{{most[{n_key}]}}"
                    ),
                )
            )
            out += [  # «4 av de 7 prosjektene», «… av de 6 prosjektene som svarte»
                i18n.t(
                    "defaults.summary.share",
                    label=lit(scheme_text(s, "label")),
                    count=f"{{shares[{s.key or s.field}][count]:int}}",
                    of=f"{{shares[{s.key or s.field}]:of}}",
                    share=f"{{shares[{s.key or s.field}][share]:prosent}}",
                )
                for s in yesno_shares
            ]
            return out

        generated: dict[str, Any] = {}
        for lang in LANGUAGES:
            with language(lang):
                generated[lang] = summary()
        summaries = {"summary": generated[SOURCE_LANGUAGE]}
        summaries |= {f"summary_{lang}": generated[lang] for lang in TRANSLATED}
    sections = m.sections
    if sections is None:
        sections = [
            SectionModel(
                show=["county_table", "county_figures"],
                **_in_languages("title", lambda: i18n.t("defaults.section.counties")),
            )
        ]
        sections += [
            SectionModel(
                show=[
                    SharesItemModel(
                        shares=g,
                        figure=s.kind == "checked",
                        **_in_languages("title", lambda s=s: scheme_text(s, "label")),
                    )
                ],
                **_in_languages("title", lambda s=s: scheme_text(s, "label")),
            )
            for g, s in groups.items()
        ]
        if amounts:
            sections.append(
                SectionModel(
                    show=["amounts_table"],
                    **_in_languages("title", lambda: i18n.t("defaults.section.amounts")),
                )
            )
        if group_tests:
            sections.append(
                SectionModel(
                    show=["group_tests"],
                    **_in_languages("title", lambda: i18n.t("defaults.section.county_differences")),
                )
            )
    trends = m.trends
    if trends.figures is None:
        figures = [
            TrendFigureModel(group=g, **_in_languages("title", lambda s=s: scheme_text(s, "label")))
            for g, s in groups.items()
        ]
        trends = trends.model_copy(update={"figures": figures})
    if trends.amount is None and amounts:
        trends = trends.model_copy(update={"amount": amounts[0].field})
    source = {} if m.source_nb else _in_languages("source", lambda: i18n.t("defaults.source"))
    return m.model_copy(
        update={
            "amounts": amounts,
            "by_county": by_county,
            "county_table": table,
            "group_tests": group_tests,
            "key_figures": key_figures,
            "sections": sections,
            "trends": trends,
            **summaries,
            **source,
        }
    )


# --- finding and reading scheme files -----------------------------------------------------
def use_scheme_file(path: Path | str) -> str:
    """Make the scheme YAML at ``path`` known by its name, as if it were in ``schemes/``, for
    this process (the runner passes the path on to the notebook); returns the name.

    The file must be named after its scheme (``<scheme>.yaml``) and is checked first. A file
    with the name of a bundled scheme is read instead of the bundled one.
    """
    path = Path(path).resolve()
    scheme = load_scheme_file(path)
    if path.stem != scheme.name:
        raise EvalkitError(
            f"{path}: `scheme: {scheme.name}` differs from the file's name ({path.stem}). Name "
            f"the file {scheme.name}.yaml, or change the `scheme:` key."
        )
    scheme_files.name_file(scheme.name, path)  # a bundled scheme's name: read instead of it
    return scheme.name


def load_scheme(name: str) -> Scheme:
    """Load and check the configuration of scheme ``name`` (bundled or the user's own)."""
    path = scheme_path(name)
    scheme = load_scheme_file(path)
    if scheme.name != name:
        raise EvalkitError(
            f"{path}: `scheme: {scheme.name}` differs from the file's name ({name}). Make them "
            "the same."
        )
    return scheme


#: The deepest nesting of mappings and lists read (the bundled schemes nest 7 deep).
MAX_SCHEME_DEPTH = 30
#: The most values (scalars, mappings and lists) read from a scheme file (the bundled ones
#: have under 1 000): the cross-checks compare names with names, so their time grows with
#: the square of this.
MAX_SCHEME_NODES = 20_000
#: At most this many characters of a value from the YAML are quoted in an error message.
QUOTE_CHARS = 80
#: An error lists at most this many problems of a scheme file, and says how many more.
MAX_PROBLEMS = 20

_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxdict = _REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxfrozenset = 4
_REPR.maxstring = _REPR.maxlong = _REPR.maxother = QUOTE_CHARS


def _quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """A value from the YAML as an error message quotes it: its repr, at most ``limit``
    characters (a million-element list or a megabyte string costs one short line)."""
    try:
        text = _REPR.repr(value)
    except ValueError:  # an int too long to print
        text = f"<{type(value).__name__} of {value.bit_length()} bits>"
    return clip_text(text, limit)


def _yaml_error(err: Exception, lines: int = 6) -> str:
    """A YAML parser's message: at most ``lines`` lines, each cut to :data:`QUOTE_CHARS`
    and a little (a tag or value it quotes is the file's text)."""
    text = str(err).replace('in "<unicode string>", line', "at line")
    all_lines = text.splitlines()
    kept = [clip_text(line, QUOTE_CHARS + 40) for line in all_lines[:lines]]
    return "\n".join(kept) + ("\n…" if len(all_lines) > lines else "")


def load_scheme_file(path: Path | str) -> Scheme:
    """Load and check a scheme configuration from a YAML file (cached while the file is
    unchanged).

    A scheme file is untrusted input: only a regular file of at most
    :data:`~evalkit.scheme_files.MAX_SCHEME_BYTES` is read (a named pipe, a device or a folder is refused without
    being opened), with no anchors or aliases and at most :data:`MAX_SCHEME_DEPTH` levels of
    nesting; an error quotes at most a line of it.
    """
    path = Path(path).absolute()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise EvalkitError(f"The scheme file {path} does not exist. Check the path.") from None
    except OSError as err:
        raise EvalkitError(
            f"The scheme file {path} cannot be read ({err.strerror}). Check the path."
        ) from None
    check_file(path, st.st_mode, st.st_size)
    return _load(path, st.st_mtime_ns, st.st_size)


def _read_scheme_text(path: Path) -> str:
    """The text of a scheme file (:func:`~evalkit.scheme_files.read_scheme_bytes`), UTF-8."""
    data = read_scheme_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise EvalkitError(
            f"{path}, line {line}: the byte {data[err.start]:#04x} is not UTF-8 text. Save the "
            "file as UTF-8."
        ) from None


class _UniqueKeyLoader:
    """yaml.SafeLoader (libyaml's where installed) that refuses a key given twice in one
    mapping (YAML would keep the last silently: a layout header listed twice, a field defined
    twice), and a number too long for Python to read."""

    @staticmethod
    @functools.cache
    def make() -> type:
        import yaml

        class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
            pass

        def construct_mapping(loader, node, deep=False):
            keys = set()
            for key_node, _ in node.value:
                key = loader.construct_object(key_node, deep=deep)
                if key in keys:
                    raise EvalkitError(
                        f"line {key_node.start_mark.line + 1}: the key {_quote(key)} is given "
                        "twice in the same mapping. Give it once."
                    )
                keys.add(key)
            return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

        def construct_int(loader, node):
            try:
                return yaml.SafeLoader.construct_yaml_int(loader, node)
            except ValueError:  # more digits than int() reads (sys.get_int_max_str_digits)
                raise EvalkitError(
                    f"line {node.start_mark.line + 1}: the number {clip_text(node.value, 20)} "
                    f"has {len(node.value):,} digits, too many to read. Correct it."
                ) from None

        Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
        Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
        return Loader


def _too_deep(line: int) -> EvalkitError:
    return EvalkitError(
        f"line {line}: mappings and lists are nested more than {MAX_SCHEME_DEPTH} levels deep "
        "(a scheme needs fewer than 10). Remove the extra nesting."
    )


def _check_events(text: str, loader: type) -> None:
    """Refuse anchors and aliases, nesting deeper than :data:`MAX_SCHEME_DEPTH` and more than
    :data:`MAX_SCHEME_NODES` values, from the parser's events, before a node is built: a
    billion laughs costs nothing, and a deep file cannot exhaust the stack of the recursive
    node builder."""
    import yaml

    depth = nodes = 0
    for event in yaml.parse(text, Loader=loader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.NodeEvent) and not isinstance(event, yaml.AliasEvent):
            nodes += 1
            if nodes > MAX_SCHEME_NODES:
                raise EvalkitError(
                    f"line {line}: the file holds more than {MAX_SCHEME_NODES:,} values (keys, "
                    "texts, numbers, lists and mappings; the bundled schemes have under 1,000). "
                    "Check that it is a scheme YAML, and remove what does not belong in it."
                )
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise EvalkitError(
                f"line {line}: anchors and aliases (&name, *name) are not read in a scheme "
                "file (a few lines of them can stand for billions of values). Write the value "
                "out in full where it is used."
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_SCHEME_DEPTH:
                raise _too_deep(line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _parse_yaml(path: Path) -> Any:
    """The YAML of a scheme file as Python values, within the bounds above."""
    import yaml

    text = _read_scheme_text(path)
    loader = _UniqueKeyLoader.make()
    try:
        _check_events(text, loader)
        return yaml.load(text, Loader=loader)
    except EvalkitError as err:
        raise EvalkitError(f"{path}, {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        if "maximum nesting depth" in str(getattr(err, "problem", "")) and mark is not None:
            # libyaml's scanner reads ahead and stops at its own limit (1 000 levels) before
            # the first event of a deeply nested flow collection reaches _check_events
            raise EvalkitError(f"{path}, {_too_deep(mark.line + 1)}") from None
        raise EvalkitError(
            f"{path} is not valid YAML: {_yaml_error(err)}. Correct the file."
        ) from None


def _key_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part) in SectionPiece.__args__ or part in ("SharesItemModel", "ListItemModel",
                                                           "str", "SentenceModel"):  # fmt: skip
            continue  # pydantic's name of a union member, not a key
        else:
            part = clip_text(part, QUOTE_CHARS)  # a key of the YAML: at most a line of it
            out += f".{part}" if out else part
    return out or "(top level)"


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys allowed where ``loc`` points (for a misspelt key)."""
    import typing

    model: Any = SchemeModel
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        if isinstance(model, type) and issubclass(model, BaseModel):
            info = model.model_fields.get(str(part))
            if info is None:
                continue  # a dict key
            model = info.annotation
        args = [model]
        while args:
            t = args.pop()
            if isinstance(t, type) and issubclass(t, BaseModel):
                model = t
                break
            args += list(typing.get_args(t))
        else:
            model = None
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _describe(err: dict) -> str:
    loc = tuple(err["loc"])
    where = _key_path(loc)
    kind = err["type"]
    if "plausible" in loc:
        if kind in ("extra_forbidden", "model_type", "model_attributes_type", "dict_type"):
            return (f"{where}: `plausible` must be a mapping with the keys min and/or max "
                    "(whole kroner), e.g. `plausible: {min: 1, max: 50000000}`.")  # fmt: skip
        if kind.startswith("int"):
            return f"{where}: must be a whole number of kroner, not {_quote(err.get('input'))}."
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc)
        key = str(loc[-1])[:QUOTE_CHARS]
        return (f"{where}: unknown key {_quote(loc[-1])} ({_suggest(key, allowed)}). Correct "
                "the spelling, or remove the key.")  # fmt: skip
    if kind == "missing":
        return f"{where}: this key is required. Add it."
    if kind == "literal_error":
        return f"{where}: {err['msg']} (not {_quote(err.get('input'))}). Use one of these."
    msg = err["msg"].removeprefix("Value error, ")
    if not loc:
        return msg  # cross-checks: each line names its own key path
    return f"{where}: {msg}."


def _problems(err: ValidationError) -> tuple[list[str], int]:
    """The first :data:`MAX_PROBLEMS` problems of a scheme YAML, one line each (at most
    :data:`~evalkit.scheme_files.LINE_CHARS`), and how many there are in all."""
    lines: list[str] = []
    total = 0
    for e in err.errors(include_url=False, include_input=True, include_context=False):
        if len(lines) < MAX_PROBLEMS:
            block = _describe(e).splitlines()
            lines += [clip_text(line) for line in block[: MAX_PROBLEMS - len(lines)]]
        else:
            block = e["msg"].splitlines() if not e["loc"] else [""]
        total += len(block)
    return lines, total


@functools.cache
def _load(path: Path, mtime_ns: int, size: int) -> Scheme:
    raw = _parse_yaml(path)
    if not isinstance(raw, dict):
        raise EvalkitError(f"{path} holds no scheme (a YAML mapping). See README, «Add a scheme».")
    try:
        model = SchemeModel.model_validate(raw)
    except ValidationError as err:
        lines, total = _problems(err)
        if total > len(lines):
            lines.append(f"… and {total - len(lines):,} more: correct these, and run again.")
        raise EvalkitError(
            f"{path}: the scheme configuration has {total:,} problem(s):\n"
            + "\n".join(f"  {line}" for line in lines)
        ) from None
    vocabularies = {
        k: Vocabulary(
            k,
            tuple(
                Term(
                    term.code,
                    term.label_nb,
                    tuple(term.spellings),
                    tuple(s.casefold() for s in term.keywords),
                    term.fallback,
                    label_nn=term.label_nn,
                    label_en=term.label_en,
                )  # fmt: skip
                for term in v
            ),
        )
        for k, v in model.vocabularies.items()
    }
    for v in vocabularies.values():
        try:
            v.lookup  # noqa: B018  (checks spellings are unambiguous)
        except EvalkitError as err:
            raise EvalkitError(f"{path}: {err}") from None
    fields = {
        n: FieldSpec(
            name=n,
            type=f.type,
            label_nb=f.label_nb or n,
            label_nn=f.label_nn,
            label_en=f.label_en,
            required=f.required,
            vocabulary=f.vocabulary,
            target=f.target,
            plausible=(
                (
                    AmountRange(f.plausible.min, f.plausible.max)
                    if f.plausible
                    else DEFAULT_AMOUNT_RANGE
                )
                if f.type == "amount"
                else None
            ),
            blank_is=f.blank_is,
        )
        for n, f in model.fields.items()
    }
    layouts = {
        n: Layout(n, {h.strip(): f for h, f in lay.headers.items()}, tuple(lay.personal_data))
        for n, lay in model.layouts.items()
    }
    shares = tuple(
        ShareSpec(
            field=s.field,
            kind=s.kind,
            group=s.group,
            label_nb=s.label_nb,
            label_nn=s.label_nn,
            label_en=s.label_en,
            code=s.code,
            key=s.key,
            among=s.among.model_dump() if s.among else None,
        )
        for s in model.shares
    )
    return Scheme(
        name=model.scheme,
        title_nb=model.title_nb,
        short_title_nb=model.short_title_nb,
        title_nn=model.title_nn,
        title_en=model.title_en,
        short_title_nn=model.short_title_nn,
        short_title_en=model.short_title_en,
        languages=tuple(model.languages),
        unit=model.unit,
        id_field=model.id_field,
        notebook=model.notebook,
        first_year=model.first_year,
        layouts=layouts,
        fields=fields,
        vocabularies=vocabularies,
        shares=shares,
        path=path,
        doc=document_defaults(model),
    )
