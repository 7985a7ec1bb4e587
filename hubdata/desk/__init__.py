"""The hub staff desk: tickets, staff, SLA, audit log and the outbox.

One service layer for every side: the Telegram adapter (bot/), the action server (actions/)
and the web console (console/) call these functions with an open session. Each change returns
a :class:`~hubdata.desk.results.Result`: whether it was allowed, what to tell the person who
acted, and the deliveries it queued in the outbox (Telegram messages and edits, Rasa events),
which the Telegram adapter sends. Nothing here imports telegram or rasa.

State diagram of a ticket: ``hubdata/desk/ticket_states.mmd``.
"""
