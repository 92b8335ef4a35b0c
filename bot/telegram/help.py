"""The command table: one line per command; it feeds /help and Telegram's command menu."""

from __future__ import annotations

from typing import Final

from telegram import BotCommand

# Order is the order of /help and of Telegram's menu.
COMMANDS: Final[dict[str, str]] = {
    "start": "What this bot does",
    "subscribe": "Get a digest every day",
    "unsubscribe": "Stop the digests",
    "stop": "Same as /unsubscribe",
    "settings": "Digest time, time zone, frequency, feeds, previews, filters",
    "digest": "The latest news right now",
    "search": "Search the articles: /search WORDS",
    "filter": "Leave stories out of digests: /filter -WORD, or list the filters",
    "alert": "Get new stories as they come: /alert WORDS",
    "alerts": "Your alerts, with Stop buttons",
    "add": "Add a source: /add URL (a feed or a site); /add @channel URL for your channel",
    "sources": "Your sources: remove, mute, only in digest",
    "feeds": "Same as /sources",
    "export": "Your sources as an OPML file (send one to import)",
    "web": "Open the app: digests by day, search, sources, settings",
    "help": "This list",
    "addfeed": "Add a source: /addfeed URL",
    "removefeed": "Remove a source: /removefeed ID",
    "stats": "Subscribers, feeds, articles, deliveries",
    "linkchannel": "Send digests to a channel: /linkchannel @name",
    "unlinkchannel": "Stop a channel's digests: /unlinkchannel @name",
}

# Only the operator's admins (NEWSBOT_ADMIN_IDS) may run these.
ADMIN_COMMANDS: Final[frozenset[str]] = frozenset(
    {"addfeed", "removefeed", "stats", "linkchannel", "unlinkchannel"}
)

# What a group's members see in the menu: no /start deep links, no admin tools.
GROUP_COMMANDS: Final[tuple[str, ...]] = (
    "subscribe",
    "unsubscribe",
    "settings",
    "digest",
    "search",
    "filter",
    "alert",
    "alerts",
    "add",
    "sources",
    "feeds",
    "export",
    "web",
    "help",
)


def public_commands() -> list[str]:
    """Return the names of the commands everyone may use, in table order."""
    return [name for name in COMMANDS if name not in ADMIN_COMMANDS]


def bot_commands(names: list[str] | tuple[str, ...]) -> list[BotCommand]:
    """Return Telegram BotCommand objects for `names`, described from COMMANDS."""
    return [BotCommand(name, COMMANDS[name]) for name in names]
