"""Webhook delivery: POST queued updates to the URL given to setWebhook."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from devtools.fake_telegram.records import QueuedUpdate, WebhookConfig, WebhookDelivery
from devtools.fake_telegram.state import FakeState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookSender:
    """Delivers updates one at a time, in order, while a webhook is set.

    A delivery that gets a non-2xx status or a connection error is retried ``attempts`` times in
    all, ``retry_delay`` seconds apart; after that the update is dropped and the error shows in
    getWebhookInfo (``last_error_date``, ``last_error_message``).
    """

    def __init__(
        self,
        state: FakeState,
        *,
        attempts: int = 3,
        retry_delay: float = 0.5,
        timeout: float = 10.0,
    ) -> None:
        self.state = state
        self.attempts = max(attempts, 1)
        self.retry_delay = retry_delay
        self.timeout = timeout

    async def run(self) -> None:
        """Deliver updates until cancelled."""
        state = self.state
        async with aiohttp.ClientSession() as session:
            while True:
                await state.wait_until(lambda: state.webhook is not None and state.queue, 3600)
                if state.closing:
                    return
                hook = state.webhook
                if hook is None or not state.queue:
                    continue
                entry = state.queue[0]
                kind = next((k for k in entry.update if k != "update_id"), None)
                allowed = hook.allowed_updates
                done = not allowed or kind in allowed
                if done:
                    done = await self._deliver(session, hook, entry)
                if done and entry in state.queue:
                    entry.delivered = True
                    state.queue.remove(entry)
                    state.notify()

    async def _deliver(
        self, session: aiohttp.ClientSession, hook: WebhookConfig, entry: QueuedUpdate
    ) -> bool:
        """POST one update; return False if the webhook changed meanwhile (keep the update)."""
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        for attempt in range(1, self.attempts + 1):
            if self.state.webhook is not hook:
                return False
            status: int | None = None
            error: str | None = None
            try:
                async with session.post(
                    hook.url,
                    json=entry.update,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as response:
                    status = response.status
                    await response.read()
                    if not 200 <= status < 300:
                        error = f"Wrong response from the webhook: {status} {response.reason}"
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                error = str(exc) or exc.__class__.__name__
            self.state.webhook_deliveries.append(
                WebhookDelivery(
                    update_id=entry.update_id,
                    url=hook.url,
                    attempt=attempt,
                    status=status,
                    error=error,
                    time=time.monotonic(),
                    headers=dict(headers),
                )
            )
            if error is None:
                return True
            hook.last_error_date = int(time.time())
            hook.last_error_message = error
            if attempt < self.attempts:
                await asyncio.sleep(self.retry_delay)
        return True
