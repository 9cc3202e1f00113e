"""Provider error text without what we sent it.

Some services quote the request in their errors (a validation message citing the offending
prompt, note or field value), and a quote of an analysis prompt or a CRM note is a quote of a
call. Error text ends up in logs, reason columns and alerts, so every stretch of it that repeats
the request word for word is cut before it becomes part of an exception message.
"""

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl

_WORDS = re.compile(r"\w+")
RUN = 4  # this many words in a row copied from the request make an echo; fewer are vocabulary
_MAX_SENT = 200_000  # an error path: read at most this much of the request body
ECHO = "[…]"


def sent_text(content: bytes | str | None) -> str:
    """The words of a request body: the string values of JSON (escapes such as \\u0939 undone)
    or of a form, else the text as it is."""
    if not content:
        return ""
    text = content[:_MAX_SENT]
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        return "\n".join(_strings(json.loads(text)))
    except ValueError:
        pass
    form = parse_qsl(text) if "=" in text and " " not in text else []
    return "\n".join(v for _, v in form) if form else text


def drop_echo(text: str, sent: str, run: int = RUN) -> str:
    """`text` with each stretch of `run` or more words that `sent` also has in a row (case and
    punctuation aside) replaced by "[…]"."""
    if not text or not sent:
        return text
    sent_words = [w.lower() for w in _WORDS.findall(sent)]
    grams = {tuple(sent_words[i : i + run]) for i in range(len(sent_words) - run + 1)}
    tokens = list(_WORDS.finditer(text))
    echoed = [False] * len(tokens)
    for i in range(len(tokens) - run + 1):
        if tuple(t.group().lower() for t in tokens[i : i + run]) in grams:
            echoed[i : i + run] = [True] * run
    pieces, pos, i = [], 0, 0
    while i < len(tokens):
        if not echoed[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and echoed[j + 1]:
            j += 1
        pieces += [text[pos : tokens[i].start()], ECHO]
        pos, i = tokens[j].end(), j + 1
    return "".join(pieces) + text[pos:]


def _strings(doc: object) -> Iterator[str]:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for value in doc.values():
            yield from _strings(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _strings(value)
