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

The catalogs' upkeep (which keys the code uses, ``make catalogs``) is :mod:`evalkit.catalogs`.
This module, read by every layer, imports nothing of evalkit but its errors and
:mod:`evalkit.kept` (the cache folder, which imports nothing of evalkit), and nothing heavier
than Babel. A catalog is compiled once (Babel reads the ``.po`` file, writes its ``.mo``) and
kept in the cache folder under the file's bytes, so that a process reads it in a millisecond.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gettext
import io
import logging
import os
import string
import struct
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import evalkit.kept as kept
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


#: Part of the key of a kept catalog: a new shape of what is kept is a new key.
KEPT_FORMAT = "evalkit catalog 1"


class _Compiled(NamedTuple):
    """A catalog as the documents read it: for each key, its ``msgid``/``msgid_plural`` (None
    for a singular message) and whether every form is translated; and the gettext
    translations (Babel's ``.mo``) that pick a plural form by the catalog's ``Plural-Forms``."""

    messages: dict[str, tuple[tuple[str, str] | None, bool]]
    translations: gettext.GNUTranslations


def _compile(data: bytes, lang: str) -> dict[str, Any]:
    """The ``.po`` bytes of ``lang`` read by Babel and compiled: what :func:`_load` keeps."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    cat = read_po(io.BytesIO(data), locale=_babel_locale(lang))
    messages = {}
    for message in cat:
        if not message.id:
            continue  # the header
        forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
        plural = isinstance(message.id, tuple | list)
        key = message.id[0] if plural else message.id
        messages[key] = [list(message.id) if plural else None, bool(forms) and all(forms)]
    buf = io.BytesIO()
    write_mo(buf, cat)
    return {"messages": messages, "mo": base64.b64encode(buf.getvalue()).decode("ascii")}


def _shape_ok(kept_value: Any) -> bool:
    """Whether a kept catalog has the shape :func:`_compile` gives it."""
    if not isinstance(kept_value, dict) or not isinstance(kept_value.get("mo"), str):
        return False
    messages = kept_value.get("messages")
    return isinstance(messages, dict) and all(
        isinstance(v, list)
        and len(v) == 2
        and isinstance(v[1], bool)
        and (
            v[0] is None
            or (isinstance(v[0], list) and len(v[0]) == 2 and all(isinstance(x, str) for x in v[0]))
        )
        for v in messages.values()
    )


@functools.cache
def _load(lang: str, locale_dir: Path | None = None) -> _Compiled:
    """The catalog of ``lang``, compiled once per process and kept in evalkit's cache folder
    (:mod:`evalkit.kept`) under the ``.po`` file's bytes and Babel's version: Babel reads a
    ``.po`` file in some 25 ms, a kept one is read in 1."""
    import babel

    path = catalog_path(lang, locale_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MissingMessage(f"the catalog of {lang!r} is missing: {path}") from None
    name = kept.key(KEPT_FORMAT, babel.__version__, lang, data)
    value = kept.read("catalogs", name)
    if not _shape_ok(value):
        value = _compile(data, lang)
        kept.keep("catalogs", name, value)
    try:
        translations = gettext.GNUTranslations(io.BytesIO(base64.b64decode(value["mo"])))
    except (ValueError, OSError, LookupError, struct.error):  # kept bytes that are no .mo
        value = _compile(data, lang)
        translations = gettext.GNUTranslations(io.BytesIO(base64.b64decode(value["mo"])))
    messages = {
        k: (tuple(ids) if ids is not None else None, complete)
        for k, (ids, complete) in value["messages"].items()
    }
    return _Compiled(messages, translations)


def _babel_locale(lang: str) -> str:
    return LOCALES[lang].replace("_", "-").split("-")[0]


@functools.cache
def _babel_catalog(lang: str, locale_dir: Path | None = None) -> Any:
    from babel.messages.pofile import read_po

    path = catalog_path(lang, locale_dir)
    try:
        with path.open("rb") as fh:
            return read_po(fh, locale=_babel_locale(lang))
    except FileNotFoundError:
        raise MissingMessage(f"the catalog of {lang!r} is missing: {path}") from None


def catalog(lang: str, locale_dir: Path | None = None) -> Any:
    """The Babel :class:`~babel.messages.catalog.Catalog` of ``lang`` (read once), for the
    catalogs' upkeep (:mod:`evalkit.catalogs`); the documents read :func:`_load`'s."""
    return _babel_catalog(check_language(lang), locale_dir)


def reload_catalogs() -> None:
    """Read the ``.po`` files again (after editing them in a running kernel)."""
    _load.cache_clear()
    _babel_catalog.cache_clear()
    _warned.clear()


def _strict() -> bool:
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def _has(lang: str, key: str, plural: bool) -> bool:
    found = _load(lang).messages.get(key)
    if found is None:
        return False
    ids, complete = found
    return complete and (ids is not None) == plural


def _language_for(key: str, plural: bool) -> str:
    """The language to take ``key`` from: the current one, else bokmål (see the module)."""
    lang = current_language()
    if _has(lang, key, plural):
        return lang
    if lang == SOURCE_LANGUAGE or not _has(SOURCE_LANGUAGE, key, plural):
        kind = "a plural message (msgid_plural)" if plural else "a message"
        raise MissingMessage(
            f"{key!r} is not {kind} of the bokmål catalog {catalog_path(SOURCE_LANGUAGE)}; "
            "add it there (python -m evalkit.catalogs update adds the keys the code uses)"
        )
    problem = (
        f"{key!r} has no {lang} translation in {catalog_path(lang)}; translate it there "
        "(python -m evalkit.catalogs update adds the missing keys)"
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
    return _fill(_load(lang).translations.gettext(key), key, fields)


def tn(key: str, n: int, /, **fields: Any) -> str:
    """The plural message ``key`` (``msgid``/``msgid_plural``) in the form for ``n`` by the
    catalog's ``Plural-Forms``; ``{n}`` and ``fields`` fill its placeholders (a field ``n``
    is shown in place of the number: ``tn("formats.counties", 1500, n="1 500")``)."""
    lang = _language_for(key, plural=True)
    compiled = _load(lang)
    msgid = compiled.messages[key][0]
    text = compiled.translations.ngettext(msgid[0], msgid[1], int(n))
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
