"""From an HTTP request to a Bot API answer: decode the parameters, pick the method, inject
faults, record the call."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.botapi import methods as m
from harness.botapi.state import JSON, ApiError, Call, State, bad_request

JSON_FIELDS = frozenset(
    {
        "reply_markup", "link_preview_options", "entities", "commands", "scope",
        "allowed_updates", "reply_parameters", "results", "button",
    }
)  # fmt: skip
INT_FIELDS = frozenset(
    {"message_id", "user_id", "offset", "limit", "cache_time", "message_thread_id"}
)
BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "is_personal",
    }
)


def normalize(raw: dict[str, object]) -> JSON:
    """Return the parameters with JSON objects, integers and booleans decoded."""
    params: JSON = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError as exc:
                    raise bad_request(f"can't parse {key} JSON object") from exc
            elif key in INT_FIELDS or key == "chat_id":
                value = int(value) if value.lstrip("-").isdigit() else value
            elif key == "timeout":
                try:
                    value = float(value)
                except ValueError as exc:
                    raise bad_request("invalid timeout specified") from exc
            elif key in BOOL_FIELDS:
                value = value.lower() == "true"
        params[key] = value
    return params


Method = Callable[[State, JSON, float], object]
METHODS: dict[str, Method] = {
    "getMe": m.get_me,
    "getUpdates": m.get_updates,
    "setWebhook": m.set_webhook,
    "deleteWebhook": m.delete_webhook,
    "getWebhookInfo": m.get_webhook_info,
    "sendMessage": m.send_message,
    "sendDocument": m.send_document,
    "getFile": m.get_file,
    "editMessageText": m.edit_message_text,
    "editMessageReplyMarkup": m.edit_message_reply_markup,
    "deleteMessage": m.delete_message,
    "answerCallbackQuery": m.answer_callback_query,
    "answerInlineQuery": m.answer_inline_query,
    "setMyCommands": m.set_my_commands,
    "getMyCommands": m.get_my_commands,
    "deleteMyCommands": m.delete_my_commands,
    "getChat": m.get_chat,
    "getChatMember": m.get_chat_member,
    "getChatAdministrators": m.get_chat_administrators,
    "sendChatAction": m.send_chat_action,
    "setMyDescription": m.simple_true,
    "setChatMenuButton": m.simple_true,
    "setMyShortDescription": m.simple_true,
    "close": m.simple_true,
    "logOut": m.simple_true,
}
# Telegram's method names are case-insensitive.
METHODS_LOWER = {name.lower(): function for name, function in METHODS.items()}


@dataclass
class Answer:
    """An HTTP answer: status and JSON body; `drop` closes the connection without answering."""

    status: int
    body: JSON
    drop: bool = False


def _error(exc: ApiError) -> Answer:
    body: JSON = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return Answer(exc.code, body)


def handle(state: State, token: str, method: str, raw: dict[str, object]) -> Answer:
    """Run one Bot API call against the state, record it, and return the answer."""
    now = time.monotonic()
    with state.cond:
        try:
            params = normalize(raw)
        except ApiError as exc:
            state.calls.append(Call(method, dict(raw), now, exc.code, exc.description))
            return _error(exc)
        call = Call(method, params, now)
        state.calls.append(call)
        answer = _run(state, token, method, params, now)
        call.status = answer.status
        call.description = None if answer.status == 200 else str(answer.body.get("description"))
        state.cond.notify_all()
        return answer


def _run(state: State, token: str, method: str, params: JSON, now: float) -> Answer:
    if token != state.token:
        return _error(ApiError(401, "Unauthorized"))
    function = METHODS_LOWER.get(method.lower())
    if function is None:
        return _error(ApiError(404, "Not Found"))
    fault = state.take_fault(method, params.get("chat_id"))
    if fault is not None and not (fault.status == 0 and fault.deliver):
        return Answer(0, {}, drop=True) if fault.status == 0 else _error(fault.error())
    try:
        result = function(state, params, now)
    except ApiError as exc:
        return _error(exc)
    return Answer(200, {"ok": True, "result": result}, drop=fault is not None)
