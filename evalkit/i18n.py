"""The documents' languages and their message catalogs (gettext ``.po`` files, read by Babel).

Every sentence, label and heading a reader sees comes from a catalog per language,
``evalkit/locale/<lang>/LC_MESSAGES/evalkit.po``, which translators' tools (Poedit, Weblate,
Lokalize) open as they are. A message is found by a stable dotted key, never by its bokmål
wording: ``t("year.heading.summary")`` is «Sammendrag» in ``nb``, «Samandrag» in ``nn`` and
«Summary» in ``en``. ``nb.po`` holds the bokmål, the source the other two are translated from.

The current language
    One document is written at a time in a kernel (a notebook run, a test), so the language is
    module-level state: :func:`set_language` sets it (``evaluate(..., lang=...)`` does),
    :func:`current_language` and :func:`current_locale` read it. It is ``nb`` until set.
    :func:`language` sets it for a ``with`` block and restores the one before; inside the
    block it holds for the thread that entered it only, so that the runner's threads export
    documents in different languages side by side without changing each other's.

Placeholders
    ``str.format`` style with names only: ``t("index.made", created=…, version=…)`` fills
    ``{created}`` and ``{version}`` of the message. Plurals (:func:`tn`) use the catalog's
    ``Plural-Forms`` header and ``{n}``. ``t`` and ``tn`` take the key positionally, so any
    field name is free.

A missing message
    A key unknown to the bokmål catalog is a programming error and always raises
    :class:`MissingMessage`. A key that ``nb`` has but the current language lacks (or has
    with an empty translation) raises too in strict mode (the test suite sets
    ``EVALKIT_STRICT_CATALOGS=1``, see ``tests/conftest.py``); at run time it falls back to
    the bokmål and logs one warning per key and language, so a build with a half-translated
    catalog still makes its documents. ``tests/test_catalogs.py`` keeps the catalogs complete.

``python -m evalkit.i18n update`` (``make catalogs``) extracts the keys the code uses (Babel's
extraction, keywords ``t`` and ``tn``) from ``evalkit/`` and ``notebooks/``, adds the missing
ones to every catalog (the ``nn``/``en`` entries with the bokmål as an extracted comment) and
lists the keys no code uses. This module imports nothing heavier than Babel.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import io
import logging
import os
import re
import string
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError

log = logging.getLogger(__name__)

#: The documents' languages: bokmål (the source), nynorsk, English.
LANGUAGES = ("nb", "nn", "en")
#: The Babel/CLDR locale of each language (nynorsk formats its numbers as bokmål does).
LOCALES = {"nb": "nb_NO", "nn": "nn_NO", "en": "en_GB"}
#: The language every catalog is translated from and every missing message falls back to.
SOURCE_LANGUAGE = "nb"
#: The catalogs: ``<LOCALE_DIR>/<lang>/LC_MESSAGES/<DOMAIN>.po``.
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "evalkit"
#: The environment variable that makes a missing translation an error (set by the tests).
STRICT_ENV = "EVALKIT_STRICT_CATALOGS"

_current = SOURCE_LANGUAGE
#: The language of a ``with language(...)`` block, per thread (None outside one).
_local = threading.local()
_warned: set[tuple[str, str]] = set()


class MissingMessage(EvalkitError):
    """A key missing from a catalog (or with an empty translation)."""


def check_language(lang: object, where: str = "lang") -> str:
    """``lang`` if it is one of :data:`LANGUAGES`, else an :class:`EvalkitError` naming the
    value and the choices."""
    if lang not in LANGUAGES:
        raise EvalkitError(
            f"{where}={lang!r} is not a language of evalkit; give one of "
            f"{', '.join(LANGUAGES)} (nb bokmål, nn nynorsk, en English)"
        )
    return str(lang)


def set_language(lang: str) -> None:
    """Make ``lang`` (``nb``, ``nn`` or ``en``) the language of what follows."""
    global _current
    _current = check_language(lang)
    if getattr(_local, "lang", None) is not None:  # inside a `with language(...)` block
        _local.lang = _current


def current_language() -> str:
    """The language of the ``with language(...)`` block this thread is in, else the one set
    last by :func:`set_language` (``nb`` until one is set)."""
    return getattr(_local, "lang", None) or _current


def current_locale() -> str:
    """The Babel locale of the current language: ``nb_NO``, ``nn_NO`` or ``en_GB``."""
    return LOCALES[current_language()]


@contextlib.contextmanager
def language(lang: str) -> Iterator[str]:
    """Write in ``lang`` inside the ``with`` block; the language before is restored after."""
    before = getattr(_local, "lang", None)
    _local.lang = check_language(lang)
    try:
        yield lang
    finally:
        _local.lang = before


def catalog_path(lang: str, locale_dir: Path | None = None) -> Path:
    """The ``.po`` file of ``lang``."""
    return (locale_dir or LOCALE_DIR) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _load(lang: str, locale_dir: Path | None = None) -> tuple[Any, gettext.GNUTranslations]:
    """The Babel catalog of ``lang`` and its gettext translations (for the plural forms)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = catalog_path(lang, locale_dir)
    try:
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=LOCALES[lang].replace("_", "-").split("-")[0])
    except FileNotFoundError:
        raise MissingMessage(f"the catalog of {lang!r} is missing: {path}") from None
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return catalog, gettext.GNUTranslations(buf)


def catalog(lang: str, locale_dir: Path | None = None) -> Any:
    """The Babel :class:`~babel.messages.catalog.Catalog` of ``lang`` (read once)."""
    return _load(check_language(lang), locale_dir)[0]


def reload_catalogs() -> None:
    """Read the ``.po`` files again (after editing them in a running kernel)."""
    _load.cache_clear()
    _warned.clear()


def _strict() -> bool:
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def _has(lang: str, key: str, plural: bool) -> bool:
    message = catalog(lang).get(key)
    if message is None:
        return False
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(forms) and all(forms) and (isinstance(message.id, tuple | list) == plural)


def _language_for(key: str, plural: bool) -> str:
    """The language to take ``key`` from: the current one, else bokmål (see the module)."""
    lang = current_language()
    if _has(lang, key, plural):
        return lang
    if lang == SOURCE_LANGUAGE or not _has(SOURCE_LANGUAGE, key, plural):
        kind = "a plural message (msgid_plural)" if plural else "a message"
        raise MissingMessage(
            f"{key!r} is not {kind} of the bokmål catalog {catalog_path(SOURCE_LANGUAGE)}; "
            "add it there (python -m evalkit.i18n update adds the keys the code uses)"
        )
    problem = (
        f"{key!r} has no {lang} translation in {catalog_path(lang)}; translate it there "
        "(python -m evalkit.i18n update adds the missing keys)"
    )
    if _strict():
        raise MissingMessage(problem)
    if (lang, key) not in _warned:
        _warned.add((lang, key))
        log.warning("%s. The bokmål text is used meanwhile.", problem)
    return SOURCE_LANGUAGE


def _fill(text: str, key: str, fields: dict[str, Any]) -> str:
    if not fields:
        return text
    try:
        return text.format(**fields)
    except (KeyError, IndexError) as err:
        raise MissingMessage(
            f"{key!r} ({current_language()}) names the placeholder {{{err.args[0]}}}, which was not "
            f"given (given: {', '.join(sorted(fields)) or 'none'})"
        ) from None


def t(key: str, /, **fields: Any) -> str:
    """The message ``key`` in the current language, its ``{name}`` placeholders filled from
    ``fields``.

    Examples
    --------
    >>> with language("en"):
    ...     t("year.heading.summary")
    'Summary'
    """
    lang = _language_for(key, plural=False)
    return _fill(_load(lang)[1].gettext(key), key, fields)


def tn(key: str, n: int, /, **fields: Any) -> str:
    """The plural message ``key`` (``msgid``/``msgid_plural``) in the form for ``n`` by the
    catalog's ``Plural-Forms``; ``{n}`` and ``fields`` fill its placeholders (a field ``n``
    is shown in place of the number: ``tn("formats.counties", 1500, n="1 500")``)."""
    lang = _language_for(key, plural=True)
    msgid = catalog(lang).get(key).id
    text = _load(lang)[1].ngettext(msgid[0], msgid[1], int(n))
    return _fill(text, key, {"n": n, **fields})


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` of a message (formats and conversions dropped)."""
    return {
        field.split("[", 1)[0].split(".", 1)[0]
        for _lit, field, _spec, _conv in string.Formatter().parse(text)
        if field is not None
    }


class Keyed(Mapping[str, Any]):
    """A read-only mapping ``code -> t(pattern.format(code))`` in the current language: the
    catalog's words for a set of codes (``flags.problem.{}``), looked up when read."""

    def __init__(self, pattern: str, codes: tuple[str, ...]) -> None:
        self.pattern, self.codes = pattern, codes

    def __getitem__(self, code: str) -> str:
        if code not in self.codes:
            raise KeyError(code)
        return t(self.pattern.format(code))

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)


# --- the catalogs' upkeep ----------------------------------------------------------------------
#: The folders whose Python files are searched for keys (relative to the project).
SOURCE_DIRS = ("evalkit", "notebooks")
#: The shape of a key: dotted lower-case names (``year.heading.summary``).
KEY = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+")
#: The functions whose first argument is a key: :func:`t`, and the documents' headings
#: (``doc.heading("year.heading.summary")``); :func:`tn` takes a plural key.
SINGULAR_KEYWORDS = ("t", "heading")
PLURAL_KEYWORDS = ("tn",)


def used_keys(root: Path | None = None) -> dict[str, tuple[bool, list[str]]]:
    """Every key the code passes to ``t``/``tn`` (or ``heading``) as a literal, in the Python
    files and the Jinja templates (Babel's extraction): key -> (plural, ["path:line", …])."""
    from babel.messages.extract import extract_from_dir

    root = root or Path(__file__).resolve().parent.parent
    found: dict[str, tuple[bool, list[str]]] = {}
    for keywords, plural in ((SINGULAR_KEYWORDS, False), (PLURAL_KEYWORDS, True)):
        for folder in SOURCE_DIRS:
            if not (root / folder).is_dir():
                continue
            extracted = extract_from_dir(
                root / folder,
                method_map=[("**.py", "python"), ("**.j2", "jinja2.ext:babel_extract")],
                keywords=dict.fromkeys(keywords, (1,)),
                comment_tags=(),
            )
            with contextlib.redirect_stderr(io.StringIO()):  # Babel's notes on f-strings
                extracted = list(extracted)
            for filename, lineno, key, _comments, _context in extracted:
                if not isinstance(key, str) or not KEY.fullmatch(key):
                    continue  # another function named t, or not a key
                was_plural, where = found.get(key, (False, []))
                found[key] = (was_plural or plural, [*where, f"{folder}/{filename}:{lineno}"])
    return found


#: Keys used by a computed name, not a literal: the codes of flags, units, languages …
def dynamic_keys() -> set[str]:
    """The keys the code builds from codes (``flags.problem.{code}``), which extraction cannot
    see; they count as used."""
    from evalkit import flags

    keys = {f"flags.problem.{c}" for c in flags.PROBLEM_CODES}
    keys |= {f"flags.action.{c}" for c in flags.ACTIONS}
    keys |= set(flags.DETAIL_KEYS)
    for unit in ("project", "application"):
        keys |= {f"unit.{unit}.{w}" for w in ("one", "many", "the", "each", "the_one",
                                               "the_n", "answered", "count")}  # fmt: skip
    keys |= {f"language.{lang}" for lang in LANGUAGES}
    return keys


def update_catalogs(locale_dir: Path | None = None, root: Path | None = None) -> dict[str, Any]:
    """Add every used key missing from a catalog (empty translation; in ``nn``/``en`` with the
    bokmål as the extracted comment ``nb: …``) and return what was added and which keys of the
    catalogs no code uses."""
    from babel.messages.pofile import read_po, write_po

    used = used_keys(root)
    plural_of = {k: p for k, (p, _w) in used.items()}
    report: dict[str, Any] = {"added": {}, "unused": []}
    nb = catalog(SOURCE_LANGUAGE, locale_dir)
    for lang in LANGUAGES:
        path = catalog_path(lang, locale_dir)
        with path.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        added = []
        for key in sorted(set(used) | dynamic_keys()):
            source = nb.get(key)
            message = cat.get(key)
            if lang != SOURCE_LANGUAGE and source is not None:
                shown = (
                    source.string if isinstance(source.string, str) else " | ".join(source.string)
                )
                comment = [f"nb: {shown}"]
                if message is not None:
                    message.auto_comments = comment
                    continue
            else:
                comment = []
                if message is not None:
                    continue
            plural = plural_of.get(key, isinstance(source.id, tuple) if source else False)
            msgid = (key, key) if plural else key
            cat.add(msgid, ("", "") if plural else "", auto_comments=comment)
            added.append(key)
        with path.open("wb") as fh:
            write_po(fh, cat, width=100, omit_header=False, sort_output=True)
        report["added"][lang] = added
    all_keys = {m.id[0] if isinstance(m.id, tuple) else m.id for m in nb if m.id}
    report["unused"] = sorted(all_keys - set(used) - dynamic_keys())
    reload_catalogs()
    return report


def _forms(message: Any) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def check_catalogs(locale_dir: Path | None = None, root: Path | None = None) -> list[str]:
    """Every problem of the catalogs, one line each naming the key and the language: a key the
    code uses missing (or untranslated) in a language, a plural message without all its
    forms, placeholders that differ from the bokmål ones, a key no code uses. [] when none."""
    used = used_keys(root)
    wanted = set(used) | dynamic_keys()
    cats = {lang: catalog(lang, locale_dir) for lang in LANGUAGES}
    nb = cats[SOURCE_LANGUAGE]
    problems = []
    for key in sorted(wanted):
        for lang, cat in cats.items():
            message = cat.get(key)
            where = catalog_path(lang, locale_dir)
            if message is None:
                problems.append(f"{key}: missing in {lang} ({where})")
                continue
            forms = _forms(message)
            plural = used.get(key, (isinstance(message.id, tuple), []))[0]
            if plural and not isinstance(message.id, tuple | list):
                problems.append(f"{key}: is used with tn() but is not a plural message in {lang}")
            if plural and len(forms) != cat.num_plurals:
                problems.append(f"{key}: has {len(forms)} plural form(s) in {lang}, "
                                f"Plural-Forms says {cat.num_plurals}")  # fmt: skip
            if not all(forms):
                problems.append(f"{key}: has no translation in {lang} ({where})")
                continue
            source = nb.get(key)
            if source is None or lang == SOURCE_LANGUAGE:
                continue
            want = placeholders(_forms(source)[-1])
            for form in forms:
                if placeholders(form) != want:
                    problems.append(
                        f"{key}: placeholders {sorted(placeholders(form))} in {lang} differ from "
                        f"the bokmål {sorted(want)}"
                    )
    names = {m.id[0] if isinstance(m.id, tuple) else m.id for m in nb if m.id}
    problems += [f"{key}: in the catalogs but no code uses it" for key in sorted(names - wanted)]
    return problems


def main(argv: list[str] | None = None) -> int:
    """``python -m evalkit.i18n update``: see :func:`update_catalogs`."""
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["update"]:
        print("usage: python -m evalkit.i18n update", file=sys.stderr)
        return 2
    report = update_catalogs()
    for lang, keys in report["added"].items():
        print(f"{lang}: {len(keys)} key(s) added" + (": " + ", ".join(keys) if keys else ""))
    if report["unused"]:
        print("keys no code uses (remove them, or use them): " + ", ".join(report["unused"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
