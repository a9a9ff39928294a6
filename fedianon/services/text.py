"""Text: plain text to Mastodon-style HTML, HTML sanitizing (nh3), character counting.

Mastodon's markup: links are `<a href rel="nofollow noopener" target="_blank">` with the
scheme in an `invisible` span and long URLs cut with an `ellipsis` span; mentions are
`<span class="h-card"><a class="u-url mention">@<span>user</span></a></span>`; hashtags are
`<a class="mention hashtag" rel="tag">#<span>tag</span></a>`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import nh3

URL_LENGTH = 23
_URL_RE = re.compile(r"(?<![\w/@])(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}])", re.IGNORECASE)
MENTION_RE = re.compile(
    r"(?<![\w/@.])@([a-zA-Z0-9_]+(?:[a-zA-Z0-9_.-]+[a-zA-Z0-9_]+)?)"
    r"(?:@([a-zA-Z0-9.-]+(?:\.[a-zA-Z0-9-]+)*(?::\d{1,5})?|localhost:\d{1,5}))?"
)
HASHTAG_RE = re.compile(r"(?<![\w/&#])#([^\W\d_][\w]{0,99}|[\w]*[^\W\d_][\w]*)", re.UNICODE)
# Links, mentions and hashtags in one pass over a line (groups: url, user, host, tag).
_INLINE_RE = re.compile(
    f"{_URL_RE.pattern}|{MENTION_RE.pattern}|{HASHTAG_RE.pattern}", re.IGNORECASE
)


@dataclass(frozen=True)
class MentionTarget:
    username: str
    url: str


def _link(url: str) -> str:
    scheme, _, rest = url.partition("://")
    visible, hidden = (rest[:30], rest[30:]) if len(rest) > 30 else (rest, "")
    escaped = html.escape(url, quote=True)
    inner = f'<span class="invisible">{html.escape(scheme)}://</span>'
    if hidden:
        inner += f'<span class="ellipsis">{html.escape(visible)}</span><span class="invisible">{html.escape(hidden)}</span>'
    else:
        inner += f"<span>{html.escape(visible)}</span>"
    return f'<a href="{escaped}" target="_blank" rel="nofollow noopener noreferrer" translate="no">{inner}</a>'


def _render_line(
    line: str,
    mentions: Mapping[str, MentionTarget],
    tag_url: Callable[[str], str] | None,
) -> str:
    out: list[str] = []
    position = 0
    for match in _INLINE_RE.finditer(line):
        out.append(html.escape(line[position : match.start()], quote=False))
        url, user, host, tag = match.group(1), match.group(2), match.group(3), match.group(4)
        if url:
            out.append(_link(url))
        elif user:
            key = f"{user}@{host}".lower() if host else user.lower()
            target = mentions.get(key)
            if target is None:
                out.append(html.escape(match.group(0), quote=False))
            else:
                out.append(
                    f'<span class="h-card" translate="no"><a href="{html.escape(target.url)}" '
                    f'class="u-url mention">@<span>{html.escape(target.username)}</span></a></span>'
                )
        elif tag and tag_url is not None:
            out.append(
                f'<a href="{html.escape(tag_url(tag.lower()))}" class="mention hashtag" rel="tag">#<span>{html.escape(tag)}</span></a>'
            )
        else:
            out.append(html.escape(match.group(0), quote=False))
        position = match.end()
    out.append(html.escape(line[position:], quote=False))
    return "".join(out)


def plain_to_html(
    text: str,
    mentions: Mapping[str, MentionTarget] | None = None,
    tag_url: Callable[[str], str] | None = None,
) -> str:
    """Paragraphs on blank lines, `<br>` on single newlines, links, mentions and hashtags."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = re.split(r"\n{2,}", text)
    rendered = []
    for paragraph in paragraphs:
        lines = [_render_line(line, mentions or {}, tag_url) for line in paragraph.split("\n")]
        rendered.append("<p>" + "<br />".join(lines) + "</p>")
    return "".join(rendered)


def find_mentions(text: str) -> list[tuple[str, str | None]]:
    """(username, host or None) for every @mention, in order, without duplicates."""
    seen: dict[tuple[str, str | None], None] = {}
    for match in MENTION_RE.finditer(_without_urls(text)):
        user, host = match.group(1), match.group(2)
        seen.setdefault((user.lower(), host.lower() if host else None), None)
    return list(seen)


def find_hashtags(text: str) -> list[str]:
    seen: dict[str, str] = {}
    for match in HASHTAG_RE.finditer(_without_urls(text)):
        seen.setdefault(match.group(1).lower(), match.group(1))
    return list(seen.values())


def _without_urls(text: str) -> str:
    return _URL_RE.sub(" ", text)


def count_characters(text: str) -> int:
    """Mastodon's count: every URL is 23 characters, a remote mention counts as @user."""
    counted = _URL_RE.sub("x" * URL_LENGTH, text)
    counted = MENTION_RE.sub(lambda m: "@" + m.group(1), counted)
    return len(counted)


_ALLOWED_TAGS = {
    "p",
    "br",
    "span",
    "a",
    "del",
    "pre",
    "code",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "s",
    "sub",
    "sup",
}
_ALLOWED_CLASSES = {
    "span": {"h-card", "invisible", "ellipsis", "mention"},
    "a": {"u-url", "mention", "hashtag", "status-link", "unhandled-link"},
}


def sanitize_html(value: str) -> str:
    """Remote HTML reduced to what Mastodon keeps: safe tags, http(s) links, known classes."""
    return nh3.clean(
        value,
        tags=_ALLOWED_TAGS,
        attributes={
            "a": {"href", "translate"},
            "span": {"translate"},
            "ol": {"start", "reversed"},
            "li": {"value"},
        },
        allowed_classes=_ALLOWED_CLASSES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def html_to_text(value: str) -> str:
    """A plain-text rendering of (sanitized) HTML, for search and filters."""
    value = re.sub(r"<br\s*/?>", "\n", value, flags=re.IGNORECASE)
    value = re.sub(r"</p>\s*<p[^>]*>", "\n\n", value, flags=re.IGNORECASE)
    value = re.sub(r"<[^>]+>", "", value)
    return html.unescape(value).strip()
