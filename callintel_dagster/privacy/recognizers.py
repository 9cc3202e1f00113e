"""Presidio pattern recognisers for what is not a run of digits: e-mail, UPI, PAN, IFSC, names.

E-mails are heard as often as they are typed: "rahul dot sharma at the rate gmail dot com".
UPI ids are `handle@bank` with no top-level domain (name@okhdfcbank); an e-mail always has one,
so the two patterns never claim the same text. PAN and IFSC are fixed shapes that transcripts
often write in lower case. Names are found by cue phrases only (no NER model is installed; see
privacy_config.py): "my name is Priya Sharma", "Mr. Rao", "mera naam Rahul hai", "Anil ji".
"""

import regex as re
from presidio_analyzer import Pattern, PatternRecognizer

from callintel_dagster.privacy.number_recognizer import NumberRecognizer

# Bounded, unambiguous repetitions (a word never contains its separators): the patterns stay
# linear on hostile text such as "a_a_a_..." with no "@" at the end.
_DOT = r"(?:\s*\.\s*|\s+dot\s+)"
_WORD = r"[a-z0-9]{1,40}(?:-[a-z0-9]{1,40}){0,3}"
_LOCAL = rf"{_WORD}(?:(?:\.|_|\s+dot\s+|\s+underscore\s+){_WORD}){{0,5}}"
_TLD = rf"(?:com|in|org|net|co|edu|io|gov|info|biz|us|uk)(?:{_DOT}(?:in|uk|us))?"
_SPOKEN_AT = r"(?:\s*@\s*|\s+at\s+the\s+rate(?:\s+of)?\s+|\s+at\s+)"
_EMAIL = rf"\b{_LOCAL}{_SPOKEN_AT}{_WORD}(?:{_DOT}{_WORD}){{0,3}}?{_DOT}{_TLD}\b"
# UPI handles of the apps Indian callers use; a generic @word is accepted when written with "@".
_UPI_BANKS = (
    r"ok(?:hdfcbank|icici|sbi|axis)|ybl|ibl|axl|paytm|upi|apl|yapl|ptyes|ptaxis|pthdfc|ptsbi|"
    r"airtel|jio|fbl|yesbank|kotak|icici|sbi|hdfcbank|axisbank|waaxis|wahdfcbank|freecharge|"
    r"slc|abfspay|ikwik|timecosmos|pingpay|barodampay|unionbankofindia|pnb|idfcbank|indus"
)
_UPI = (
    rf"\b[a-z0-9][a-z0-9._\-]{{1,40}}(?:@|\s+at\s+the\s+rate\s+|\s+at\s+)(?:{_UPI_BANKS})\b"
    r"|\b[a-z0-9][a-z0-9._\-]{1,40}@[a-z]{2,20}\b(?!\s*(?:\.|dot\s)\s*[a-z])"
)
_PAN = r"\b[a-z]{3}[pcfhatbljg][a-z]\d{4}[a-z]\b"
# "AKLPM 4821 Q" as an agent types it; upper case only, or "table 1234 a" would be a PAN
_PAN_SPACED = r"\b(?-i:[A-Z]{3}[PCFHATBLJG][A-Z]\s\d{4}\s[A-Z])\b"
_IFSC = r"\b[a-z]{4}0[a-z0-9]{6}\b"
_NAME_WORD = r"[A-Z][a-z]{1,20}"
_NAME_CUE = (
    r"(?i:my\s+name\s+is|name\s+is|this\s+is|i\s+am|i'm|speaking\s+with|talking\s+to|"
    r"mera\s+naam|naam|main|mr\.?|mrs\.?|ms\.?|miss|mister|dr\.?|shri|smt\.?|sir|madam|"
    r"ask\s+for|thanks|thank\s+you|hi|hello|dear|good\s+(?:morning|afternoon|evening))\s+"
)
_NOT_NAMES = (
    r"(?!(?:Sir|Madam|Calling|Speaking|From|The|Not|Very|Just|Fine|Good|Okay|Ok|Sure|Here|Sorry|"
    r"Interested|Looking|Busy|Available|Going|Trying|Your|Our|Customer|Support|Acme|Globex|"
    r"Hello|Hi|Yes|No|Haan|Ji|Bank|Mr|Mrs|Ms|Dr|Miss|"
    # Hinglish words a transcript may capitalise after "main" (I) or "naam" (name)
    r"Nahi|Nahin|Theek|Abhi|Kal|Aaj|Bas|Accha|Achha|Bilkul|Sirf|Bhi|Toh|Kya|Aap|Hum)\b)"
)
_PERSON = rf"(?<={_NAME_CUE}){_NOT_NAMES}{_NAME_WORD}(?:\s+{_NOT_NAMES}{_NAME_WORD}){{0,2}}"
_PERSON_JI = rf"\b{_NOT_NAMES}{_NAME_WORD}(?=\s+ji\b)"
# Necessary conditions, tested before a recogniser's patterns (same module and flags as Presidio's
# matching, so case folding, \s and \b agree). Every e-mail and UPI pattern above needs an "@" or
# a whitespace-delimited "at" (_SPOKEN_AT and _UPI's separators): over half of calls have neither.
_FLAGS = re.DOTALL | re.MULTILINE | re.IGNORECASE
_AT_PRECHECK = re.compile(r"@|\sat\s", _FLAGS)
# An e-mail ends in _DOT then a _TLD then \b (after "com" of "com dot in" too): one in six of the
# calls with an "at" has such a ". in" / "dot com" (e-mail's pattern is the costliest, ~20%).
_TLD_PRECHECK = re.compile(
    r"(?:\.\s*|\sdot\s+)(?:com|in|org|net|co|edu|io|gov|info|biz|us|uk)\b", _FLAGS
)
# A UPI id is written with "@", or said as "at" / "at the rate" right before a known handle.
_UPI_PRECHECK = re.compile(rf"@|\sat\s+(?:the\s+rate\s+)?(?:{_UPI_BANKS})\b", _FLAGS)


class _PrecheckedPatterns(PatternRecognizer):
    """A pattern recogniser that skips its patterns when a cheap necessary condition fails."""

    def __init__(self, *args, precheck: tuple[re.Pattern, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._precheck = precheck

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        # other flags: no shortcut; each check is necessary, so any that fails settles it
        if regex_flags is None and not all(check.search(text) for check in self._precheck):
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)


def _patterns(
    entity: str, *regexes: str, flags: int | None = None, precheck: tuple[re.Pattern, ...] = ()
) -> PatternRecognizer:
    patterns = [Pattern(f"{entity.lower()}_{i}", rx, 0.85) for i, rx in enumerate(regexes)]
    kwargs = {"global_regex_flags": flags} if flags is not None else {}
    if precheck:
        kwargs["precheck"] = precheck
        cls = _PrecheckedPatterns
    else:
        cls = PatternRecognizer
    return cls(entity, name=f"callintel_{entity.lower()}", patterns=patterns, **kwargs)


def build_recognizers() -> list:
    """Every recogniser callintel registers, one per entity family."""
    return [
        NumberRecognizer(),
        _patterns("EMAIL", _EMAIL, precheck=(_AT_PRECHECK, _TLD_PRECHECK)),
        _patterns("UPI", _UPI, precheck=(_UPI_PRECHECK,)),
        _patterns("PAN", _PAN, _PAN_SPACED),
        _patterns("IFSC", _IFSC),
        # names depend on capitals, so this pattern alone is case-sensitive
        _patterns("PERSON", _PERSON, _PERSON_JI, flags=re.DOTALL | re.MULTILINE),
    ]
