"""Bot API methods for bot setup: commands (setMyCommands ...) and webhooks (setWebhook ...)."""

from __future__ import annotations

import re

from devtools.fake_telegram.params import bool_param, int_param, json_param
from devtools.fake_telegram.records import JSON, ApiError, Described, WebhookConfig
from devtools.fake_telegram.state import FakeState

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


# ------------------------------------------------------------------ commands
def _commands_key(params: JSON) -> tuple[str, str]:
    scope = json_param(params, "scope") or {"type": "default"}
    key = ",".join(f"{k}={scope[k]}" for k in sorted(scope)) if isinstance(scope, dict) else ""
    return key, str(params.get("language_code") or "")


def set_my_commands(state: FakeState, params: JSON) -> bool:
    """setMyCommands for a scope and language."""
    commands = json_param(params, "commands")
    if not isinstance(commands, list):
        raise ApiError.bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise ApiError.bad_request("BOT_COMMANDS_TOO_MUCH")
    clean = []
    for item in commands:
        command = str(item.get("command", "")) if isinstance(item, dict) else ""
        description = str(item.get("description", "")) if isinstance(item, dict) else ""
        if not _COMMAND.match(command):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": command, "description": description})
    state.commands[_commands_key(params)] = clean
    return True


def get_my_commands(state: FakeState, params: JSON) -> list[JSON]:
    """getMyCommands for exactly that scope and language."""
    return list(state.commands.get(_commands_key(params), []))


def delete_my_commands(state: FakeState, params: JSON) -> bool:
    """deleteMyCommands for a scope and language."""
    state.commands.pop(_commands_key(params), None)
    return True


# ------------------------------------------------------------------- webhook
def set_webhook(state: FakeState, params: JSON) -> Described:
    """setWebhook: from now on updates are POSTed to ``url`` (empty url removes it)."""
    url = str(params.get("url") or "")
    if not url:
        return delete_webhook(state, params)
    if not url.startswith(("http://", "https://")):
        raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token") or None
    if secret is not None and not _SECRET.match(str(secret)):
        raise ApiError.bad_request("secret token contains unallowed characters")
    if bool_param(params, "drop_pending_updates"):
        state.queue.clear()
    allowed = json_param(params, "allowed_updates")
    already = state.webhook is not None and state.webhook.url == url
    state.webhook = WebhookConfig(
        url=url,
        secret_token=None if secret is None else str(secret),
        allowed_updates=list(allowed) if isinstance(allowed, list) and allowed else None,
        max_connections=int_param(params, "max_connections", 40) or 40,
    )
    state.notify()
    return Described(True, "Webhook is already set" if already else "Webhook was set")


def delete_webhook(state: FakeState, params: JSON) -> Described:
    """deleteWebhook: back to getUpdates; pending updates stay unless drop_pending_updates."""
    if bool_param(params, "drop_pending_updates"):
        state.queue.clear()
    existed = state.webhook is not None
    state.webhook = None
    state.notify()
    return Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")


def get_webhook_info(state: FakeState, params: JSON) -> JSON:
    """getWebhookInfo."""
    hook = state.webhook
    info: JSON = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.queue),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info
