"""Redaction of personal data before any LLM request, embedding, index or non-admin view."""

from callintel_dagster.privacy.masking import mask_phone_for_digest
from callintel_dagster.privacy.redactor import PrivacyError, RedactedCall, Redactor

__all__ = ["PrivacyError", "RedactedCall", "Redactor", "mask_phone_for_digest"]
