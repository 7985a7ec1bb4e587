"""Logging of every process: secrets and founders' personal data kept out of the lines.

Each process (adapter, action server, console, Rasa, balancer) calls :func:`install` once at
start-up, before anything logs. It replaces the log-record factory, so every record of every
logger (python-telegram-bot's, Rasa's, structlog's through the standard library, Sanic's,
aiohttp's and ours) is redacted when it is made, whatever handlers or formatters a library
installs later. Redacted everywhere and always:

- the secrets of this deployment (``TELEGRAM_BOT_TOKEN``, ``RASA_TOKEN``, ``WEBHOOK_SECRET``,
  the passwords in ``DATABASE_URL``, ``TRACKER_STORE_URL`` and ``REDIS_URL``, and any the
  process passes in), and every Telegram-bot-token-shaped string, also inside a
  ``/bot<token>/getUpdates`` URL;
- ``token=``, ``secret=``, ``password=`` query parameters, bearer tokens and the passwords of
  URLs such as ``postgresql://user:password@host``.

Personal data: phone numbers and e-mail addresses are redacted too, and our own log calls wrap
what a founder wrote (or a raw update) in :func:`personal`, which hides it. Message text is
only logged at DEBUG (python-telegram-bot, Rasa). ``EMERGEBOT_LOG_PERSONAL_DATA=1``
(``Settings.log_personal_data``) shows phone numbers, e-mail addresses and :func:`personal`
values, for debugging only.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from hubdata.settings import Settings

FORMAT = "%(asctime)s %(name)s %(message)s"
MIN_SECRET_CHARS = 6  # shorter "secrets" would blank out ordinary words
HIDDEN = "<hidden>"

# Always: credentials, whatever process or library logs them.
_CREDENTIALS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/bot[^/\s:'\"]*:[^/\s'\"?&#]+"), "/bot<token>"),  # Bot API URLs
    (re.compile(r"\b\d{6,}:[A-Za-z0-9_-]{30,}"), "<token>"),  # a Telegram bot token
    (re.compile(r"(?i)([?&](?:auth_)?(?:token|secret|password|api_key|access_token)=)"
                r"[^&\s'\"#]+"), r"\1<redacted>"),
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1<redacted>"),
    (re.compile(r"(?i)((?:secret[_-]token|password)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
     r"\1<redacted>"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+(@)"), r"\1<redacted>\2"),
)
# Log calls of python-telegram-bot 22 whose arguments are what founders sent (whole updates,
# at ERROR and CRITICAL): their arguments are hidden like personal() values.
LIBRARY_PERSONAL_TEMPLATES = frozenset({
    "Error while parsing updates! Received data was %r",
    'Can not load invalid JSON data: "%s"',
    "Error while building CallbackContext for update %s. Update will not be processed.",
})
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# A candidate phone number: digits with single separators; _is_phone decides.
_PHONE = re.compile(r"(?<![\w+.:/(-])[+(]?\d(?:[ .()-]{0,2}\d){6,18}(?![\w:]|\.\d)")
_NOT_PHONE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|\d+\.\d+")  # an IPv4 address, a decimal


def _is_phone(candidate: str) -> bool:
    """Whether a digit run looks like a phone number rather than an id, a date or an address.

    International (``+``, ``00``) and trunk-prefixed national numbers (``0``, ``(0``) count;
    runs without those are ids, counts and ports.
    """
    digits = sum(c.isdigit() for c in candidate)
    if not 8 <= digits <= 15 or _NOT_PHONE.fullmatch(candidate):
        return False
    return candidate.startswith(("+", "00")) or (
        candidate.lstrip("(").startswith("0") and digits >= 9)


def _url_password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


@dataclass
class Redactor:
    """Redacts secrets (always) and phone numbers and e-mail addresses (unless told not to)."""

    secrets: Iterable[str] = field(default=(), repr=False)
    personal_data: bool = False
    _secret: re.Pattern[str] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        words: set[str] = set()
        for secret in self.secrets:
            words.add(secret)
            words.add(secret.partition(":")[2])  # a bot token's secret half on its own
        words = {w for w in words if len(w) >= MIN_SECRET_CHARS}
        if words:
            self._secret = re.compile("|".join(
                re.escape(w) for w in sorted(words, key=len, reverse=True)))

    @classmethod
    def for_settings(cls, settings: Settings, secrets: Iterable[str] = ()) -> Redactor:
        """The redactor of this deployment: its secrets, and further ``secrets``."""
        found = [settings.telegram_bot_token, settings.rasa_token, settings.webhook_secret]
        found += [_url_password(url) for url in
                  (settings.database_url, settings.tracker_store_url, settings.redis_url)]
        return cls([*(s for s in found if s), *secrets], personal_data=settings.log_personal_data)

    def __call__(self, text: str) -> str:
        """``text`` without the secrets and, unless allowed, the personal data."""
        if self._secret is not None:
            text = self._secret.sub("<secret>", text)
        for pattern, replacement in _CREDENTIALS:
            text = pattern.sub(replacement, text)
        if not self.personal_data:
            text = _EMAIL.sub("<email>", text)
            text = _PHONE.sub(lambda m: "<phone>" if _is_phone(m.group()) else m.group(), text)
        return text

    def record(self, record: logging.LogRecord) -> None:
        """Redact a log record in place: its message, traceback and stack."""
        if (not self.personal_data and isinstance(record.args, tuple) and record.args
                and record.msg in LIBRARY_PERSONAL_TEMPLATES):
            record.args = (HIDDEN,) * len(record.args)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: logging reports it later
            return
        record.msg, record.args = self(message), None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = self(_formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self(record.stack_info)


_formatter = logging.Formatter()
_active = Redactor()  # until install(): token-shaped strings, phone numbers, e-mail addresses
_installed = False


class _Personal:
    """A value shown in log lines only when personal data may be logged."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return str(self.value) if _active.personal_data else HIDDEN

    def __repr__(self) -> str:
        return repr(self.value) if _active.personal_data else HIDDEN


def personal(value: object) -> object:
    """Wrap what a founder wrote (text, names, a raw update) for a log call's arguments."""
    return _Personal(value)


def shows_personal_data() -> bool:
    """Whether this process's logs may show personal data (the debug flag)."""
    return _active.personal_data


def redact(text: str) -> str:
    """``text`` as this process's logs would show it."""
    return _active(text)


def install(settings: Settings, secrets: Iterable[str] = ()) -> Redactor:
    """Redact every log record of this process from now on, warnings and uncaught tracebacks.

    Args:
        settings: the deployment's secrets and its ``log_personal_data`` flag.
        secrets: further secrets only this process knows (the adapter's local bot token).
    """
    global _active, _installed
    _active = Redactor.for_settings(settings, secrets)
    if not _installed:
        _installed = True
        make_record = logging.getLogRecordFactory()

        def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            _active.record(record)
            return record

        logging.setLogRecordFactory(redacted_record)
        logging.captureWarnings(True)  # warnings become records of "py.warnings", redacted
        sys.excepthook = _redacted_hook(sys.excepthook)
        threading.excepthook = _redacted_thread_hook
    return _active


def setup(settings: Settings, secrets: Iterable[str] = (), quiet: Iterable[str] = ()
          ) -> Redactor:
    """Log to stderr at ``settings.log_level`` in the house format, redacted (:func:`install`).

    ``quiet`` names loggers kept at WARNING (per-request lines that only add noise).
    """
    redactor = install(settings, secrets)
    logging.basicConfig(level=settings.log_level, format=FORMAT)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    return redactor


def _redacted_hook(
    previous: Callable[[type[BaseException], BaseException, TracebackType | None], Any],
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    def hook(kind: type[BaseException], error: BaseException,
             trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, error, trace)
            return
        sys.stderr.write(_active("".join(traceback.format_exception(kind, error, trace))))

    return hook


def _redacted_thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "a thread"
    text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    sys.stderr.write(_active(f"Exception in {name}:\n{text}"))
