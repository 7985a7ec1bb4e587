"""Staff mute a founder who abuses the bot (and unmute them): a muted founder's messages are
not answered, and they are told so once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hubdata import founders
from hubdata.desk import audit, staff
from hubdata.desk.guard import refuse
from hubdata.desk.results import Actor, Notice, Result
from hubdata.models import Founder


async def set_muted(session: AsyncSession, actor: Actor, founder_id: int, muted: bool, *,
                    now: datetime) -> Result:
    """Mute or unmute a founder who has written to the bot; only active staff may."""
    action = "mute" if muted else "unmute"
    member = await staff.active(session, actor.user_id)
    if member is None:
        return refuse(session, actor, action, "desk.not_staff", now=now)
    lang = staff.interface_language(member)
    founder = await founders.get(session, founder_id)
    if founder is None:
        return refuse(session, actor, action, "desk.founder_unknown", now=now, lang=lang,
                      founder=founder_id)
    founder.muted_at = now if muted else None
    founder.muted_by = actor.user_id if muted else None
    founder.mute_noticed_at = None
    audit.record(session, actor, action, now=now, founder=founder_id)
    return Result(ok=True, lang=lang,
                  notice=Notice("desk.muted" if muted else "desk.unmuted", {"founder": founder_id}))


def take_mute_notice(founder: Founder, now: datetime) -> bool | None:
    """For a message from ``founder``: None if they are not muted; else whether to tell them
    (once per mute)."""
    if founder.muted_at is None:
        return None
    if founder.mute_noticed_at is not None:
        return False
    founder.mute_noticed_at = now
    return True
