"""Run Rasa's server: ``python -m nlu.server [rasa run options]``, the token from RASA_TOKEN.

Rasa 3.6 takes its API token only from ``rasa run --auth-token``, and a process's command line
is readable by every user of the machine (``ps``, ``/proc/<pid>/cmdline``). This wrapper reads
the token from the environment (readable only by the same user) and hands it to Rasa's command
line parser inside the process, so it never appears on a command line. Before that it redacts
the process's logs (hubdata/logs.py), so Rasa's, Sanic's and structlog's lines are redacted too.

A Rasa server that could not load its model keeps serving without one; this one exits
instead, so a supervisor's token-free health check (``GET /version``) means "model loaded".
The SQL tracker store's errors leave out their statements' parameters (founders' messages).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from hubdata import logs
from hubdata.settings import Settings

TOKEN_VARIABLE = "RASA_TOKEN"


def _exit_without_model(load: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(load)
    async def load_or_exit(*args: Any, **kwargs: Any) -> Any:
        agent = await load(*args, **kwargs)
        if agent is None or not agent.is_ready():
            raise SystemExit("Rasa could not load the model; see the lines above")
        return agent

    return load_or_exit


def _hidden_parameters(engine_kwargs: Callable[[Any], dict[str, Any]]
                       ) -> Callable[[Any], dict[str, Any]]:
    """The tracker store's engine arguments: a failed statement's error shows no parameters
    (the events' texts), unless logs may show personal data."""
    @functools.wraps(engine_kwargs)
    def with_hidden_parameters(url: Any) -> dict[str, Any]:
        return {**engine_kwargs(url), "hide_parameters": not logs.shows_personal_data()}

    return with_hidden_parameters


def main(argv: list[str] | None = None) -> None:
    """Start ``rasa run`` with ``argv`` and the token of ``RASA_TOKEN``."""
    argv = sys.argv[1:] if argv is None else argv
    if any(arg.startswith("--auth-token") for arg in argv):
        raise SystemExit(f"give the token in {TOKEN_VARIABLE}, not on the command line")
    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        raise SystemExit(f"set {TOKEN_VARIABLE}: Rasa's API and channel need a token")
    logs.install(Settings.from_env())

    import rasa.core.run
    from rasa.__main__ import main as rasa_main
    from rasa.core import tracker_store

    rasa.core.run.load_agent_on_start = _exit_without_model(rasa.core.run.load_agent_on_start)
    tracker_store.create_engine_kwargs = _hidden_parameters(tracker_store.create_engine_kwargs)
    sys.argv = ["rasa", "run", *argv, f"--auth-token={token}"]  # "=": a token may start with "-"
    rasa_main()


if __name__ == "__main__":
    main()
