"""The one clock MAPS shows people: UK time, whatever zone the server runs in.

Every time is stored in UTC, and the tables' datetime columns (SQLModel's UTCDateTime) hand
it back with its zone on SQLite as on PostgreSQL. A time without a zone (one computed in raw
SQL) is read as UTC too, not as the server's zone, which `datetime.astimezone` would assume.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")  # partnerships are English local services: UK clock time


def uk_time(moment: datetime) -> datetime:
    """A stored time on the UK clock."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UK)


def end_of_uk_day(day: date) -> datetime:
    """The last second of a UK calendar day, as UTC: when a round chosen to close that day
    stops taking answers."""
    return datetime.combine(day, time(23, 59, 59), UK).astimezone(UTC)
