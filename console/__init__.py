"""The hub staff web console (aiohttp): the ticket queue, each ticket, and metrics.

It is its own process (``python -m console``, started by ``emergebot run``) on 127.0.0.1. It
reads and changes tickets through the same service layer as Telegram (hubdata/desk); replies
written here reach the founder through the desk's outbox, which the Telegram adapter delivers.
"""
