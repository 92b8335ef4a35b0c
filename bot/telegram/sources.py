"""Everyone's sources: /add URL, a link pasted in private, /sources (/feeds) with its buttons.

No state is kept between a question and its answer: the "Add this feed?" and "which feed?"
messages carry their URLs in their own text, and a button names its line (src:pick:N) or the
feed id (src:rm:ID:PAGE), looked up in the database when pressed.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from telegram import (
    Chat,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram.admin import web_url
from bot.telegram.chats import refuse_non_manager
from bot.telegram.services import chat_and_message, get_fetcher, get_settings, get_store, now
from news import tghtml, words
from news.errors import BlockedURLError, FetchError, ParseError
from news.opml import OPMLError
from news.render import format_when
from news.sources import (
    MAX_OPML_BYTES,
    LimitError,
    SourceAdded,
    add_source,
    export_opml,
    import_opml,
)
from news.storage import sources as source_store
from news.storage.db import Store
from news.storage.subscriptions import get_subscription

log = logging.getLogger(__name__)

PREFIX = "src"
PER_PAGE = 5
MUTE_FOR = timedelta(days=7)
WEEK = timedelta(days=7)
# A message that is nothing but a link (scheme optional): "example.com/feed", "https://x.org".
BARE_LINK = re.compile(
    r"\s*((?:https?://\S+)|(?:[\w-]+\.)+[a-z]{2,}(?:[/:?#]\S*)?)\s*", re.IGNORECASE
)
_URL_LINE = re.compile(r"^https?://\S+$")
# Buttons of /sources; a channel's (managed from its owner's private chat) end in its id.
_ACTION = re.compile(rf"^{PREFIX}:(rm|mute|dig|page):(\d+)(?::(\d+))?(?::(-\d+))?$")
_CHANNEL_REF = re.compile(r"^(@\w{4,}|-100\d+)$")
_PICK = re.compile(rf"^{PREFIX}:(add|pick:(\d+))(?::(-\d+))?$")
_DROP = re.compile(rf"^{PREFIX}:drop:(\d+)$")


def _kb(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def _added_reply(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, url: str, *, of: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Return the answer to adding `url` to the chat: a confirmation, a choice, or why not."""
    try:
        added = await add_source(
            get_store(context),
            get_fetcher(context),
            chat_id,
            web_url(url),
            get_settings(context),
            now=now(context),
        )
    except LimitError as exc:
        return str(exc), None
    except BlockedURLError as exc:
        return words.feed_refused(words.reason(exc)), None
    except FetchError as exc:
        return words.feed_unreachable(words.reason(exc)), None
    except ParseError as exc:
        return words.not_a_feed(words.reason(exc)), None
    return _confirmation(chat_id, added, of)


def _confirmation(
    chat_id: int, added: SourceAdded, of: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    if added.feed is None:
        tail = f":{chat_id}" if of else ""  # a channel's choice stays the channel's
        lines = [words.several_feeds(len(added.choices))]
        lines += [words.found_line(n, f.title, f.url) for n, f in enumerate(added.choices, 1)]
        rows = [
            [(f"{n}. {(f.title or f.url)[:40]}", f"{PREFIX}:pick:{n}{tail}")]
            for n, f in enumerate(added.choices, 1)
        ]
        return "\n".join(lines), _kb(rows)
    feed = added.feed
    log.info("source added chat_id=%s feed_id=%s already=%s", chat_id, feed.id, added.already)
    text = words.source_added(feed.title or feed.url, added.newest, already=added.already, of=of)
    return text, None


async def channel_of(
    update: Update, context: ContextTypes.DEFAULT_TYPE, ref: str
) -> tuple[int | None, str]:
    """Return the channel `ref` names and its title when the user runs it (its creator or an
    admin), else None and why not."""
    user = update.effective_user
    chat_ref: str | int = int(ref) if ref.startswith("-") else ref
    try:
        channel = await context.bot.get_chat(chat_ref)
        if channel.type != Chat.CHANNEL:
            return None, words.not_a_channel(ref)
        member = await context.bot.get_chat_member(channel.id, user.id if user else 0)
    except (BadRequest, Forbidden) as exc:
        log.info("channel lookup failed ref=%s error=%s", ref, exc)
        return None, words.channel_unknown(ref)
    title = channel.title or ref
    if member.status not in (ChatMember.OWNER, ChatMember.ADMINISTRATOR):
        return None, words.not_your_channel(title)
    return channel.id, title


def _split_channel(args: list[str]) -> tuple[str | None, list[str]]:
    """Return the channel named among a command's arguments (@name or -100 id), and the rest."""
    refs = [a for a in args if _CHANNEL_REF.match(a)]
    if len(refs) != 1:
        return None, args
    return refs[0], [a for a in args if a != refs[0]]


async def add_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/add URL: make a feed (or the feed a site names) one of the chat's sources;
    /add @channel URL, in private: one of the sources of a channel the user runs."""
    chat, message = chat_and_message(update)
    if await refuse_non_manager(update, context):
        return
    ref, args = _split_channel(context.args or [])
    target, of = chat.id, None
    if ref is not None and chat.type == Chat.PRIVATE:
        found, why = await channel_of(update, context, ref)
        if found is None:
            await message.reply_text(why)
            return
        target, of = found, why
    if len(args) != 1:
        await message.reply_text(words.ADD_USAGE)
        return
    text, keyboard = await _added_reply(context, target, args[0], of=of)
    await message.reply_text(text, reply_markup=keyboard)


async def pasted_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A bare link in a private chat: "Add this feed?" with a button."""
    _chat, message = chat_and_message(update)
    match = BARE_LINK.fullmatch(message.text or "")
    if match is None:
        return
    url = web_url(match[1])
    text = f"{words.ADD_THIS}\n{words.esc(url)}"
    await message.reply_text(text, reply_markup=_kb([[(words.BUTTON_ADD, f"{PREFIX}:add")]]))


def _urls_in(message: Message | None) -> list[str]:
    text = message.text if message is not None and message.text else ""
    return [line.strip() for line in text.splitlines() if _URL_LINE.match(line.strip())]


async def pick_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """➕ Add under "Add this feed?", or one feed of a page that names several."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or await refuse_non_manager(update, context):
        return
    match = _PICK.fullmatch(query.data or "")
    message = query.message if isinstance(query.message, Message) else None
    urls = _urls_in(message)
    number = 1 if match is None or match[2] is None else int(match[2])
    if match is None or not 1 <= number <= len(urls) or message is None:
        await query.answer(words.STALE_BUTTON)
        return
    target, of = chat.id, None
    if match[3] is not None:
        found, why = await channel_of(update, context, match[3])
        if found is None:
            await query.answer(tghtml.visible_text(why), show_alert=True)
            return
        target, of = found, why
    await query.answer()
    text, keyboard = await _added_reply(context, target, urls[number - 1], of=of)
    await message.edit_text(text, reply_markup=keyboard)


def _short(title: str, chars: int = 80) -> str:
    """Return a feed title short enough for a list line (five a page fit one message)."""
    title = " ".join(title.split())
    return title if len(title) <= chars else title[: chars - 1] + "…"


def _failing(error_count: int, last_error: str | None) -> str | None:
    if not error_count:
        return None
    return _short(words.reason(Exception(last_error)), 160) if last_error else words.NEVER


async def sources_screen(
    store: Store,
    chat_id: int,
    page: int,
    at: datetime,
    tz: str,
    *,
    channel: tuple[int, str] | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Return one page of the chat's sources (or a `channel`'s: id, title), with Remove / Mute
    / Only in digest buttons."""
    if channel is not None:
        chat_id = channel[0]
    listed = await source_store.list_sources(store, chat_id, week_since=at - WEEK)
    if not listed:
        return words.NO_SOURCES, None
    pages = -(-len(listed) // PER_PAGE)
    page = min(max(page, 0), pages - 1)
    of = channel[1] if channel else None
    tail = f":{channel[0]}" if channel else ""
    lines = [words.sources_title(len(listed), page + 1, pages, of=of)]
    rows: list[list[tuple[str, str]]] = []
    for number, source in enumerate(listed[page * PER_PAGE : (page + 1) * PER_PAGE]):
        n = page * PER_PAGE + number + 1
        feed = source.feed
        last = None
        if feed.last_success_at is not None:
            last = format_when(feed.last_success_at, tz=tz, now=at)
        muted = source.muted_at(at) and source.muted_until
        lines.append(
            words.source_line(
                n,
                _short(feed.title or feed.url),
                feed.url,
                last_read=last,
                week_items=source.week_items,
                failing=_failing(feed.error_count, feed.last_error),
                muted_until=format_when(muted, tz=tz, now=at) if muted else None,
                digest_only=source.digest_only,
            )
        )
        mute = words.BUTTON_UNMUTE if muted else words.BUTTON_MUTE_WEEK
        only = words.BUTTON_ALERTS_TOO if source.digest_only else words.BUTTON_DIGEST_ONLY
        rows.append(
            [
                (f"{n}. {words.BUTTON_REMOVE}", f"{PREFIX}:rm:{feed.id}:{page}{tail}"),
                (f"{n}. {mute}", f"{PREFIX}:mute:{feed.id}:{page}{tail}"),
                (f"{n}. {only}", f"{PREFIX}:dig:{feed.id}:{page}{tail}"),
            ]
        )
    nav = []
    if page > 0:
        nav.append((words.BUTTON_PREVIOUS, f"{PREFIX}:page:{page - 1}{tail}"))
    if page < pages - 1:
        nav.append((words.BUTTON_NEXT, f"{PREFIX}:page:{page + 1}{tail}"))
    return "\n".join(lines), _kb([*rows, nav] if nav else rows)


async def _zone(store: Store, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> str:
    sub = await get_subscription(store, chat_id)
    return sub.timezone if sub else get_settings(context).timezone


async def sources_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sources and /feeds: the chat's own sources, paged, with buttons; /sources @channel,
    in private: those of a channel the user runs."""
    chat, message = chat_and_message(update)
    store, at = get_store(context), now(context)
    ref, _rest = _split_channel(context.args or [])
    channel = None
    if ref is not None and chat.type == Chat.PRIVATE:
        found, why = await channel_of(update, context, ref)
        if found is None:
            await message.reply_text(why)
            return
        channel = (found, why)
    tz = await _zone(store, context, channel[0] if channel else chat.id)
    text, keyboard = await sources_screen(store, chat.id, 0, at, tz, channel=channel)
    await message.reply_text(text, reply_markup=keyboard)


async def source_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove / Mute 7 days / Only in digest / paging under /sources."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    match = _ACTION.fullmatch(query.data or "")
    message = query.message if isinstance(query.message, Message) else None
    if match is None or message is None:
        await query.answer(words.STALE_BUTTON)
        return
    action, number = match[1], int(match[2])
    page = number if action == "page" else int(match[3] or 0)
    store, at = get_store(context), now(context)
    target, channel = chat.id, None
    if match[4] is not None:  # a channel's sources: its owner or admins only, asked each time
        found, why = await channel_of(update, context, match[4])
        if found is None:
            await query.answer(tghtml.visible_text(why), show_alert=True)
            return
        target, channel = found, (found, why)
    note = ""
    if action != "page":
        if await refuse_non_manager(update, context):
            return
        source = await source_store.get_source(store, target, number)
        if source is None:
            await query.answer(words.SOURCE_GONE)
            return
        title = source.feed.title or source.feed.url
        if action == "rm":
            async with store.begin() as conn:
                await source_store.remove(conn, target, [number])
            note = words.source_removed(title)
        elif action == "mute":
            until = None if source.muted_at(at) else at + MUTE_FOR
            await source_store.update_source(store, target, number, muted_until=until)
            note = words.source_muted(title) if until else ""
        else:
            await source_store.update_source(
                store, target, number, digest_only=not source.digest_only
            )
        log.info("source %s chat_id=%s feed_id=%s", action, target, number)
    tz = await _zone(store, context, target)
    text, keyboard = await sources_screen(store, chat.id, page, at, tz, channel=channel)
    await message.edit_text(text, reply_markup=keyboard)
    await query.answer(note or None)  # after the edit: the screen is current when it shows


async def document_sent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file sent to the bot: an OPML file's feeds become the chat's sources."""
    chat, message = chat_and_message(update)
    document = message.document
    if document is None:
        return
    name = (document.file_name or "").lower()
    if not name.endswith((".opml", ".xml")):
        if chat.type == Chat.PRIVATE:
            await message.reply_text(words.OPML_USAGE)
        return
    if await refuse_non_manager(update, context):
        return
    # Telegram says the size: a file too big is refused before a byte of it is downloaded.
    if document.file_size is None or document.file_size > MAX_OPML_BYTES:
        await message.reply_text(words.opml_too_big(MAX_OPML_BYTES // (1024 * 1024)))
        return
    try:
        file = await document.get_file()
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.info("opml download failed chat_id=%s error=%s", chat.id, exc)
        await message.reply_text(words.opml_unreadable(str(exc)))
        return
    if len(data) > MAX_OPML_BYTES:  # the size it said was not the size it had
        await message.reply_text(words.opml_too_big(MAX_OPML_BYTES // (1024 * 1024)))
        return
    try:
        done = await import_opml(
            get_store(context), chat.id, data, get_settings(context), now=now(context)
        )
    except OPMLError as exc:
        await message.reply_text(words.opml_unreadable(words.reason(exc)))
        return
    log.info(
        "opml imported chat_id=%s added=%s already=%s refused=%s",
        chat.id, done.added, done.already, len(done.refused),
    )  # fmt: skip
    await message.reply_text(words.imported(done.added, done.already, done.refused))


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export: the chat's sources as an .opml document."""
    chat, message = chat_and_message(update)
    text = await export_opml(get_store(context), chat.id)
    await message.reply_document(
        document=text.encode(), filename="newsbot-sources.opml", caption=words.EXPORT_CAPTION
    )


async def drop_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """🗑 Remove under a digest's line about a failing source: the chat stops reading it."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or await refuse_non_manager(update, context):
        return
    match = _DROP.fullmatch(query.data or "")
    store = get_store(context)
    source = await source_store.get_source(store, chat.id, int(match[1])) if match else None
    if source is None:
        await query.answer(words.SOURCE_GONE)
        return
    async with store.begin() as conn:
        await source_store.remove(conn, chat.id, [source.feed.id])
    log.info("source dropped from digest chat_id=%s feed_id=%s", chat.id, source.feed.id)
    await query.answer(words.source_removed(source.feed.title or source.feed.url))


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return /add, /sources (/feeds), /export, OPML files, and their buttons."""
    return [
        CallbackQueryHandler(drop_button, pattern=_DROP),
        CommandHandler("export", export_command),
        MessageHandler(
            filters.Document.ALL & filters.UpdateType.MESSAGE, document_sent, block=False
        ),
        # Reading a feed can take the fetch timeouts; other updates must not wait behind it.
        CommandHandler("add", add_command, block=False),
        CommandHandler(["sources", "feeds"], sources_command),
        CallbackQueryHandler(pick_button, pattern=_PICK, block=False),
        CallbackQueryHandler(source_button, pattern=_ACTION),
    ]


def link_handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return the handler of a bare link pasted in a private chat (before the fallbacks)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT
    return [MessageHandler(private & ~filters.COMMAND & filters.Regex(BARE_LINK), pasted_link)]
