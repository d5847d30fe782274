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
This module, read by every layer, imports nothing of evalkit but its errors, and nothing
heavier than Babel.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import io
import logging
import os
import string
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
