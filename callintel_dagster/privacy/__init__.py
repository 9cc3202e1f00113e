"""Redaction of personal data before any LLM request, embedding, index or non-admin view.

`mask_phone_for_digest` needs only libphonenumber; the redactor loads Presidio (and spaCy, which
Presidio imports), so it is imported on first use and a digest never pays for it.
"""

from callintel_dagster.privacy.masking import mask_phone_for_digest

__all__ = ["Finding", "PrivacyError", "RedactedCall", "Redactor", "mask_phone_for_digest"]


def __getattr__(name: str):
    if name in ("Finding", "PrivacyError", "RedactedCall", "Redactor"):
        from callintel_dagster.privacy import redactor

        return getattr(redactor, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
