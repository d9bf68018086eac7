"""Unit constants, SI inside: seconds, bytes, tokens; the chapter's calendar conventions (§30.1, §30.10)."""
from __future__ import annotations

__all__ = ["SECONDS_PER_HOUR", "SECONDS_PER_DAY", "HOURS_PER_YEAR", "DAYS_PER_MONTH", "HOURS_PER_MONTH",
           "TOKENS_PER_MILLION", "GB"]

SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86_400
HOURS_PER_YEAR = 8760
DAYS_PER_MONTH = 30  # the chapter's convention (§30.10: 24 x 30 hours)
HOURS_PER_MONTH = 24 * DAYS_PER_MONTH
TOKENS_PER_MILLION = 1e6
GB = 1e9  # decimal gigabyte, as on datasheets and in the chapter
