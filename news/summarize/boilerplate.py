"""Boilerplate removal: the lines of a page or feed item that are not part of the story.

Rules are line-based: a line is dropped when the whole of it is a byline, a date or
view-counter field, a "Source: URL" line, a syndication disclaimer, a share/subscribe prompt,
"Read more", "Advertisement" or a photo credit. Prose that merely mentions such words stays:
every pattern is anchored to the full line and most are capped in length.
"""

from __future__ import annotations

import re

# Leading list markers of scraped metadata blocks ("- Views: 20").
_MARKER = re.compile(r"^[\s\-–—•*·|>]+")

_SHORT = 12  # words: metadata lines are short; a sentence that starts with "By" is not
_SHORT_LINE_PATTERNS = [
    # dates, times, counters: "Date & Time:", "Views: 20", "Published: 14:22 EST, 2 March 2014"
    r"(?:date|time|date\s*(?:&|and)\s*time|published|updated|last updated|posted|modified|"
    r"views?|reads?|comments?|shares?|likes?|reading time|read time)\s*[:|].*",
    r"\d+\s+(?:views?|comments?|shares?|min(?:ute)?s? read)",
    r"(?:updated|published|posted)\s+(?:on\s+)?\d.*",
    # source and link lines
    r"(?:source|sources|via|original(?: article)?|link|url|credits?|author|from)\s*:.*",
    r"(?:https?://|www\.)\S+",
    # navigation and prompts
    r"(?:read|see|click|tap) (?:more|also|here|the full story|full article)\b.*",
    r"(?:also read|related(?: articles?| stories| news)?|more on this(?: story)?|"
    r"recommended(?: for you)?)\s*(?::.*)?",
    r"(?:advertisement|sponsored(?: content)?|promoted|skip advert(?:isement)?|ads?)",
    r"(?:share|tweet|email|print|comment)(?: (?:this|on|via|the|to)\b.*)?",
    r"(?:subscribe|sign up|register)\b.*",
    r"(?:follow|join|like|find|connect with) (?:us|our|\w+) (?:on|at|in) (?:twitter|x|"
    r"facebook|instagram|telegram|whatsapp|youtube|linkedin|tiktok|threads|google news|"
    r"social media)\b.*",
    r"(?:follow|join) (?:us|our) [\w ]{0,30}(?:channel|community|group|newsletter)\b.*",
    r"(?:download|get) (?:the|our) [\w ]*app\b.*",
    r"scroll down for (?:video|more)\b.*",
    # photo credits and captions
    r"(?:photo|photos|photograph|image|images|picture|pictures|video|graphic|illustration)"
    r"(?: credit| copyright| caption)?\s*:.*",
    r"(?:image|photo|picture) (?:copyright|caption|source)\b.*",
    r".{0,60}\b(?:getty images|afp via getty|ap photo|reuters/\S+|shutterstock)\b.{0,40}",
    r"[©®]\s*.*",
    # lone separators
    r"[|/\\\-–—•*·_=~#]+",
]
_SHORT_LINE = re.compile("|".join(f"(?:{p})" for p in _SHORT_LINE_PATTERNS), re.IGNORECASE)

# Syndication and copyright notices, whatever their length: lines that start with one...
_NOTICE_START_PATTERNS = [
    r"\(?\s*(?:this|the) (?:story|article|report) (?:has not been|was not) edited by\b",
    r"\(?\s*with inputs? from (?:agencies|pti|ani|ians|reuters)\b",
    r"\(?\s*this (?:article|story|post) (?:was|is) (?:originally )?(?:published|republished|"
    r"first published|produced)\b",
    r"(?:copyright|\(c\))\s+\d{4}\b",
]
_NOTICE_START = re.compile("|".join(f"(?:{p})" for p in _NOTICE_START_PATTERNS), re.IGNORECASE)
# ...and lines that hold one anywhere (searched for, not matched with ".*" around: a story
# comes as one long line, which ".*" would scan once per pattern).
_NOTICE_INSIDE = re.compile(
    r"\b(?:auto-generated from a syndicated feed|all rights reserved"
    r"|may not be (?:published|reproduced), broadcast, rewritten)\b",
    re.IGNORECASE,
)

# Bylines: "By Jane Doe and John Roe in London", "From: India News Bull", "By . Daily Mail
# Reporter .". Case-sensitive: every word after "By" is a name or a connector, so that
# "By the time we arrived, it was dark." stays.
_NAME = r"(?:[A-Z][\w'’.-]*|and|&|,|\.|\||in|for|of|the|at|da|de|di|van|von|le|la|staff)"
_BYLINE = re.compile(
    rf"(?:By|BY|From|FROM|Written by|Reported by|Reporting by|Words by|Posted by)\s*[.:]?"
    rf"(?:\s*{_NAME})+\s*[.:]?"
)

# Datelines that open a story: "(CNN) -- ", "LONDON (Reuters) - ", "PARIS, Oct 3 (AFP) - ".
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'’ -]{1,40}(?:,[\w .]{1,20})?\s*)?"
    r"\((?:CNN|AP|AFP|Reuters|dpa|PTI|ANI|IANS|UPI|Bloomberg|EFE|ANSA|TASS|AAP)\)"
    r"\s*(?:[-–—:]+\s*)?(?=\S)"
)
# C0/C1 control characters (but tab and newline) and replacement characters from bad decoding.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]+")
_INLINE = re.compile(r"\bScroll down for (?:video|more)\b\s*", re.IGNORECASE)


def clean_text(text: str) -> str:
    """Return ``text`` without boilerplate lines and datelines; paragraphs and lines are kept."""
    kept: list[str] = []
    for raw in _CONTROL.sub(" ", text).splitlines():
        line = raw.strip()
        if line and _is_boilerplate(line):
            continue
        line = _INLINE.sub("", _DATELINE.sub("", line))
        if not line and kept and not kept[-1]:
            continue  # collapse the blank lines left around removed ones
        kept.append(line)
    return "\n".join(kept).strip()


def _is_boilerplate(line: str) -> bool:
    body = _MARKER.sub("", line).strip()
    if not body:
        return True
    if _NOTICE_START.match(body) or _NOTICE_INSIDE.search(body):
        return True
    if _BYLINE.fullmatch(body) and len(body.split()) <= _SHORT:
        return True
    return len(body.split()) <= _SHORT and bool(_SHORT_LINE.fullmatch(body))
