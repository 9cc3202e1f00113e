"""Word error rate: how far a transcript is from a reference, in words.

WER = (substitutions + deletions + insertions) / words in the reference, after both texts are
lower-cased and stripped of punctuation (so "Hello," matches "hello"). It can exceed 1 when the
hypothesis adds many words. Used to hold speech-to-text models to a measured quality bound.
"""

import re

_NOT_WORD = re.compile(r"[^\w\s']+")


def normalise_words(text: str) -> list[str]:
    """Lower-case words without punctuation; apostrophes inside words stay ("don't")."""
    cleaned = _NOT_WORD.sub(" ", text.lower().replace("\u2019", "'"))
    return [w.strip("'") for w in cleaned.split() if w.strip("'")]


def word_edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words (one row of the table at a time)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, start=1):
            current.append(
                min(
                    previous[j] + 1,  # deletion
                    current[j - 1] + 1,  # insertion
                    previous[j - 1] + (ref_word != hyp_word),  # substitution or match
                )
            )
        previous = current
    return previous[-1]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of `hypothesis` against `reference`; an empty reference gives 0.0 for an
    empty hypothesis and 1.0 otherwise."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return word_edit_distance(ref, hyp) / len(ref)
