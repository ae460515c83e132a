"""Credentials and the tamper-evident audit trail (no web framework in here)."""
