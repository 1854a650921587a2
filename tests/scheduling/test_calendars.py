"""Calendars of excluded days: public holidays by country and subdivision (the holidays package),
custom dates, weekends, the days of a year, and definitions refused with the field named."""

from __future__ import annotations

from datetime import date

import pytest

from chronos.scheduling.calendars import Calendar, CalendarError, build_calendar


def test_public_holidays_of_a_country_in_english():
    germany = build_calendar({"name": "Germany", "country": "DE"})
    assert germany.excludes(date(2026, 12, 25)) == "Christmas Day"
    assert germany.excludes(date(2026, 10, 3)) == "German Unity Day"
    assert germany.excludes(date(2026, 4, 3)) == "Good Friday"  # Easter moves: 2026's Good Friday
    assert germany.excludes(date(2027, 3, 26)) == "Good Friday"  # and 2027's
    assert germany.excludes(date(2026, 12, 23)) is None
    # Epiphany is a holiday in Bavaria, not in the whole country.
    assert germany.excludes(date(2026, 1, 6)) is None
    japan = build_calendar({"name": "Japan", "country": "jp"})
    assert japan.excludes(date(2026, 1, 12)) == "Coming of Age Day"


def test_a_subdivision_adds_its_own_holidays():
    bavaria = build_calendar({"name": "Bavaria", "country": "DE", "subdivision": "by"})
    assert bavaria.country == "DE" and bavaria.subdivision == "BY"
    assert bavaria.excludes(date(2026, 1, 6)) == "Epiphany"
    assert bavaria.excludes(date(2026, 6, 4)) == "Corpus Christi"
    scotland = build_calendar({"name": "Scotland", "country": "GB", "subdivision": "SCT"})
    england = build_calendar({"name": "England", "country": "GB", "subdivision": "ENG"})
    assert scotland.excludes(date(2026, 11, 30)) == "Saint Andrew's Day"
    assert england.excludes(date(2026, 11, 30)) is None
    california = build_calendar({"name": "California", "country": "US", "subdivision": "CA"})
    assert california.excludes(date(2026, 3, 31)) == "Cesar Chavez Day"
    # An observed holiday is a holiday: 4 July 2026 is a Saturday, observed on Friday the 3rd.
    assert california.excludes(date(2026, 7, 3)) == "Independence Day (observed)"


def test_weekends_and_custom_dates():
    office = build_calendar({"name": "Office", "dates": ["2026-12-24", "2026-12-31"], "weekends": True})
    assert office.excludes(date(2026, 12, 5)) == "Saturday"
    assert office.excludes(date(2026, 12, 6)) == "Sunday"
    assert office.excludes(date(2026, 12, 7)) is None
    assert office.excludes(date(2026, 12, 24)) == "excluded date"
    assert office.excludes(date(2027, 12, 24)) is None  # a custom date is that date only


def test_a_day_can_be_excluded_for_several_reasons():
    calendar = build_calendar({"name": "All", "country": "DE", "dates": ["2026-12-26"], "weekends": True})
    # 26 December 2026 is a Saturday, a holiday and a custom date.
    assert calendar.reasons(date(2026, 12, 26)) == ("excluded date", "Second Day of Christmas", "Saturday")
    assert calendar.excludes(date(2026, 12, 26)) == "excluded date"


def test_the_days_of_a_year():
    weekends = build_calendar({"name": "Weekends", "weekends": True})
    days = weekends.days(2026)
    assert len(days) == 104  # 2026 has 52 Saturdays and 52 Sundays
    assert days[0].day == date(2026, 1, 3) and days[0].reasons == ("Saturday",)
    assert [d.day for d in days] == sorted(d.day for d in days)
    germany = build_calendar({"name": "Germany", "country": "DE"})
    holidays_2026 = {d.day: d.reasons for d in germany.days(2026)}
    assert len(holidays_2026) == 9
    assert holidays_2026[date(2026, 1, 1)] == ("New Year's Day",)
    assert holidays_2026[date(2026, 5, 14)] == ("Ascension Day",)
    assert all(day.year == 2026 for day in holidays_2026)
    assert Calendar(name="Nothing").days(2026) == []


@pytest.mark.parametrize(
    "definition,field,words",
    [
        ({"country": "DE"}, "name", "needs a name"),
        ({"name": "   "}, "name", "needs a name"),
        ({"name": "x" * 101}, "name", "At most 100"),
        ({"name": "A", "country": "XX"}, "country", "Unknown country code 'XX'"),
        ({"name": "A", "country": "Germany"}, "country", "ISO 3166"),
        ({"name": "A", "country": 49}, "country", "string"),
        (
            {"name": "A", "country": "DE", "subdivision": "ZZ"},
            "subdivision",
            "Unknown subdivision 'ZZ' of DE",
        ),
        ({"name": "A", "subdivision": "BY"}, "subdivision", "needs a country"),
        ({"name": "A", "dates": ["2026-02-30"]}, "dates", "'2026-02-30' is not an ISO date"),
        ({"name": "A", "dates": ["24/12/2026"]}, "dates", "not an ISO date"),
        ({"name": "A", "dates": "2026-12-24"}, "dates", "list of ISO dates"),
        ({"name": "A", "dates": [20261224]}, "dates", "not an ISO date"),
        ({"name": "A", "weekends": "yes"}, "weekends", "true or false"),
    ],
)
def test_bad_definitions_name_the_field(definition, field, words):
    with pytest.raises(CalendarError, match=words) as raised:
        build_calendar(definition)
    assert raised.value.field == field


def test_unknown_subdivision_lists_the_known_ones():
    with pytest.raises(CalendarError) as raised:
        build_calendar({"name": "A", "country": "DE", "subdivision": "XY"})
    assert "BY" in str(raised.value) and "BE" in str(raised.value)
