"""The weekly issue put together: the week's published items grouped by tag, an index by place,
and the coming week's calls and events from the instance's hubs, as HTML and as plain text.
Pure: every value is text people typed, escaped here, so nothing in an item becomes markup."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from html import escape

from fedihub.newswire.model import Item, item_path
from fedihub.words import Words

UNTAGGED = ""


@dataclass(frozen=True)
class Happening:
    """A call or event coming up in one of our hubs."""

    title: str
    url: str
    when: str
    where: str
    hub_name: str


@dataclass(frozen=True)
class Digest:
    title: str
    html: str
    text: str


def by_tag(items: list[Item]) -> list[tuple[str, list[Item]]]:
    """Each item under its first tag, tags with the most items first; untagged ones last."""
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        groups[item.tags[0] if item.tags else UNTAGGED].append(item)
    tagged = sorted((t for t in groups if t != UNTAGGED), key=lambda t: (-len(groups[t]), t))
    return [(t, groups[t]) for t in tagged] + (
        [(UNTAGGED, groups[UNTAGGED])] if UNTAGGED in groups else []
    )


def by_place(items: list[Item]) -> list[tuple[str, list[Item]]]:
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if item.place:
            groups[item.place].append(item)
    return sorted(groups.items(), key=lambda g: g[0].lower())


def item_url(item: Item, base_url: str) -> str:
    """Where a reader goes for the item: its link, or its page here."""
    return item.link or base_url + item_path(item.id)


def title_of(words: Words, instance_name: str, week: str) -> str:
    return words("%(name)s newsletter, %(week)s", name=instance_name, week=week)


def _item_html(item: Item, base_url: str, words: Words) -> str:
    href = escape(item_url(item, base_url))
    parts = [f'<li><a href="{href}"><strong>{escape(item.headline)}</strong></a>']
    if item.summary:
        parts.append(f"<br>{escape(item.summary)}")
    where = " · ".join(escape(x) for x in (item.hub_name, item.place) if x)
    if where:
        parts.append(f"<br><small>{where}</small>")
    parts.append("</li>")
    return "".join(parts)


def _happening_html(h: Happening) -> str:
    lines = [f'<li><a href="{escape(h.url)}"><strong>{escape(h.title)}</strong></a>',
             f"<br>{escape(h.when)}"]  # fmt: skip
    if h.where:
        lines.append(f"<br>{escape(h.where)}")
    lines.append(f"<br><small>{escape(h.hub_name)}</small></li>")
    return "".join(lines)


def digest(
    items: list[Item], happenings: list[Happening], *, title: str, base_url: str, words: Words
) -> Digest:
    html: list[str] = [f"<h1>{escape(title)}</h1>"]
    text: list[str] = [title, "=" * min(len(title), 70), ""]
    html.append(f"<h2>{escape(words('News of the week'))}</h2>")
    text += [words("News of the week"), ""]
    if not items:
        html.append(f"<p>{escape(words('No news was published this week.'))}</p>")
        text += [words("No news was published this week."), ""]
    for tag, group in by_tag(items):
        heading = f"#{tag}" if tag else words("Other news")
        html.append(f"<h3>{escape(heading)}</h3><ul>")
        html += [_item_html(item, base_url, words) for item in group]
        html.append("</ul>")
        text += [heading, ""]
        for item in group:
            text.append(f"* {item.headline}")
            if item.summary:
                text += [f"  {line}" for line in item.summary.splitlines() if line.strip()]
            where = " · ".join(x for x in (item.hub_name, item.place) if x)
            if where:
                text.append(f"  {where}")
            text += [f"  {item_url(item, base_url)}", ""]
    places = by_place(items)
    if places:
        html.append(f"<h2>{escape(words('By place'))}</h2><ul>")
        text += [words("By place"), ""]
        for place, group in places:
            headlines = ", ".join(escape(i.headline) for i in group)
            html.append(f"<li><strong>{escape(place)}</strong>: {headlines}</li>")
            text.append(f"* {place}: {', '.join(i.headline for i in group)}")
        html.append("</ul>")
        text.append("")
    html.append(f"<h2>{escape(words('Coming up this week'))}</h2>")
    text += [words("Coming up this week"), ""]
    if happenings:
        html.append("<ul>" + "".join(_happening_html(h) for h in happenings) + "</ul>")
        for h in happenings:
            text += [f"* {h.title}", f"  {h.when}"]
            text += [f"  {h.where}"] if h.where else []
            text += [f"  {h.hub_name}", f"  {h.url}", ""]
    else:
        html.append(f"<p>{escape(words('No calls or events in the coming week.'))}</p>")
        text += [words("No calls or events in the coming week."), ""]
    return Digest(title, "\n".join(html), "\n".join(text).rstrip() + "\n")
