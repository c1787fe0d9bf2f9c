"""Veil's host-side test runner (tests/run)."""
