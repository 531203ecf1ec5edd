"""Notify: alerts derived from the marts, de-duplicated, sent through an outbox."""
