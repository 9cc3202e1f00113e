"""Operator alerts: incidents kept once per incident, the checks that find them, the channels
that tell the operator (docs/alerts.md)."""
