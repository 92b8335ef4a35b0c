"""What the people on the other side do: write, press buttons, block the bot, promote it."""

from __future__ import annotations

from collections.abc import Iterable

from harness.botapi.methods import admin_member
from harness.botapi.state import JSON, ChatMessage, Fault, Limits, State

BLOCKED = "Forbidden: bot was blocked by the user"
DEACTIVATED = "Forbidden: user is deactivated"
KICKED = {
    "group": "Forbidden: bot was kicked from the group chat",
    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
    "channel": "Forbidden: bot is not a member of the channel chat",
}


class UserActions:
    """Mixin of FakeBotAPI: each action changes the world and queues the update Telegram sends."""

    state: State

    def private_chat(
        self, user_id: int, first_name: str = "Ann", username: str | None = None
    ) -> JSON:
        """Return the private chat with user `user_id`, created if new."""
        with self.state.cond:
            user = self.state.ensure_user(user_id, first_name, username)
            if user_id in self.state.chats:
                return self.state.chats[user_id]
            chat: JSON = {"id": user_id, "type": "private", "first_name": user["first_name"]}
            if username:
                chat["username"] = username
            return self.state.add_chat(chat)

    def group(
        self,
        chat_id: int,
        title: str = "Group",
        *,
        owner: int | None = None,
        admins: Iterable[int] = (),
        forum: bool = False,
    ) -> JSON:
        """Return a group (-100... ids are supergroups; `forum`: one with topics) with its
        owner and admins."""
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        with self.state.cond:
            data: JSON = {"id": chat_id, "type": kind, "title": title}
            if forum:
                data["is_forum"] = True
            chat = self.state.add_chat(data)
            self.set_admins(chat_id, list(admins), owner=owner)
            return chat

    def channel(self, chat_id: int, title: str = "Channel", username: str | None = None) -> JSON:
        """Return a channel (the bot is not in it until add_to_channel)."""
        chat: JSON = {"id": chat_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        return self.state.add_chat(chat)

    def set_admins(self, chat_id: int, user_ids: list[int], owner: int | None = None) -> None:
        """Set who owns and administers a group or channel (for getChatMember)."""
        with self.state.cond:
            for user_id in [*user_ids, *([owner] if owner is not None else [])]:
                self.state.ensure_user(user_id, f"User {user_id}")
            self.state.admins[chat_id] = (owner, list(user_ids))

    def send(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> ChatMessage:
        """A user writes `text` in a chat (a channel post in channels); return the message.

        `reply_to` is the id of the message replied to (as when answering a ForceReply);
        `thread_id` the forum topic it is written in.
        """
        state = self.state
        with state.cond:
            chat = state.chat(chat_id, create=True)
            if chat["type"] == "private":
                user_id = chat_id
            elif chat["type"] != "channel" and user_id is None:
                owner, admins = state.admins.get(chat_id, (None, []))
                user_id = owner or (admins[0] if admins else 1000)
            if user_id is not None:
                state.ensure_user(user_id, f"User {user_id}")
            entities: list[JSON] = []
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                entities.append({"type": "bot_command", "offset": 0, "length": len(command)})
            extra: JSON = {}
            if thread_id is not None:
                extra.update(message_thread_id=thread_id, is_topic_message=True)
            if reply_to is not None:
                replied = state.find_message(chat_id, reply_to)
                if replied is None:
                    raise LookupError(f"no message {reply_to} in chat {chat_id} to reply to")
                nested = state.message_json(replied)
                nested.pop("reply_to_message", None)  # Telegram nests one level only
                extra["reply_to_message"] = nested
            message = state.new_message(
                chat_id, text, from_bot=False, entities=entities, user_id=user_id, extra=extra
            )
            kind = "channel_post" if chat["type"] == "channel" else "message"
            state.push_update(kind, state.message_json(message))
            return message

    def send_document(
        self,
        chat_id: int,
        name: str,
        data: bytes,
        *,
        mime_type: str = "application/octet-stream",
        size: int | None = None,
        caption: str = "",
    ) -> ChatMessage:
        """A user sends a file; `size` announces a larger one than `data` (a 30 MB upload)."""
        state = self.state
        with state.cond:
            chat = state.chat(chat_id, create=True)
            user_id = chat_id if chat["type"] == "private" else 1000
            state.ensure_user(user_id, f"User {user_id}")
            file_id = f"doc{next(state.file_ids)}"
            state.files[file_id] = (name, mime_type, data)
            announced = len(data) if size is None else size
            if size is not None:
                state.file_sizes[file_id] = size
            document = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_name": name,
                "mime_type": mime_type,
                "file_size": announced,
            }
            extra: JSON = {"document": document}
            if caption:
                extra["caption"] = caption
            message = state.new_message(chat_id, "", from_bot=False, user_id=user_id, extra=extra)
            state.push_update("message", state.message_json(message))
            return message

    def document(self, chat_id: int) -> tuple[str, bytes] | None:
        """Return the file name and bytes of the bot's last document in the chat, or None."""
        state = self.state
        with state.cond:
            for message in reversed(state.log.get(chat_id, [])):
                found = message.extra.get("document") if message.from_bot else None
                if isinstance(found, dict):
                    name, _mime, data = state.files[str(found["file_id"])]
                    return name, data
        return None

    def press(
        self,
        chat_id: int,
        label: str | None = None,
        *,
        message_id: int | None = None,
        data: str | None = None,
        user_id: int | None = None,
    ) -> str:
        """A user presses a button (by label, or any `data`, even forged); return the query id."""
        state = self.state
        with state.cond:
            messages = [m for m in state.log.get(chat_id, []) if m.from_bot and not m.deleted]
            if message_id is not None:
                messages = [m for m in messages if m.message_id == message_id]
            if label is not None:
                messages = [m for m in messages if any(label in t for t in m.labels())]
            if not messages:
                raise LookupError(f"no bot message with button {label!r} in chat {chat_id}")
            message = messages[-1]
            if data is None:
                data = message.callback_data(label or "")
            user = state.ensure_user(user_id if user_id is not None else max(chat_id, 1000))
            query_id = str(next(state.callback_ids))
            query: JSON = {
                "id": query_id,
                "from": user,
                "message": state.message_json(message),
                "chat_instance": str(abs(chat_id)),
                "data": data,
            }
            state.callbacks[query_id] = query
            state.push_update("callback_query", query)
            return query_id

    def inline(self, user_id: int, query: str) -> str:
        """A user types `@bot query` in any chat; return the inline query's id."""
        state = self.state
        with state.cond:
            user = state.ensure_user(user_id)
            query_id = str(next(state.callback_ids))
            inline: JSON = {"id": query_id, "from": user, "query": query, "offset": ""}
            state.inline_queries[query_id] = inline
            state.push_update("inline_query", inline)
            return query_id

    def choose(self, user_id: int, result_id: str, query: str) -> None:
        """The user picks an inline result (Telegram tells the bot: chosen_inline_result)."""
        state = self.state
        with state.cond:
            chosen: JSON = {
                "result_id": result_id,
                "from": state.ensure_user(user_id),
                "query": query,
            }
            state.push_update("chosen_inline_result", chosen)

    def _member_update(self, chat_id: int, old: JSON, new: JSON, by: int | None) -> None:
        state = self.state
        user = state.ensure_user(by if by is not None else max(chat_id, 1000))
        update: JSON = {
            "chat": state.chat(chat_id, create=True),
            "from": user,
            "date": int(state.clock()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        state.push_update("my_chat_member", update)

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: 403 from now on, and a my_chat_member update."""
        with self.state.cond:
            self.state.chat(chat_id, create=True)
            self.state.forbidden[chat_id] = BLOCKED
            bot = self.state.bot_user
            member: JSON = {"status": "member", "user": bot}
            kicked: JSON = {"status": "kicked", "user": bot, "until_date": 0}
            self._member_update(chat_id, member, kicked, chat_id)

    def unblock(self, chat_id: int) -> None:
        """The user restarts the bot: sending works again."""
        with self.state.cond:
            self.state.forbidden.pop(chat_id, None)
            bot = self.state.bot_user
            kicked: JSON = {"status": "kicked", "user": bot, "until_date": 0}
            self._member_update(chat_id, kicked, {"status": "member", "user": bot}, chat_id)

    def deactivate(self, chat_id: int) -> None:
        """The user deletes their account: 403 "user is deactivated", no update."""
        with self.state.cond:
            self.state.forbidden[chat_id] = DEACTIVATED

    def kick(self, chat_id: int, *, by: int | None = None) -> None:
        """An admin removes the bot from a group or channel."""
        with self.state.cond:
            chat = self.state.chat(chat_id, create=True)
            self.state.forbidden[chat_id] = KICKED[str(chat["type"])]
            self.state.bot_admin_in.discard(chat_id)
            bot = self.state.bot_user
            old: JSON = {"status": "member", "user": bot}
            self._member_update(chat_id, old, {"status": "left", "user": bot}, by)

    def add_to_channel(self, chat_id: int, *, by: int) -> None:
        """A user makes the bot an administrator of a channel (or group)."""
        with self.state.cond:
            chat = self.state.chat(chat_id, create=True)
            self.state.forbidden.pop(chat_id, None)
            self.state.bot_admin_in.add(chat_id)
            owner, admins = self.state.admins.get(chat_id, (None, []))
            if owner is None and by not in admins:
                self.state.admins[chat_id] = (by, admins)
            bot = self.state.bot_user
            new = admin_member(bot, channel=chat["type"] == "channel")
            self._member_update(chat_id, {"status": "left", "user": bot}, new, by)

    def migrate(self, chat_id: int, new_chat_id: int | None = None) -> int:
        """The group becomes a supergroup; return its new id. The old id then answers 400."""
        state = self.state
        with state.cond:
            chat = state.chat(chat_id, create=True)
            new_id = new_chat_id or int(f"-100{abs(chat_id)}")
            state.add_chat({"id": new_id, "type": "supergroup", "title": chat.get("title")})
            state.admins[new_id] = state.admins.get(chat_id, (None, []))
            owner = state.admins[new_id][0] or 1000
            old = state.new_message(
                chat_id, "", from_bot=False, user_id=owner, extra={"migrate_to_chat_id": new_id}
            )
            state.push_update("message", state.message_json(old))
            new = state.new_message(
                new_id, "", from_bot=False, user_id=owner, extra={"migrate_from_chat_id": chat_id}
            )
            state.push_update("message", state.message_json(new))
            state.migrated[chat_id] = new_id
            return new_id

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 429,
        retry_after: int = 1,
        description: str | None = None,
        method: str | None = "sendMessage",
        chat_id: int | None = None,
        deliver: bool = False,
    ) -> None:
        """Make the next `count` matching calls fail: 429, 5xx, or 0 (connection dropped).

        With status 0 and deliver=True Telegram takes the message but the answer is lost,
        which is how a message ends up sent twice.
        """
        fault = Fault(count, status, retry_after, description, method, chat_id, deliver)
        with self.state.cond:
            self.state.faults.append(fault)

    def set_limits(self, **values: float | bool) -> None:
        """Change the rate caps (global_rate, private_rate, private_burst, group_per_minute)."""
        with self.state.cond:
            current = vars(self.state.limits) | values
            self.state.limits = Limits(**current)
            self.state.buckets.clear()
