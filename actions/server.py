"""Run the action server bound to one host, with the database opened at start-up."""

from __future__ import annotations

import argparse
import logging

from rasa_sdk.endpoint import create_app
from sanic import response

from actions import runtime
from hubdata import answers, logs, ops
from hubdata.heap import freeze_heap
from hubdata.settings import Settings

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> None:
    """Start the action server (``python -m actions.server``)."""
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description="EMERGE bot action server")
    parser.add_argument("--host", default=settings.action_host)
    parser.add_argument("--port", type=int, default=settings.action_port)
    args = parser.parse_args(argv)
    logs.setup(settings, quiet=["sanic"])

    app = create_app("actions", cors_origins=None)

    @app.listener("before_server_start")
    async def open_database(_app, _loop) -> None:  # type: ignore[no-untyped-def]
        runtime.start(settings)
        answers.encode(["warm up"])  # the direct answers' encoder loads now, not for a founder
        freeze_heap()  # what start-up loaded stays out of the garbage collector's walks

    @app.get("/ready")
    async def ready(_request):  # type: ignore[no-untyped-def]
        """The actions can serve: their database answers (GET /health: the process is up)."""
        problem = await ops.database_ready(runtime.current().sessions)
        if problem is not None:
            return response.json({"status": "not ready", "problems": {"database": problem}},
                                 status=503)
        return response.json({"status": "ready"})

    @app.listener("after_server_stop")
    async def close_database(_app, _loop) -> None:  # type: ignore[no-untyped-def]
        await runtime.stop()

    print(f"action server listening on http://{args.host}:{args.port}/webhook", flush=True)
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
