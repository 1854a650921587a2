"""Calendars of excluded days: public holidays, custom dates and weekends (pure logic, no database).

A calendar definition — `{name, country, subdivision, dates, weekends}` as the API will store it —
becomes a `Calendar` with `build_calendar`, which checks every field and says which one is wrong
(`CalendarError.field`). A built calendar answers "is this local date excluded, and why"
(`excludes`) and lists its days for a year (`days`); `cron.upcoming_runs` takes built calendars.

Public holidays come from the `holidays` package by ISO 3166 country code and, optionally, its
subdivision code (a state, province, nation: "US"/"CA", "DE"/"BY", "GB"/"SCT"). Their names are in
English (the package's en_US, where it has one), so the same calendar reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays

MAX_NAME_LENGTH = 100
MAX_DATES = 1000
WEEKEND_NAMES = {5: "Saturday", 6: "Sunday"}
CUSTOM_DATE = "excluded date"


class CalendarError(ValueError):
    """A calendar definition that cannot be used: `field` names the culprit, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ExcludedDay:
    """One excluded day of a calendar and every reason it is excluded."""

    day: date
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Calendar:
    """A built calendar: which local dates it excludes, and why."""

    name: str
    country: str | None = None
    subdivision: str | None = None
    dates: frozenset[date] = field(default_factory=frozenset)
    weekends: bool = False

    def reasons(self, day: date) -> tuple[str, ...]:
        """Every reason this local date is excluded (custom date, holiday names, weekend); () if none."""
        found: list[str] = []
        if day in self.dates:
            found.append(CUSTOM_DATE)
        if self.country:
            holiday = public_holidays(self.country, self.subdivision, day.year).get(day)
            if holiday:
                found.append(holiday)
        if self.weekends and day.weekday() in WEEKEND_NAMES:
            found.append(WEEKEND_NAMES[day.weekday()])
        return tuple(found)

    def excludes(self, day: date) -> str | None:
        """Why this local date is excluded (the first reason), or None when it is a business day."""
        found = self.reasons(day)
        return found[0] if found else None

    def days(self, year: int) -> list[ExcludedDay]:
        """Every excluded day of a year, in order, with its reasons."""
        result = []
        day = date(year, 1, 1)
        while day.year == year:
            found = self.reasons(day)
            if found:
                result.append(ExcludedDay(day, found))
            day += timedelta(days=1)
        return result


@lru_cache(maxsize=512)
def public_holidays(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    """The public holidays of a country (and subdivision) in a year: date → name (English)."""
    entity = holidays.country_holidays(country, subdiv=subdivision, years=year)
    if "en_US" in (getattr(entity, "supported_languages", ()) or ()):
        entity = holidays.country_holidays(country, subdiv=subdivision, years=year, language="en_US")
    return {day: str(name) for day, name in sorted(entity.items())}


@lru_cache(maxsize=1)
def supported_countries() -> dict[str, tuple[str, ...]]:
    """ISO country code → its subdivision codes, for every country the holidays package knows."""
    return {code: tuple(subdivisions) for code, subdivisions in holidays.list_supported_countries().items()}


def _text(definition: Mapping[str, Any], name: str) -> str | None:
    value = definition.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CalendarError(name, "Must be a string.")
    return value.strip()


def _dates(values: Any) -> frozenset[date]:
    if values is None:
        return frozenset()
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise CalendarError("dates", "Must be a list of ISO dates such as '2026-12-24'.")
    result = set()
    for value in values:
        if isinstance(value, date):
            result.add(value)
            continue
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            result.add(date.fromisoformat(value))
        except ValueError:
            raise CalendarError("dates", f"{value!r} is not an ISO date such as '2026-12-24'.") from None
        if len(result) > MAX_DATES:
            raise CalendarError("dates", f"At most {MAX_DATES} dates.")
    return frozenset(result)


def build_calendar(definition: Mapping[str, Any]) -> Calendar:
    """A Calendar from `{name, country, subdivision, dates, weekends}`, or CalendarError naming the field."""
    name = _text(definition, "name")
    if not name:
        raise CalendarError("name", "A calendar needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise CalendarError("name", f"At most {MAX_NAME_LENGTH} characters.")
    country = _text(definition, "country")
    subdivision = _text(definition, "subdivision")
    countries = supported_countries()
    if country is not None:
        country = country.upper()
        if country not in countries:
            raise CalendarError(
                "country",
                f"Unknown country code {country!r}; use an ISO 3166 code such as 'US', 'DE' or 'GB'.",
            )
    if subdivision is not None:
        if country is None:
            raise CalendarError("subdivision", "A subdivision needs a country.")
        known = countries[country]
        # Codes are upper case ("BY"); a few are names ("NSW Western"): match either case-blind.
        spelled = {code.upper(): code for code in known}.get(subdivision.upper())
        if spelled is None:
            hint = f"use one of {', '.join(known)}" if known else f"{country} has none"
            raise CalendarError("subdivision", f"Unknown subdivision {subdivision!r} of {country}; {hint}.")
        subdivision = spelled
    weekends = definition.get("weekends", False)
    if not isinstance(weekends, bool):
        raise CalendarError("weekends", "Must be true or false.")
    return Calendar(
        name=name,
        country=country,
        subdivision=subdivision,
        dates=_dates(definition.get("dates")),
        weekends=weekends,
    )
