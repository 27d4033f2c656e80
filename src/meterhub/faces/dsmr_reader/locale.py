"""The language of an answer, as DSMR-reader 5.11 picks it: Django 3.2's LocaleMiddleware over
its LANGUAGES (Dutch and English, English the default), with the messages its clients see.

Negotiation happens once per request, in `Languages`, which also marks every answer of the face
as Django does (`Content-Language`, `Vary: Accept-Language`). Messages are looked up by their
English text; the Dutch ones are the catalogs upstream ships (Django's, DRF's and its own
`locales/nl`), reproduced as data for the strings this face emits: Django itself is not needed to
read a dozen of them. A string upstream leaves untranslated (`Invalid auth key`, DRF's
`Null characters are not allowed.`) has no row, and stays English.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Upstream's LANGUAGES (code order as in its settings) and LANGUAGE_CODE.
LANGUAGES = ("nl", "en")
DEFAULT = "en"
# Django's LANGUAGE_COOKIE_NAME, set by its set_language view (upstream's frontend).
COOKIE = "django_language"
_STATE = "dsmr_reader_language"

# Django 3.2's accept_language_re, language_code_re and ACCEPT_LANGUAGE_HEADER_MAX_LENGTH.
_ACCEPT_LANGUAGE = re.compile(
    r"""
    ([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)      # "en", "en-au", "x-y-z", "es-419", "*"
    (?:\s*;\s*q=(0(?:\.\d{,3})?|1(?:\.0{,3})?))?  # Optional "q=1.00", "q=0.8"
    (?:\s*,\s*|$)                                 # Multiple accepts per header.
    """,
    re.VERBOSE,
)
_LANGUAGE_CODE = re.compile(r"^[a-z]{1,8}(?:-[a-z0-9]{1,8})*(?:@[a-z0-9]{1,20})?$", re.IGNORECASE)
_MAX_HEADER = 500


def _supported(code: str | None) -> str | None:
    """Django's get_supported_language_variant: the code, else its generic part, if upstream has it."""
    if not code:
        return None
    for candidate in (code, code.split("-")[0]):
        if candidate in LANGUAGES:
            return candidate
    return None


@lru_cache(maxsize=1000)
def _accepted(header: str) -> tuple[str, ...]:
    """Django's parse_accept_lang_header: the ranges by falling q (a stable sort; q=0 stays in), or
    none at all when any part of the header is malformed."""
    if len(header) > _MAX_HEADER:
        # Parse up to the last comma before the limit; a single overlong range is ignored.
        cut = header.rfind(",", 0, _MAX_HEADER)
        if cut <= 0:
            return ()
        header = header[:cut]
    pieces = _ACCEPT_LANGUAGE.split(header.lower())
    if pieces[-1]:
        return ()
    found: list[tuple[str, float]] = []
    for i in range(0, len(pieces) - 1, 3):
        first, code, priority = pieces[i : i + 3]
        if first:
            return ()
        found.append((code, float(priority) if priority else 1.0))
    found.sort(key=lambda item: item[1], reverse=True)
    return tuple(code for code, _ in found)


def negotiate(accept_language: str, cookie: str | None = None) -> str:
    """Django's get_language_from_request: the language cookie, then Accept-Language, then English."""
    if cookie is not None:
        chosen = _supported(cookie)
        if chosen is not None:
            return chosen
    for code in _accepted(accept_language):
        if code == "*":
            break
        if _LANGUAGE_CODE.search(code):
            chosen = _supported(code)
            if chosen is not None:
                return chosen
    return DEFAULT


class Languages:
    """ASGI middleware: negotiates the language of each request to the face's paths once, and
    marks the answer as Django's LocaleMiddleware does."""

    def __init__(self, app: ASGIApp, *, paths: tuple[str, ...]) -> None:
        self._app = app
        self._paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._paths):
            await self._app(scope, receive, send)
            return
        language = _from_headers(scope["headers"])
        scope.setdefault("state", {})[_STATE] = language
        marks = [(b"vary", b"Accept-Language"), (b"content-language", language.encode())]

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _marked(list(message.get("headers", ())), marks)
            await send(message)

        await self._app(scope, receive, send_marked)


def _marked(
    headers: list[tuple[bytes, bytes]], marks: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """The answer's headers with Django's marks: Accept-Language added to any `Vary` that does not
    name it yet (patch_vary_headers), and `Content-Language` unless the answer has one."""
    vary = content_language = -1
    for i, (name, _) in enumerate(headers):
        lowered = name.lower()
        if lowered == b"vary":
            vary = i
        elif lowered == b"content-language":
            content_language = i
    if vary < 0:
        headers.append(marks[0])
    elif b"accept-language" not in (v.strip().lower() for v in headers[vary][1].split(b",")):
        headers[vary] = (b"vary", headers[vary][1] + b", Accept-Language")
    if content_language < 0:
        headers.append(marks[1])
    return headers


def _from_headers(headers: list[tuple[bytes, bytes]]) -> str:
    accept: list[str] = []
    cookie: str | None = None
    for name, value in headers:
        if name == b"accept-language":
            accept.append(value.decode("latin-1"))
        elif name == b"cookie" and COOKIE.encode() in value:
            cookie = cookie_parser(value.decode("latin-1")).get(COOKIE, cookie)
    # (several Accept-Language headers reach Django joined by commas)
    return negotiate(",".join(accept), cookie)


def of(request: Request) -> str:
    """The language negotiated for this request."""
    state = request.scope.get("state") or {}
    language = state.get(_STATE)
    return language if isinstance(language, str) else _from_headers(request.scope["headers"])


def say(language: str, english: str, **params: Any) -> str:
    """The message in the language, its `{name}` placeholders filled in."""
    text = MESSAGES.get(language, {}).get(english, english)
    return text.format(**params) if params else text


# Django 3.2's conf/locale/<language>/formats.py, the number formats number_format uses (with
# upstream's USE_THOUSAND_SEPARATOR = True).
_SEPARATORS = {"en": (".", ","), "nl": (",", ".")}


def number(language: str, value: Decimal) -> str:
    """A decimal as Django's formats.number_format writes it: the language's decimal separator and
    thousands grouped by three."""
    decimal_sep, thousand_sep = _SEPARATORS[language]
    text = f"{value:f}"
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = digits.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        whole, group = whole[:-3], whole[-3:]
        groups.insert(0, group)
    grouped = thousand_sep.join([whole, *groups])
    return sign + grouped + (decimal_sep + fraction if fraction else "")


# English text -> Dutch, for each message of upstream's that its catalogs translate. Django's
# `%(name)s` placeholders are written `{name}` here, as DRF writes its own.
MESSAGES: dict[str, dict[str, str]] = {
    "nl": {
        # DRF 3.14, rest_framework/locale/nl
        "This field is required.": "Dit veld is vereist.",
        "This field may not be null.": "Dit veld mag niet leeg zijn.",
        "This field may not be blank.": "Dit veld mag niet leeg zijn.",
        "Ensure this field has no more than {max_length} characters.": (
            "Zorg ervoor dat dit veld niet meer dan {max_length} karakters bevat."
        ),
        "A valid number is required.": "Een geldig nummer is vereist.",
        "Ensure that there are no more than {max_digits} digits in total.": (
            "Zorg ervoor dat er in totaal niet meer dan {max_digits} cijfers zijn."
        ),
        "Ensure that there are no more than {max_decimal_places} decimal places.": (
            "Zorg ervoor dat er niet meer dan {max_decimal_places} cijfers achter de komma zijn."
        ),
        "Ensure that there are no more than {max_whole_digits} digits before the decimal point.": (
            "Zorg ervoor dat er niet meer dan {max_whole_digits} cijfers voor de komma zijn."
        ),
        "A valid integer is required.": "Een geldig getal is vereist.",
        "Ensure this value is less than or equal to {max_value}.": (
            "Zorg ervoor dat deze waarde kleiner is dan of gelijk is aan {max_value}."
        ),
        "Ensure this value is greater than or equal to {min_value}.": (
            "Zorg ervoor dat deze waarde groter is dan of gelijk is aan {min_value}."
        ),
        "Datetime has wrong format. Use one of these formats instead: {format}.": (
            "Datetime heeft een ongeldig formaat, gebruik 1 van de volgende formaten: {format}."
        ),
        "Date has wrong format. Use one of these formats instead: {format}.": (
            "Date heeft het verkeerde formaat, gebruik 1 van deze formaten: {format}."
        ),
        "Invalid data. Expected a dictionary, but got {datatype}.": (
            "Ongeldige data. Verwacht een dictionary, kreeg een {datatype}."
        ),
        "Not found.": "Niet gevonden.",
        'Method "{method}" not allowed.': 'Methode "{method}" niet toegestaan.',
        "Could not satisfy the request Accept header.": "Kan niet voldoen aan de opgegeven Accept header.",
        # Django 3.2, django/conf/locale/nl: forms' fields (django-filter's filters)
        "Enter a valid date/time.": "Voer een geldige datum/tijd in.",
        "Enter a valid date.": "Voer een geldige datum in.",
        (
            "{datetime} couldn’t be interpreted in time zone {current_timezone}; "
            "it may be ambiguous or it may not exist."
        ): (
            "{datetime} kon niet worden geïnterpreteerd in tijdzone {current_timezone}; "
            "mogelijk is deze dubbelzinnig of bestaat deze niet."
        ),
        # Django's unique message, with upstream's verbose names (dsmrreader/locales/nl)
        "{model_name} with this {field_label} already exists.": (
            "Er bestaat al een {model_name} met eenzelfde {field_label}."
        ),
        "Day statistics (automatically generated data)": "Dagstatistieken (automatisch gegenereerd)",
        "Date": "Datum",
        # Monitoring (dsmrreader/locales/nl), and meterhub's words after them
        "Waiting for the first reading ever": "Nog nooit een meting ontvangen",
        "No recent readings received": "Geen recente metingen ontvangen",
        "check the datalogger and its network connection": "controleer de datalogger en zijn netwerkverbinding",
        (
            "{telegrams} telegram(s) held values that differ from ones stored for the same moment; "
            "the first were kept. Is a second meter posting with this key?"
        ): (
            "{telegrams} telegram(men) met waarden die afwijken van de al opgeslagen waarden voor "
            "hetzelfde moment; de eerste zijn bewaard. Stuurt een tweede meter met deze sleutel?"
        ),
        # meterhub's own answer to a posted reading that contradicts a stored one
        "A different reading with this timestamp is already stored; nothing was stored.": (
            "Er is al een andere meting met dit tijdstip opgeslagen; er is niets opgeslagen."
        ),
    },
}
