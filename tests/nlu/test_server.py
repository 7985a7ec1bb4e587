"""nlu/server.py: the token comes from the environment, never from the command line."""

from __future__ import annotations

import pytest

from nlu import server


def test_a_token_on_the_command_line_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_TOKEN", "rasa-token-secret")
    with pytest.raises(SystemExit, match="not on the command line"):
        server.main(["--enable-api", "--auth-token=rasa-token-secret"])


def test_no_token_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="set RASA_TOKEN"):
        server.main(["--enable-api"])
