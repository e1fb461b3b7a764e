"""Rate counters of rate quotas: ``base.py`` is the interface, one file per backend."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from lakeworks.errors import InvalidInputError
from lakeworks.security.rates.base import RateCapabilities, Rates
from lakeworks.security.rates.local import LocalRates

if TYPE_CHECKING:
    from lakeworks.config import Settings

_REDIS = ("redis://", "rediss://", "unix://")


def rate_url(settings: Settings) -> str | None:
    """Where rate quotas are counted: ``quota_url``, else the online store's or the event
    log's Redis (the first that is Redis); None: in each process."""
    if settings.quota_url:
        return settings.quota_url
    for url in (settings.online_url, settings.events_url):
        if url and url.startswith(_REDIS):
            return url
    return None


def rates_from_settings(settings: Settings) -> Rates:
    """Counts shared through Redis when ``rate_url`` names one, else in this process."""
    url = rate_url(settings)
    if url is None or url == "local":
        return LocalRates()
    if not url.startswith(_REDIS):
        raise InvalidInputError(
            f"unknown quota counter URL {url!r}",
            hint="use redis://host:6379/0, or 'local' to count rate quotas in each process",
            setting="quota_url",
            expected="redis://... or local",
            found=url,
        )
    from lakeworks.security.rates.redis import RedisRates

    parts = urlsplit(url)  # ?prefix=team-a keys the counts under "team-a:" (a shared Redis)
    query = parse_qs(parts.query)
    prefix = query.pop("prefix", ["lw"])[-1]
    rest = urlencode(query, doseq=True)
    return RedisRates(urlunsplit(parts._replace(query=rest)), prefix=prefix)


__all__ = ["LocalRates", "RateCapabilities", "Rates", "rate_url", "rates_from_settings"]
