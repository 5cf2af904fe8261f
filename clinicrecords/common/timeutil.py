"""Timestamps in one form everywhere: UTC, ISO 8601, second precision, trailing Z."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> date:
    return datetime.now().date()
