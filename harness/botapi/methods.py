"""The Bot API methods the fake implements, each a function of (state, params, now) -> result.

Every function runs with the state's lock held, on parameters dispatch.normalize decoded.
"""

from __future__ import annotations

import json
import time

from harness.botapi.html import EntityParseError, parse_html, utf16_len
from harness.botapi.state import JSON, ApiError, ChatMessage, State, bad_request

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64


def _chat_id(params: JSON) -> int | str:
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    if isinstance(value, int | str):
        return value
    raise bad_request("chat not found")


def _int(params: JSON, name: str) -> int:
    value = params.get(name)
    if not isinstance(value, int):
        raise bad_request(f"{name} is empty" if value is None else f"invalid {name} specified")
    return value


def _target(state: State, params: JSON, *, create: bool = False) -> JSON:
    chat = state.chat(_chat_id(params), create=create)
    state.check_reachable(int(str(chat["id"])))
    return chat


def _text(params: JSON) -> tuple[str, list[JSON], str | None]:
    raw = params.get("text")
    source = raw if isinstance(raw, str) else ""
    mode = str(params.get("parse_mode") or "").lower()
    if mode == "html":
        try:
            text, entities = parse_html(source)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
    elif mode:
        raise bad_request(f"unsupported parse_mode {params.get('parse_mode')!s} in this fake")
    else:
        text = source.strip()
        given = params.get("entities")
        entities = [e for e in given if isinstance(e, dict)] if isinstance(given, list) else []
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities, source if mode == "html" else None


def _markup(params: JSON) -> JSON | None:
    markup = params.get("reply_markup")
    if not isinstance(markup, dict):
        return None
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if not str(button.get("text") or "").strip():
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
    return markup


def send_message(state: State, params: JSON, now: float) -> JSON:
    """sendMessage: validate like Telegram, count against the limits, log, return a Message."""
    chat = _target(state, params, create=True)
    text, entities, html = _text(params)
    markup = _markup(params)
    state.check_rate(chat, now)
    options = params.get("link_preview_options")
    message = state.new_message(
        int(str(chat["id"])),
        text,
        from_bot=True,
        entities=entities,
        html=html,
        reply_markup=markup,
        link_preview_options=options if isinstance(options, dict) else None,
        extra=_topic(state, chat, params),
    )
    return state.message_json(message)


def _topic(state: State, chat: JSON, params: JSON) -> JSON:
    """Return the topic fields of a message sent with message_thread_id (forums only)."""
    thread = params.get("message_thread_id")
    if thread is None:
        return {}
    if not chat.get("is_forum"):
        raise bad_request("message thread not found")
    return {"message_thread_id": int(str(thread)), "is_topic_message": True}


# getFile serves files up to this size (the Bot API's documented limit for downloads).
MAX_DOWNLOAD = 20 * 1024 * 1024


def document_json(file_id: str, name: str, mime_type: str, size: int) -> JSON:
    """Return a Document object."""
    return {
        "file_id": file_id,
        "file_unique_id": f"u{file_id}",
        "file_name": name,
        "mime_type": mime_type,
        "file_size": size,
    }


def send_document(state: State, params: JSON, now: float) -> JSON:
    """sendDocument: an uploaded file (multipart) with an optional caption."""
    chat = _target(state, params, create=True)
    data = params.get("document")
    if not isinstance(data, bytes | str) or not data:
        raise bad_request("there is no document in the request")
    body = data.encode() if isinstance(data, str) else data
    name = str(params.get("document.filename") or "document")
    mime = str(params.get("document.mime_type") or "application/octet-stream")
    file_id = f"doc{next(state.file_ids)}"
    state.files[file_id] = (name, mime, body)
    caption = {"text": params.get("caption") or "", "parse_mode": params.get("parse_mode")}
    text, entities, html = _text(caption) if caption["text"] else ("", [], None)
    state.check_rate(chat, now)
    message = state.new_message(
        int(str(chat["id"])),
        text,
        from_bot=True,
        entities=entities,
        html=html,
        reply_markup=_markup(params),
        extra={"document": document_json(file_id, name, mime, len(body))},
    )
    return state.message_json(message)


def get_file(state: State, params: JSON, now: float) -> JSON:
    """getFile: where to download a file; refused over 20 MB, as Telegram does."""
    file_id = str(params.get("file_id") or "")
    found = state.files.get(file_id)
    if found is None:
        raise bad_request("invalid file_id")
    announced = state.file_sizes.get(file_id, len(found[2]))
    if announced > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {
        "file_id": file_id,
        "file_unique_id": f"u{file_id}",
        "file_size": announced,
        "file_path": f"documents/{file_id}",
    }


def _own_message(state: State, params: JSON, verb: str) -> ChatMessage:
    if params.get("inline_message_id"):
        raise bad_request("inline messages are not supported by this fake")
    chat = _target(state, params)
    message = state.find_message(int(str(chat["id"])), _int(params, "message_id"))
    if message is None:
        raise bad_request(f"message to {verb} not found")
    if not message.from_bot:
        raise bad_request(f"message can't be {verb}ed")
    return message


def edit_message_text(state: State, params: JSON, now: float) -> JSON:
    """editMessageText: replace the text (and markup) of one of the bot's messages."""
    message = _own_message(state, params, "edit")
    text, entities, html = _text(params)
    markup = _markup(params)
    if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    message.text, message.entities, message.html = text, entities, html
    message.reply_markup = markup
    message.edit_date = int(state.clock())
    return state.message_json(message)


def edit_message_reply_markup(state: State, params: JSON, now: float) -> JSON:
    """editMessageReplyMarkup: replace (or remove) the inline keyboard of a bot message."""
    message = _own_message(state, params, "edit")
    markup = _markup(params)
    if markup == message.reply_markup:
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    message.reply_markup = markup
    message.edit_date = int(state.clock())
    return state.message_json(message)


def delete_message(state: State, params: JSON, now: float) -> bool:
    """deleteMessage: hide a message from the chat's log."""
    chat = _target(state, params)
    message = state.find_message(int(str(chat["id"])), _int(params, "message_id"))
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    return True


def answer_callback_query(state: State, params: JSON, now: float) -> bool:
    """answerCallbackQuery: record the answer; a query can be answered once."""
    query_id = str(params.get("callback_query_id") or "")
    if state.callbacks.pop(query_id, None) is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    state.answers[query_id] = dict(params)
    return True


def answer_inline_query(state: State, params: JSON, now: float) -> bool:
    """answerInlineQuery: record the results; a query can be answered once."""
    query_id = str(params.get("inline_query_id") or "")
    if state.inline_queries.pop(query_id, None) is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if not isinstance(params.get("results"), list):
        raise bad_request("results must be an array")
    state.answers[query_id] = dict(params)
    return True


def get_updates(state: State, params: JSON, now: float) -> list[JSON]:
    """getUpdates: confirm by offset, then long-poll up to `timeout` seconds for updates."""
    if state.webhook.get("url"):
        raise ApiError(
            409, "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )  # fmt: skip
    offset = params.get("offset")
    if isinstance(offset, int) and offset != 0:
        state.confirm(offset)
    allowed = params.get("allowed_updates")
    if isinstance(allowed, list):
        state.allowed_updates = [str(kind) for kind in allowed]
    limit = params.get("limit")
    limit = max(1, min(100, limit)) if isinstance(limit, int) else 100
    timeout = params.get("timeout")
    deadline = now + (float(timeout) if isinstance(timeout, int | float) else 0.0)
    state.poll_generation += 1
    generation = state.poll_generation
    state.cond.notify_all()  # an older long poll now ends with 409
    while True:
        found = state.deliverable(limit)
        if found or state.closed:
            return found
        if state.poll_generation != generation:
            raise ApiError(
                409, "Conflict: terminated by other getUpdates request; make sure that only "
                "one bot instance is running"
            )  # fmt: skip
        left = deadline - time.monotonic()
        if left <= 0:
            return []
        state.cond.wait(min(left, 0.5))


def set_webhook(state: State, params: JSON, now: float) -> bool:
    """setWebhook: remember the URL; updates are then POSTed there (see server.py)."""
    state.webhook = {k: v for k, v in params.items() if k in {"url", "secret_token"}}
    if params.get("drop_pending_updates"):
        state.updates.clear()
    state.cond.notify_all()
    return True


def delete_webhook(state: State, params: JSON, now: float) -> bool:
    """deleteWebhook: back to getUpdates; optionally drop the queue."""
    state.webhook = {}
    if params.get("drop_pending_updates"):
        state.updates.clear()
    return True


def get_webhook_info(state: State, params: JSON, now: float) -> JSON:
    """getWebhookInfo: the URL (empty in getUpdates mode) and the queue length."""
    url = str(state.webhook.get("url") or "")
    return {
        "url": url,
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }


def _scope_key(params: JSON) -> str:
    scope = params.get("scope")
    if scope is None or scope == {"type": "default"}:
        scope = "default"
    return f"{json.dumps(scope, sort_keys=True)}|{params.get('language_code') or ''}"


def set_my_commands(state: State, params: JSON, now: float) -> bool:
    """setMyCommands: store the command list for its scope and language."""
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be a list of at most 100 BotCommand")
    for command in commands:
        name = str(command.get("command", ""))
        if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    state.commands[_scope_key(params)] = list(commands)
    return True


def get_my_commands(state: State, params: JSON, now: float) -> list[JSON]:
    """getMyCommands: the list stored for the scope and language."""
    return state.commands.get(_scope_key(params), [])


def delete_my_commands(state: State, params: JSON, now: float) -> bool:
    """deleteMyCommands: forget the list of the scope and language."""
    state.commands.pop(_scope_key(params), None)
    return True


def get_me(state: State, params: JSON, now: float) -> JSON:
    """getMe: the bot's User."""
    return state.bot_user


def get_chat(state: State, params: JSON, now: float) -> JSON:
    """getChat: a ChatFullInfo with the fields Telegram always sends."""
    chat = _target(state, params, create=True)
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription"), False
    )
    gifts["gifts_from_channels"] = False
    return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


def _member(state: State, chat: JSON, user_id: int) -> JSON:
    chat_id = int(str(chat["id"]))
    owner, admins = state.admins.get(chat_id, (None, []))
    bot_id = state.bot_user["id"]
    user = state.bot_user if user_id == bot_id else state.ensure_user(user_id)
    if user_id == owner:
        return {"status": "creator", "user": user, "is_anonymous": False}
    if (chat_id, user_id) in state.left:
        return {"status": "left", "user": user}
    if user_id in admins or (user_id == bot_id and chat_id in state.bot_admin_in):
        return admin_member(user, channel=chat["type"] == "channel")
    if chat["type"] == "private" and user_id not in (chat_id, bot_id):
        raise bad_request("member not found")
    return {"status": "member", "user": user}


def admin_member(user: JSON, *, channel: bool = False) -> JSON:
    """Return a ChatMemberAdministrator with every required right spelled out."""
    rights = (
        "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
        "can_restrict_members", "can_change_info", "can_invite_users", "can_post_stories",
        "can_edit_stories", "can_delete_stories",
    )  # fmt: skip
    member: JSON = {"status": "administrator", "user": user, "can_be_edited": False}
    member.update({"is_anonymous": False, "can_promote_members": False})
    member.update(dict.fromkeys(rights, True))
    if channel:
        member.update({"can_post_messages": True, "can_edit_messages": True})
    return member


def get_chat_member(state: State, params: JSON, now: float) -> JSON:
    """getChatMember: creator, administrator or member, from what the test set."""
    chat = _target(state, params, create=True)
    return _member(state, chat, _int(params, "user_id"))


def get_chat_administrators(state: State, params: JSON, now: float) -> list[JSON]:
    """getChatAdministrators: the owner and admins the test set (never bots but ours)."""
    chat = _target(state, params, create=True)
    if chat["type"] == "private":
        raise bad_request("there are no administrators in the private chat")
    owner, admins = state.admins.get(int(str(chat["id"])), (None, []))
    ids = ([owner] if owner is not None else []) + admins
    if int(str(chat["id"])) in state.bot_admin_in:
        ids.append(int(str(state.bot_user["id"])))
    return [_member(state, chat, user_id) for user_id in ids]


def send_chat_action(state: State, params: JSON, now: float) -> bool:
    """sendChatAction: accepted and forgotten."""
    _target(state, params, create=True)
    return True


def simple_true(state: State, params: JSON, now: float) -> bool:
    """Methods the fake accepts without effect (close, logOut, setMyDescription, ...)."""
    return True
