"""Every text a user sees, in Telegram HTML; every outside string goes through esc()."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from news import tghtml


def esc(value: object) -> str:
    """Return `value` as text safe inside Telegram HTML."""
    return tghtml.escape(str(value))


# --- /start, /help and fallbacks ----------------------------------------------------------
WELCOME = (
    "👋 <b>Hi! I'm your news digest.</b>\n"
    "I read news feeds, summarize each article in a few sentences and send you a short digest "
    "at the time you choose. You can also search everything I've read.\n\n"
    "Tap <b>Subscribe</b> to get a digest every day, or see the latest news now."
)
WELCOME_GROUP = (
    "👋 <b>Hi! I'm a news digest bot.</b>\n"
    "An admin of this group can /subscribe it to a daily digest. Everyone can use /digest, "
    "/search and /help."
)
BUTTON_SUBSCRIBE = "✅ Subscribe"
BUTTON_LATEST = "📰 Latest digest"
HELP_TITLE = "<b>What I can do</b>"
HELP_ADMIN_TITLE = "<b>For admins</b>"
HELP_FOOTER = "In groups, add my name to commands: /digest@{bot}."
UNKNOWN_COMMAND = "I don't know that command. /help lists what I can do."
PLAIN_TEXT = "I only understand commands. /help lists them."
STALE_BUTTON = "This button has expired. Please send the command again."
SOMETHING_WRONG = "😕 Something went wrong on our side. Please try again in a moment."
SLOW_DOWN = "⏳ Slow down a little: you can search {n} times a minute. Try again shortly."
NOT_ALLOWED = "Sorry, only the bot's admins can do that."
GROUP_ADMINS_ONLY = "Sorry, only this group's admins can change its subscription."
MIGRATED = "This group is a supergroup now and keeps its subscription. Please send that again."


def help_line(name: str, description: str) -> str:
    """Return one line of /help."""
    return f"/{name} — {esc(description)}"


# --- subscriptions --------------------------------------------------------------------------
def subscribed(when: str) -> str:
    """Return the confirmation of a new subscription; `when` says when the next digest comes."""
    return f"✅ Subscribed. Your next digest arrives {when}. Change it with /settings."


def already_subscribed(when: str) -> str:
    """Return the answer to /subscribe when the chat is already subscribed."""
    return f"You're already subscribed. Next digest {when}. /settings changes it."


PAUSED = "never — digests are off (turn them on in /settings)"
UNSUBSCRIBED = "👋 Unsubscribed: no more digests. /subscribe brings them back."
NOT_SUBSCRIBED = "You're not subscribed. /subscribe starts the digests."
NOT_SUBSCRIBED_SETTINGS = "Subscribe first, then choose your settings here."

# --- /digest --------------------------------------------------------------------------------
NO_ARTICLES_YET = "No articles yet. I read the feeds every few minutes; try again soon."


def nothing_new(newest: str) -> str:
    """Return the answer to /digest when nothing arrived; `newest` is the newest article's time."""
    return f"Nothing new since {newest}."


def digest_header(since: str) -> str:
    """Return the first line of an on-demand digest."""
    return f"📰 <b>Your news since {since}</b>"


# --- digests and article cards (news/render.py) ---------------------------------------------
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UNTITLED = "(untitled)"
UNKNOWN_SOURCE = "Unknown source"
READ_MORE = "Read more"


def day_month(day: int, month: int) -> str:
    """Return a date without its year, e.g. "25 Nov"."""
    return f"{day} {MONTHS[month - 1]}"


def yesterday_at(clock: str) -> str:
    """Return a time of yesterday, e.g. "yesterday 08:00"."""
    return f"yesterday {clock}"


def stories(count: int) -> str:
    """Return a story count, e.g. "1 story", "12 stories"."""
    return f"{count} story" if count == 1 else f"{count} stories"


def scheduled_header(total: int, since: str, shown: int | None) -> str:
    """Return the first line of a scheduled digest; `shown` is set when the cap cut stories."""
    header = f"<b>📰 Your digest</b> · {stories(total)} since {esc(since)}"
    return header + (f" · top {shown}" if shown is not None else "")


def older_items(count: int, source: str) -> str:
    """Return the line that counts a source's old items left out of a digest (HTML)."""
    return _older_items(count, esc(source), "/search")


def older_items_text(count: int, source: str) -> str:
    """Return the same line for a terminal (plain text)."""
    return _older_items(count, source, "newsbot search")


def _older_items(count: int, source: str, search: str) -> str:
    noun, verb = ("item", "is") if count == 1 else ("items", "are")
    return f"and {count:,} older {noun} from {source} {verb} in {search}"


def text_header(total: int, since: str, tz: str, shown: int | None) -> str:
    """Return the first line of a plain-text digest (for a terminal, not HTML)."""
    header = f"Your digest: {stories(total)} since {since} ({tz})"
    return header + (f" (top {shown})" if shown is not None else "")


# --- /search --------------------------------------------------------------------------------
SEARCH_USAGE = (
    "🔎 <b>Search the articles</b>\n"
    "Send /search followed by words, e.g. <code>/search climate summit</code>.\n"
    'Use quotes for a phrase: <code>/search "open source"</code>.'
)
SEARCH_EXPIRED = "This search has expired. Please search again."
NO_MORE_RESULTS = "No more results."
ARTICLE_GONE = "That article is no longer available."
BUTTON_PREVIOUS = "◀️ Previous"
BUTTON_NEXT = "Next ▶️"
# Why a query finds nothing to search for (also the command line's answer, so plain text).
EMPTY_QUERY = "Type a few words to search for, like: climate summit"
ONLY_EXCLUDED = "Add a word to search for, not only words to leave out, like: climate -sports"


def nothing_found(query: str) -> str:
    """Return the answer to a search without results; `query` is escaped HTML."""
    return f"🔎 Nothing found for “{query}”. Try fewer or other words."


def no_more_results_for(query: str) -> str:
    """Return the answer to a page past the last result; `query` is escaped HTML."""
    return f"🔎 No more results for “{query}”."


def results_header(query: str, page: int | None) -> str:
    """Return the first line of a results page; `query` is escaped HTML, `page` None: one page."""
    header = f"🔎 <b>Results for “{query}”</b>"
    return header + (f" · page {page}" if page is not None else "")


def bad_query(reason: str) -> str:
    """Return the answer to a query with nothing searchable in it (the reason says what to do)."""
    return f"🔎 {esc(reason)}"


# --- /sources -----------------------------------------------------------------------------
NEVER = "not read yet"


# --- /settings ------------------------------------------------------------------------------
FREQUENCY_NAMES: Mapping[str, str] = {
    "daily": "once a day",
    "twice": "twice a day",
    "hourly": "every hour",
    "off": "off",
}
SETTINGS_TITLE = "⚙️ <b>Settings</b>"
SETTINGS_PICK_TIME = (
    "Tap an hour to set your digest time. For minutes, send e.g. "
    "<code>/settings time 07:30</code> (two times for twice a day: "
    "<code>/settings time 07:30,19:00</code>)."
)
SETTINGS_PICK_ZONE = (
    "Pick your time zone, or send its name, e.g. <code>/settings tz Europe/Berlin</code>."
)
SETTINGS_PICK_FREQUENCY = "How often should the digest come?"
SETTINGS_PICK_COUNT = "How many articles at most per digest?"
SETTINGS_PICK_FEEDS = "Tap a source to include or leave it out. ✅ = included."
SETTINGS_USAGE = (
    "Usage: <code>/settings time 07:30</code>, <code>/settings tz Europe/Berlin</code>, "
    "<code>/settings articles 5</code>, or /settings alone for the buttons."
)
ZONE_PROMPT = "Send me your time zone, e.g. Europe/Berlin or America/New_York."
NEED_ONE_FEED = "Keep at least one source."
ARTICLES_NOT_A_NUMBER = "The number of articles must be a number, like 10."
BUTTON_BACK = "◀️ Back"
BUTTON_DONE = "✔️ Done"
BUTTON_TYPE_ZONE = "⌨️ Type another"
BUTTON_ALL_FEEDS = "All sources"
SETTINGS_CLOSED = "⚙️ Settings saved."
BUTTON_TIME = "🕗 Time"
BUTTON_ZONE = "🌍 Time zone"
BUTTON_FREQUENCY = "🔁 Frequency"
BUTTON_ARTICLES = "🔢 Articles"
BUTTON_SOURCES = "📚 Sources"
ZONE_EXAMPLE = "Europe/Berlin"
AND = " and "


def button_previews(on: bool) -> str:
    """Return the label of the link preview toggle."""
    return f"🔗 Previews: {'on' if on else 'off'}"


def every_hour_at(minute: int) -> str:
    """Return the time label of hourly digests."""
    return f"every hour at :{minute:02d}"


def some_of(count: int, total: int) -> str:
    """Return how many of the sources are included."""
    return f"{count} of {total}"


def settings_summary(
    *, times: str, zone: str, frequency: str, articles: int, feeds: str, previews: bool
) -> str:
    """Return the body of the /settings message."""
    return (
        f"{SETTINGS_TITLE}\n"
        f"🕗 Time: <b>{esc(times)}</b>\n"
        f"🌍 Time zone: <b>{esc(zone)}</b>\n"
        f"🔁 Frequency: <b>{esc(FREQUENCY_NAMES.get(frequency, frequency))}</b>\n"
        f"🔢 Articles: <b>{articles}</b>\n"
        f"📚 Sources: <b>{esc(feeds)}</b>\n"
        f"🔗 Link previews: <b>{'on' if previews else 'off'}</b>"
    )


def setting_changed(what: str) -> str:
    """Return the confirmation shown after a change."""
    return f"✅ {esc(what)}"


def time_set(times: str) -> str:
    """Return the confirmation of new digest times."""
    return f"Digest time set to {times}."


def zone_set(zone: str) -> str:
    """Return the confirmation of a new time zone."""
    return f"Time zone set to {zone}."


def frequency_set(frequency: str) -> str:
    """Return the confirmation of a new frequency."""
    return f"Digests {FREQUENCY_NAMES.get(frequency, frequency)}."


def articles_set(count: int) -> str:
    """Return the confirmation of a new article count."""
    return f"Up to {count} articles per digest."


def previews_set(on: bool) -> str:
    """Return the confirmation of the link preview toggle."""
    return f"Link previews {'on' if on else 'off'}."


def feeds_set(count: int | None) -> str:
    """Return the confirmation of a change to the included sources."""
    return "All sources included." if count is None else f"{count} sources included."


ALL = "all"


# Why a setting was refused: plain text, which invalid_setting escapes and the bot capitalizes.
NO_DIGEST_TIME = "choose at least one digest time"
NO_FEED_CHOSEN = "choose at least one feed, or all feeds"
SUBSCRIBE_FIRST = "this chat is not subscribed yet: send /subscribe first"


def not_a_time(value: str) -> str:
    """Return why `value` is refused as a digest time."""
    return f"{value!r} is not a time of day like 08:00"


def not_a_zone(name: str) -> str:
    """Return why `name` is refused as a time zone."""
    return f"{name!r} is not a time zone like Europe/Berlin"


def too_many_times(most: int) -> str:
    """Return why more than `most` digest times are refused."""
    return f"choose at most {most} digest times"


def articles_out_of_range(most: int) -> str:
    """Return why an article count outside 1..`most` is refused."""
    return f"the number of articles must be between 1 and {most}"


def unknown_frequency(choices: Sequence[str]) -> str:
    """Return why a frequency other than `choices` is refused."""
    return f"frequency must be one of: {', '.join(choices)}"


def unknown_feeds(feed_ids: Sequence[str]) -> str:
    """Return why feed ids we do not have are refused."""
    return f"unknown feed: {', '.join(feed_ids)}"


def invalid_setting(reason: str) -> str:
    """Return the answer to a setting that could not be saved."""
    return f"⚠️ {esc(reason)}"


# --- channels -------------------------------------------------------------------------------
LINK_USAGE = "Usage: <code>/linkchannel @channelname</code> (or the channel's numeric id)."
UNLINK_USAGE = "Usage: <code>/unlinkchannel @channelname</code> (or the channel's numeric id)."


def channel_ready(title: str | None, chat_id: int) -> str:
    """Return the note to a bot admin who made the bot an admin of a channel."""
    return (
        f"I'm an admin of <b>{esc(title or chat_id)}</b> now. "
        f"Send <code>/linkchannel {chat_id}</code> to send digests there."
    )


def not_a_channel(ref: str) -> str:
    """Return the answer to /linkchannel with a chat that is not a channel."""
    return f"{esc(ref)} is not a channel."


def channel_unknown(ref: str) -> str:
    """Return the answer to /linkchannel with a channel the bot cannot see."""
    return (
        f"I can't find {esc(ref)}. Add me to the channel as an admin first, "
        "then send the command again."
    )


def bot_not_channel_admin(title: str) -> str:
    """Return the answer to /linkchannel when the bot may not post in the channel."""
    return f"I'm not an admin of <b>{esc(title)}</b> who may post. Promote me, then try again."


def channel_linked(title: str, new: bool) -> str:
    """Return the confirmation of /linkchannel."""
    if new:
        return f"✅ <b>{esc(title)}</b> now gets the digests."
    return f"<b>{esc(title)}</b> already gets the digests."


def channel_unlinked(stopped: bool) -> str:
    """Return the confirmation of /unlinkchannel."""
    return "👋 The channel gets no more digests." if stopped else "That channel had no digests."


TWO_TIMES_FULL = "You have two times already: tap one of them to remove it first."


def reason(exc: BaseException) -> str:
    """Return an error's message without its stage prefix ("fetch: timed out" -> "timed out")."""
    text = str(exc)
    stage, sep, rest = text.partition(": ")
    return rest if sep and stage.isalpha() and stage.islower() else text


# --- admin ----------------------------------------------------------------------------------
ADDFEED_USAGE = "Usage: <code>/addfeed https://example.com/feed.xml</code>"
REMOVEFEED_USAGE = "Usage: <code>/removefeed ID</code> (the number /feeds shows)."


def feed_refused(why: str) -> str:
    """Return the answer to /addfeed with a URL we never fetch."""
    return f"🚫 I can't add that address: {esc(why)}."


def feed_unreachable(why: str) -> str:
    """Return the answer to /addfeed when the URL could not be downloaded."""
    return f"⚠️ I couldn't download it: {esc(why)}."


def not_a_feed(why: str) -> str:
    """Return the answer to /addfeed when the URL is not an RSS/Atom/JSON feed."""
    return f"⚠️ That's not a feed I can read: {esc(why)}."


def feed_added(feed_id: int, title: str, entries: int) -> str:
    """Return the confirmation of /addfeed."""
    return f"✅ Added {feed_id}. <b>{esc(title)}</b> ({entries} articles in it now)."


def feed_exists(feed_id: int, title: str) -> str:
    """Return the answer to /addfeed for a feed we already have."""
    return f"Already there: {feed_id}. <b>{esc(title)}</b>."


def no_such_feed(ref: str) -> str:
    """Return the answer to /removefeed with an unknown id."""
    return f"There is no feed {esc(ref)}. /feeds lists them."


def feed_removed(feed_id: int, title: str) -> str:
    """Return the confirmation of /removefeed."""
    return f"🗑 Removed {feed_id}. <b>{esc(title)}</b> and its articles."


def delivery_failed(*, chat_id: int, row_id: int, slot: str, part: int, error: str) -> str:
    """Return the admins' alert about a message Telegram refused (it is not sent again)."""
    return (
        f"⚠️ <b>Delivery failed</b>\nchat {chat_id}, outbox row {row_id} "
        f"({esc(slot)} part {part}):\n{esc(error[:300])}"
    )


def stats(
    *,
    subscriptions: Mapping[str, int],
    feeds: Mapping[str, int],
    articles: Mapping[str, int],
    outbox: Mapping[str, float],
) -> str:
    """Return the /stats screen."""
    s, f, a = subscriptions, feeds, articles
    o = {key: int(value) for key, value in outbox.items()}
    return "\n".join(
        [
            "📊 <b>Stats</b>",
            f"👥 Subscribers: <b>{s.get('active', 0)}</b> "
            f"({s.get('private', 0)} people, {s.get('groups', 0)} groups, "
            f"{s.get('channels', 0)} channels; {s.get('inactive', 0)} stopped)",
            f"📚 Feeds: <b>{f.get('total', 0)}</b> ({f.get('failing', 0)} failing)",
            f"📰 Articles: <b>{a.get('total', 0)}</b> "
            f"({a.get('unsummarized', 0)} waiting for a summary)",
            f"✉️ Last 24 h: <b>{o.get('sent', 0)}</b> sent, <b>{o.get('failed', 0)}</b> failed, "
            f"{o.get('dropped', 0)} dropped",
            f"📤 Waiting to be sent: {o.get('pending', 0)} "
            f"(oldest {o.get('oldest_pending_age_s', 0)} s)",
        ]
    )


# --- filters and alerts (bot/telegram/filters.py, bot/telegram/alerts.py) ---------------------
FILTER_USAGE = (
    "🧹 <b>Filters</b> decide which stories reach your digests.\n"
    "<code>/filter -sport</code> leaves stories about sport out, "
    "<code>/filter climate OR energy</code> keeps only those, "
    "<code>/filter 3 -ads</code> applies to source 3 only (see /feeds)."
)
NO_FILTERS = "No filters yet: your digests show every story."
FILTERS_TITLE = "🧹 <b>Your filters</b> (a story must pass them all)"
FILTER_EXISTS = "You have this filter already."
FILTER_REMOVED = "Filter removed."
FILTER_GONE = "That filter was already removed."
BUTTON_REMOVE = "Remove"
BUTTON_FILTER = "Filter…"
MAX_SAVED_CHARS = 200
QUERY_TOO_LONG = f"Keep it under {MAX_SAVED_CHARS} characters, like: climate -sports"


def filter_line(number: int, query: str, source: str | None) -> str:
    """Return one filter in the /filter list; `source` names the feed it applies to."""
    where = f" (only {esc(source)})" if source else ""
    return f"{number}. <code>{esc(query)}</code>{where}"


def filter_saved(query: str) -> str:
    """Return the answer to a new filter."""
    return f"🧹 Filter saved: <code>{esc(query)}</code>. Your digests follow it from now on."


def too_many(kind: str, limit: int) -> str:
    """Return the answer when a chat has `limit` filters or alerts already."""
    return f"You have {limit} {kind} already, the most a chat can have. Remove one first."


def filtered_out(count: int) -> str:
    """Return a digest's last line: how many stories the chat's filters held back."""
    return f"🧹 {stories(count)} filtered out (/filter)"


BUTTON_FILTERS = "🧹 Filters"
SETTINGS_ADD_FILTER = (
    "To add one, send <code>/filter WORDS</code>: <code>/filter -sport</code> leaves stories "
    "about sport out, <code>/filter climate OR energy</code> keeps only those."
)


ALERT_USAGE = (
    "🔔 <b>Alerts</b> send you each new story that matches, as soon as it arrives.\n"
    "<code>/alert climate summit</code> saves one, /alerts lists them."
)
ALERT_ONLY_EXCLUDED = (
    "An alert of words to leave out only would match nearly every story. "
    "Add a word to look for, like: climate -sports"
)
ALERT_EXISTS = "You have this alert already."
NO_ALERTS = "No alerts yet. Save one with /alert WORDS."
ALERTS_TITLE = "🔔 <b>Your alerts</b>"
ALERT_STOPPED = "Alert stopped."
ALERT_GONE = "That alert was already stopped."
ALERT_MOVED = "Alert stopped: these stories come in your daily digest."
BUTTON_STOP = "Stop"
BUTTON_TO_DIGEST = "Move to digest"
BUTTON_ALERT_ME = "🔔 Alert me"


def alert_saved(query: str) -> str:
    """Return the answer to a new alert."""
    return f"🔔 Alert saved: <code>{esc(query)}</code>. New matching stories come right away."


def alert_line(number: int, query: str) -> str:
    """Return one alert in the /alerts list."""
    return f"{number}. <code>{esc(query)}</code>"


def alert_header(query: str) -> str:
    """Return the first line of an alert message."""
    return f"🔔 <b>Alert</b> · <code>{esc(query)}</code>"


def alerts_more(count: int) -> str:
    """Return the message that folds the alerts over the hourly cap."""
    noun = "story" if count == 1 else "stories"
    return f"🔔 …and {count:,} more {noun} matched your alerts this hour. Find them with /search."


ALERT_MOVED_SUBSCRIBE = "Alert stopped. /subscribe to get such stories in a daily digest."
BUTTON_SHARE = "↗️ Share"
MUTED_ALL = "That is your only source; pick others in /settings first."


def mute(source: str) -> str:
    """Return the label of the button that drops a source from the chat's digests."""
    return f"🔇 Mute {source}"


def muted(source: str) -> str:
    """Return the answer to Mute (plain text: a button's answer)."""
    return f"Muted {source}: its stories leave your digests. /settings brings it back."


# --- everyone's sources: /add, /sources, /export, OPML files ------------------------------
ADD_USAGE = (
    "Send me a feed or a site: <code>/add https://example.com/feed.xml</code>. "
    "A site's home page works too: I find its feed. For a channel you run: "
    "<code>/add @channel URL</code>."
)
NO_FEED_ON_PAGE = "it is a web page that names no feed, and none is at the usual places"
ADD_THIS = "Add this feed?"
BUTTON_ADD = "➕ Add"
BUTTON_REMOVE = "🗑 Remove"
BUTTON_MUTE_WEEK = "🔕 Mute 7 days"
BUTTON_UNMUTE = "🔔 Unmute"
BUTTON_DIGEST_ONLY = "📰 Only in digest"
BUTTON_ALERTS_TOO = "⚡ Alerts too"
NO_SOURCES = "You have no sources yet. Add one: <code>/add https://example.com</code>."
FEEDS_FULL = (
    "This bot reads as many feeds as its operator allows, so I can only add feeds it already "
    "reads for now. Please ask the operator to raise NEWSBOT_MAX_FEEDS."
)
SOURCE_GONE = "That source is no longer in your list."


def too_many_sources(limit: int) -> str:
    """Return the refusal of an add beyond the feeds-per-chat limit."""
    return (
        f"📚 You have {limit} sources, the most a chat may have here. "
        "Remove one in /sources, then add the new one."
    )


def too_many_adds(limit: int) -> str:
    """Return the refusal of an add beyond the adds-per-hour limit."""
    return f"⏳ You added {limit} sources this hour, the most allowed. Try again in an hour."


def several_feeds(count: int) -> str:
    """Return the question when a page names several feeds (each on a button below)."""
    return f"That page has {count} feeds. Which one do you want?"


def found_line(number: int, title: str | None, url: str) -> str:
    """Return one candidate feed of a page, as listed above its button."""
    return f"{number}. {esc(title or url)}\n{esc(url)}"


def source_added(
    title: str, newest: Sequence[tuple[str, str | None]], *, already: bool, of: str | None = None
) -> str:
    """Return the confirmation of /add: the feed's title and its newest items (`of`: the
    channel whose sources these are)."""
    whose = f"the sources of {esc(of)}" if of else "your sources"
    head = f"Already in {whose}" if already else f"✅ Added to {whose}"
    lines = [f"{head}: <b>{esc(title)}</b>"]
    if newest:
        lines += ["Newest:"] + [f"• {tghtml.link(url, item)}" for item, url in newest]
    else:
        lines.append("It has no items yet; new ones come in your digest.")
    return "\n".join(lines)


def sources_title(count: int, page: int, pages: int, *, of: str | None = None) -> str:
    """Return the head of /sources (`of`: a channel's)."""
    where = f" · page {page}/{pages}" if pages > 1 else ""
    whose = f"Sources of {esc(of)}" if of else "Your sources"
    return f"<b>{whose}</b> ({count}){where}"


def source_line(
    number: int,
    title: str,
    url: str,
    *,
    last_read: str | None,
    week_items: int,
    failing: str | None,
    muted_until: str | None,
    digest_only: bool,
) -> str:
    """Return one source of /sources: last good read, items this week, what is wrong."""
    lines = [f"{number}. {tghtml.link(url, title)}"]
    notes = [f"last read {esc(last_read)}" if last_read else NEVER, f"{week_items} this week"]
    if muted_until:
        notes.append(f"🔕 muted until {esc(muted_until)}")
    if digest_only:
        notes.append("only in digest")
    lines.append("   " + " · ".join(notes))
    if failing:
        lines.append(f"   ⚠️ {esc(failing)}")
    return "\n".join(lines)


def source_removed(title: str) -> str:
    """Return the answer to Remove (a button)."""
    return f"Removed {title}; it leaves your next digest."


def source_muted(title: str) -> str:
    """Return the answer to Mute 7 days (a button)."""
    return f"Muted {title} for 7 days, from your next digest."


PRIVATE_ADDRESS = "a private or local address"
FEEDS_FULL_SHORT = "the bot reads as many feeds as its operator allows"
OPML_USAGE = (
    "Send me an OPML file (<code>.opml</code> or <code>.xml</code>) to import your sources; "
    "/export gives you yours."
)
EXPORT_CAPTION = "Your sources as OPML: import this file into any feed reader, or into me."


def sources_full_short(limit: int) -> str:
    """Return why an OPML line was refused: the chat has as many sources as allowed."""
    return f"you have {limit} sources, the most allowed"


def opml_too_big(limit_mb: int) -> str:
    """Return the refusal of an OPML file over the size limit (before downloading it)."""
    return f"⚠️ That file is too big: OPML files up to {limit_mb} MB, please."


def opml_unreadable(why: str) -> str:
    """Return the answer to a file that is no OPML we can read."""
    return f"⚠️ I can't read that OPML file: {esc(why)}. Nothing was imported."


def imported(added: int, already: int, refused: Sequence[tuple[str, str]]) -> str:
    """Return the summary of an OPML import: added, already there, refused (one line each)."""
    lines = [
        f"📥 <b>Imported</b>: added {added}, already there {already}, refused {len(refused)}."
    ]
    shown = refused[:20]
    lines += [f"• {esc(url[:80])}: {esc(why)}" for url, why in shown]
    if len(refused) > len(shown):
        lines.append(f"…and {len(refused) - len(shown)} more refused.")
    if added:
        lines.append("New sources are read within minutes; see them in /sources.")
    return "\n".join(lines)


def source_trouble(title: str, why: str, *, gone: bool) -> str:
    """Return the digest's line about a source that fails or is gone."""
    if gone:
        return f"⚠️ <b>{esc(title)}</b> seems gone ({esc(why)}). Remove it?"
    return f"⚠️ <b>{esc(title)}</b> has failed for a day ({esc(why)}). Remove it?"


def remove_source(title: str) -> str:
    """Return the label of the Remove button under a digest's trouble line."""
    short = title if len(title) <= 24 else title[:23] + "…"
    return f"🗑 Remove {short}"


def failing_feeds(lines: Sequence[tuple[int, str, str, str]]) -> str:
    """Return /stats' list of failing feeds: (id, title, why, since when)."""
    head = ["", "⚠️ <b>Failing feeds</b>"]
    return "\n".join(
        head
        + [f"{n}. {esc(title)}: {esc(why)} (since {esc(when)})" for n, title, why, when in lines]
    )


def not_your_channel(title: str) -> str:
    """Return the refusal of /add @channel to someone who does not run that channel."""
    return f"Sorry, only the owner and admins of {esc(title)} can change its sources."


# --- web app ----------------------------------------------------------------------------------
WEB_OFF = "The app isn't set up on this bot yet: its operator sets NEWSBOT_WEB_BASE_URL."
BUTTON_OPEN_APP = "📱 Open the app"
BUTTON_OPEN_BROWSER = "🌐 Open in a browser"
MENU_APP = "News"


def web_link(minutes: int, *, group: bool) -> str:
    """Return the answer to /web: what the app holds and how long its link works."""
    text = (
        "📱 <b>Your news in one window</b>: today's digest, the archive by day, search and "
        f"settings. The browser link works for {minutes} minutes; send /web for a new one."
    )
    if group:
        text += "\nIt opens this group's news for its members; settings change only in the chat."
    return text
