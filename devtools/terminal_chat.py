"""Chat with the bot from a terminal through the fake Telegram server's control API.

Run the fake server (``python -m devtools.fake_telegram --port 8081``) and the bot against it,
then::

    python -m devtools.terminal_chat --api http://127.0.0.1:8081 [--chat-id 1001 --language-code en]

Each line is sent as the founder's message. Bot messages and edits are printed as they arrive,
with inline buttons as a numbered list; "#2" presses button 2 of the latest message that has
buttons. "/quit" or Ctrl-D exits. When stdin is not a terminal (a pipe or a file), each line
waits for the bot's replies (up to ``--wait`` seconds) before the next one is sent, so scripted
conversations are deterministic.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import threading
import time
from typing import Any, TextIO

import aiohttp

QUIET_SECONDS = 0.5
POLL_SECONDS = 20.0
_PRESS = re.compile(r"#(\d+)")


class TerminalChat:
    """One founder's chat: sends lines, prints the bot's output, presses buttons.

    Args:
        session: The HTTP session.
        api: The fake server's root URL, e.g. "http://127.0.0.1:8081".
        chat_id: The private chat (and user) id of the founder.
        language_code: The founder's Telegram language code.
        out: Where to print.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api: str,
        chat_id: int,
        language_code: str,
        out: TextIO = sys.stdout,
    ) -> None:
        self.session = session
        self.api = api.rstrip("/")
        self.chat_id = chat_id
        self.language_code = language_code
        self.out = out
        self.last_seq = 0
        self.event_count = 0
        self.actions = 0  # messages sent and buttons pressed
        self.last_event_at = 0.0
        self.buttons: dict[int, list[dict[str, Any]]] = {}
        self._activity = asyncio.Event()

    def say(self, text: str) -> None:
        """Print one block of output."""
        print(text, file=self.out, flush=True)

    async def _call(self, verb: str, path: str, **kwargs: Any) -> dict[str, Any]:
        async with self.session.request(verb, f"{self.api}/_control/{path}", **kwargs) as resp:
            body = await resp.json(content_type=None)
        if not body.get("ok"):
            raise RuntimeError(body.get("description", f"HTTP {resp.status}"))
        return dict(body)

    async def connect(self) -> None:
        """Skip the chat's history: only output after this point is shown."""
        body = await self._call("GET", "messages", params={"chat_id": self.chat_id, "after": 0})
        self.last_seq = int(body["last_seq"])

    async def poll(self) -> None:
        """Print bot events as they arrive, until cancelled."""
        while True:
            params = {"chat_id": self.chat_id, "after": self.last_seq, "timeout": POLL_SECONDS}
            try:
                body = await self._call("GET", "messages", params=params)
            except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
                self.say(f"(connection problem: {exc}; retrying)")
                await asyncio.sleep(1.0)
                continue
            for event in body["result"]:
                self.last_seq = max(self.last_seq, int(event["seq"]))
                self.show(event)

    def show(self, event: dict[str, Any]) -> None:
        """Print one event (message, edit or delete) and remember its buttons."""
        message = event["message"]
        message_id = int(event["message_id"])
        if event["kind"] == "delete":
            self.buttons.pop(message_id, None)
            self.say(f"(bot deleted message {message_id})")
        else:
            label = "bot" if event["kind"] == "message" else f"bot (edited {message_id})"
            text = str(message.get("text", "")).replace("\n", "\n     ")
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            buttons = [button for row in rows for button in row]
            self.buttons[message_id] = buttons
            lines = [f"{label}: {text}"]
            for number, button in enumerate(buttons, start=1):
                link = f" -> {button['url']}" if "url" in button else ""
                lines.append(f"     [{number}] {button.get('text', '')}{link}")
            self.say("\n".join(lines))
        self.event_count += 1
        self.last_event_at = time.monotonic()
        self._activity.set()

    async def handle(self, line: str, *, echo: bool) -> bool:
        """Send a line or press a button; return False when the user wants to quit."""
        text = line.strip()
        if not text:
            return True
        if text in ("/quit", "/exit"):
            return False
        match = _PRESS.fullmatch(text)
        try:
            if match:
                await self.press(int(match.group(1)), echo=echo)
            else:
                if echo:
                    self.say(f"you: {text}")
                payload = {"chat_id": self.chat_id, "text": text}
                payload["language_code"] = self.language_code
                await self._call("POST", "send", json=payload)
                self.actions += 1
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
            self.say(f"(could not send: {exc})")
        return True

    async def press(self, number: int, *, echo: bool) -> None:
        """Press button ``number`` (1-based) of the latest message that has buttons."""
        with_buttons = [mid for mid, buttons in self.buttons.items() if buttons]
        if not with_buttons:
            self.say("(no message has buttons)")
            return
        message_id = max(with_buttons)
        buttons = self.buttons[message_id]
        if not 1 <= number <= len(buttons):
            self.say(f"(message {message_id} has buttons 1-{len(buttons)})")
            return
        button = buttons[number - 1]
        if "callback_data" not in button:
            self.say(f"(button [{number}] is a link: {button.get('url', '?')})")
            return
        if echo:
            self.say(f"you pressed [{number}] {button.get('text', '')}")
        payload = {"chat_id": self.chat_id, "message_id": message_id}
        payload["data"] = button["callback_data"]
        await self._call("POST", "click", json=payload)
        self.actions += 1

    async def settle(self, seen: int, timeout: float) -> None:
        """Wait for the first event after ``seen`` events (up to ``timeout`` s), then for quiet."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.event_count > seen and time.monotonic() - self.last_event_at >= QUIET_SECONDS:
                return
            if self.event_count > seen:
                pause = QUIET_SECONDS - (time.monotonic() - self.last_event_at)
            else:
                pause = deadline - time.monotonic()
            self._activity.clear()
            try:
                await asyncio.wait_for(self._activity.wait(), max(min(pause, timeout), 0.01))
            except asyncio.TimeoutError:
                pass


def _start_reader(loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]) -> None:
    """Read stdin in a daemon thread (a blocked read must not keep the process alive)."""

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=read, name="stdin-reader", daemon=True).start()


async def run(args: argparse.Namespace) -> int:
    """Run the chat until /quit or end of input; return the exit status."""
    interactive = sys.stdin.isatty()
    timeout = aiohttp.ClientTimeout(total=POLL_SECONDS + 10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        chat = TerminalChat(session, args.api, args.chat_id, args.language_code)
        try:
            await chat.connect()
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
            print(f"cannot reach the fake Telegram server at {args.api}: {exc}", file=sys.stderr)
            return 1
        chat.say(
            f"Chatting with the bot as founder {args.chat_id} ({args.language_code}) via "
            f"{args.api}: type a message, #N presses button N, /quit or Ctrl-D exits."
        )
        poller = asyncio.create_task(chat.poll())
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        _start_reader(asyncio.get_running_loop(), lines)
        try:
            while (line := await lines.get()) is not None:
                seen, actions = chat.event_count, chat.actions
                if not await chat.handle(line, echo=not interactive):
                    break
                if not interactive and chat.actions > actions:
                    await chat.settle(seen, args.wait)
        finally:
            poller.cancel()
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m devtools.terminal_chat", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--api", default="http://127.0.0.1:8081", help="fake server root URL")
    parser.add_argument("--chat-id", type=int, default=1001, help="founder's chat id (1001)")
    parser.add_argument("--language-code", default="en", help="founder's language (en)")
    parser.add_argument(
        "--wait", type=float, default=3.0, help="seconds to wait for replies when piped (3)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        return asyncio.run(run(parse_args(argv)))
    except KeyboardInterrupt:
        print()
        return 0


if __name__ == "__main__":
    sys.exit(main())
