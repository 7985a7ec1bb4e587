"""A local fake of the Telegram Bot API for end-to-end tests, benchmarks and the terminal chat.

``async with FakeTelegram(port=0) as fake:`` serves the Bot API on 127.0.0.1; give
``fake.base_url`` to python-telegram-bot and drive the conversation with ``fake.send_text``,
``fake.click`` and ``fake.wait_for_messages``. ``python -m devtools.fake_telegram --port 8081``
runs it standalone; other processes use its control API (see ``devtools.fake_telegram.control``).
"""

from devtools.fake_telegram.records import ApiError, BotMessage, CallbackAnswer, EditRecord, Event
from devtools.fake_telegram.server import FakeTelegram

__all__ = ["ApiError", "BotMessage", "CallbackAnswer", "EditRecord", "Event", "FakeTelegram"]
