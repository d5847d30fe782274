"""Scheme configuration: one YAML file per grant scheme inside the package.

The YAML holds the layouts (raw header -> field, one per form version), the fields and their
types, the vocabularies (code, Norwegian label, accepted spellings) and the share metrics.
A new form version or a new spelling is a YAML change, never a code change.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import EvalkitError

FIELD_TYPES = {
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
}
SHARE_KINDS = {"yesno", "category", "category_one", "checked", "reasons"}

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


@dataclass(frozen=True)
class Vocabulary:
    name: str
    terms: tuple[Term, ...]

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.terms]

    def label(self, code: str) -> str:
        for t in self.terms:
            if t.code == code:
                return t.label_nb
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


@dataclass(frozen=True, eq=False)  # identity hash: usable as a cache key
class Scheme:
    name: str
    title_nb: str
    short_title_nb: str
    unit: str
    id_field: str
    notebook: str
    first_year: int
    layouts: dict[str, Layout]
    fields: dict[str, FieldSpec]
    vocabularies: dict[str, Vocabulary]
    shares: tuple[ShareSpec, ...]
    path: Path = field(compare=False)

    def fields_of_type(self, *types: str) -> list[str]:
        return [n for n, f in self.fields.items() if f.type in types]

    def expand_fields(self, pattern: str) -> list[str]:
        """Field names matching a pattern such as ``actor.*``, in YAML order."""
        return [n for n in self.fields if fnmatch.fnmatchcase(n, pattern)]

    @property
    def required_fields(self) -> list[str]:
        return [n for n, f in self.fields.items() if f.required]


def scheme_path(name: str) -> Path:
    """Path of the YAML file of scheme ``name`` inside the package.

    Only a name is accepted (letters, digits, ``_`` and ``-``): a path such as ``../../x``
    never reaches a YAML file outside the schemes folder; :func:`load_scheme_file` takes paths.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", str(name)):
        raise EvalkitError(
            f"{name!r} is not a scheme name (letters, digits, _ and - only). Known schemes: "
            f"{', '.join(available_schemes())}; a scheme file elsewhere is read with "
            "load_scheme_file (evalkit validate --scheme-file)."
        )
    path = Path(str(resources.files("evalkit") / "schemes" / f"{name}.yaml"))
    if not path.exists():
        raise EvalkitError(
            f"Unknown scheme {name!r}. Known schemes: {', '.join(available_schemes())}."
        )
    return path


def available_schemes() -> list[str]:
    folder = Path(str(resources.files("evalkit") / "schemes"))
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _terms(items: list[dict[str, Any]]) -> tuple[Term, ...]:
    return tuple(
        Term(
            code=str(i["code"]),
            label_nb=str(i["label_nb"]),
            spellings=tuple(str(s) for s in i.get("spellings", []) or []),
            keywords=tuple(str(s).casefold() for s in i.get("keywords", []) or []),
            fallback=bool(i.get("fallback", False)),
        )
        for i in items
    )


@functools.cache
def load_scheme(name: str) -> Scheme:
    """Load and check the configuration of scheme ``name`` (the package's YAML)."""
    return load_scheme_file(scheme_path(name))


def _amount_range(path: Path, fname: str, spec: dict[str, Any]) -> AmountRange | None:
    """The plausible range of an amount field (the default when its YAML sets none)."""
    given = spec.get("plausible")
    if spec["type"] != "amount":
        if given is not None:
            raise EvalkitError(
                f"{path}: field {fname!r} sets `plausible`, but only amount fields have a "
                "plausible range. Remove it, or make the field `type: amount`."
            )
        return None
    if given is None:
        return DEFAULT_AMOUNT_RANGE
    where = f"{path}: field {fname!r}, `plausible`"
    if not isinstance(given, dict) or set(given) - {"min", "max"}:
        raise EvalkitError(
            f"{where} must be a mapping with the keys min and/or max (whole kroner), "
            "e.g. `plausible: {min: 1, max: 50000000}`."
        )
    ends = {}
    for key in ("min", "max"):
        value = given.get(key, getattr(DEFAULT_AMOUNT_RANGE, key))
        if isinstance(value, bool) or not isinstance(value, int):
            raise EvalkitError(f"{where}: {key} must be a whole number of kroner, not {value!r}.")
        ends[key] = value
    if not 0 <= ends["min"] <= ends["max"] <= MAX_EXACT_AMOUNT:
        raise EvalkitError(
            f"{where}: need 0 <= min <= max <= {MAX_EXACT_AMOUNT} (got min {ends['min']}, "
            f"max {ends['max']}). Correct the range in the scheme YAML."
        )
    return AmountRange(**ends)


def load_scheme_file(path: Path | str) -> Scheme:
    """Load and check a scheme configuration from a YAML file."""
    path = Path(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    vocabularies = {k: Vocabulary(k, _terms(v)) for k, v in raw["vocabularies"].items()}
    fields = {}
    for fname, spec in raw["fields"].items():
        ftype = spec["type"]
        if ftype not in FIELD_TYPES:
            raise EvalkitError(f"{path}: field {fname!r} has unknown type {ftype!r}.")
        vocab = spec.get("vocabulary")
        if vocab is not None and vocab not in vocabularies:
            raise EvalkitError(f"{path}: field {fname!r} names unknown vocabulary {vocab!r}.")
        fields[fname] = FieldSpec(
            name=fname,
            type=ftype,
            label_nb=str(spec.get("label_nb", fname)),
            required=bool(spec.get("required", False)),
            vocabulary=vocab,
            target=spec.get("target"),
            plausible=_amount_range(path, fname, spec),
        )
    layouts = {}
    for lname, spec in raw["layouts"].items():
        headers = {str(h).strip(): str(f) for h, f in spec["headers"].items()}
        unknown = sorted(set(headers.values()) - set(fields))
        if unknown:
            raise EvalkitError(f"{path}: layout {lname!r} maps to unknown fields {unknown}.")
        layouts[lname] = Layout(
            lname, headers, tuple(str(p) for p in spec.get("personal_data", []) or [])
        )
    shares = tuple(
        ShareSpec(
            field=s["field"],
            kind=s["kind"],
            group=s["group"],
            label_nb=s["label_nb"],
            code=s.get("code"),
            key=s.get("key"),
            among=s.get("among"),
        )
        for s in raw["shares"]
    )
    for s in shares:
        if s.kind not in SHARE_KINDS:
            raise EvalkitError(f"{path}: share {s.field!r} has unknown kind {s.kind!r}.")
    for v in vocabularies.values():
        v.lookup  # noqa: B018  (checks spellings are unambiguous)
    return Scheme(
        name=raw["scheme"],
        title_nb=raw["title_nb"],
        short_title_nb=raw["short_title_nb"],
        unit=raw["unit"],
        id_field=raw["id_field"],
        notebook=raw["notebook"],
        first_year=int(raw["first_year"]),
        layouts=layouts,
        fields=fields,
        vocabularies=vocabularies,
        shares=shares,
        path=path,
    )
