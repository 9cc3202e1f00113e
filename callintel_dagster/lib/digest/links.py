"""Links from the digest to the call explorer: the calls its sentences name, each with the URL
of its call page, shown on its own line below the bullet that names it.

WhatsApp turns a bare URL into a link; a URL on its own line is never broken by the part split
(parts.py cuts at line breaks) and a bullet dropped for length takes its links with it."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .picks import agent_of, best_call, low_quality_calls, quality

MAX_LOW_QUALITY = 3  # the summary names at most three low-quality calls


@dataclass(frozen=True)
class CallLink:
    phrase: str  # the words of a bullet that name the call, e.g. "Riya (38)"
    label: str  # who the link is for, e.g. "Riya"
    call_id: str
    url: str

    @property
    def line(self) -> str:
        return f"  ↳ {self.label}: {self.url}"


def call_url(base_url: str, tenant_id: str, call_id: str) -> str:
    """The explorer's page of one call."""
    return f"{base_url.rstrip('/')}/t/{tenant_id}/calls/{quote(str(call_id), safe='')}"


def call_links(
    base_url: str, tenant_id: str, notable_calls: list[dict[str, Any]]
) -> list[CallLink]:
    """The calls the summary names (its best call, its low-quality calls), with their pages."""

    def link(call: dict[str, Any], phrase: str) -> CallLink:
        cid = str(call["call_id"])
        return CallLink(phrase, agent_of(call), cid, call_url(base_url, tenant_id, cid))

    links = []
    if best := best_call(notable_calls):
        links.append(link(best, f"Best call: {agent_of(best)} scored {quality(best):.0f}/100"))
    for call in low_quality_calls(notable_calls)[:MAX_LOW_QUALITY]:
        links.append(link(call, f"{agent_of(call)} ({quality(call):.0f})"))
    return links


def with_links(bullet: str, links: Sequence[CallLink], used: set[str]) -> str:
    """`bullet` followed by the link lines of the calls it names; `used` (the ids of calls
    already linked) grows, so each call is linked once, at its first mention."""
    found = [lk for lk in links if lk.call_id not in used and lk.phrase in bullet]
    found = list({lk.call_id: lk for lk in found}.values())
    used.update(lk.call_id for lk in found)
    return "\n".join([bullet, *(lk.line for lk in found)])
