"""Durations as people say them: ``{{ term.retention_days|days_as_words }}`` gives "6 years"
for 2190 days, "3 months" for 90, "2 weeks" for 14, "45 days" for 45. A template library
(``TEMPLATES`` ``libraries``: ``{% load durations %}``)."""

from django import template

register = template.Library()

# The units a number of days is said in when it is a whole number of them (a year of 365
# days, a month of 30: how retention periods are written).
UNITS = (("year", 365), ("month", 30), ("week", 7))


@register.filter
def days_as_words(days) -> str:
    if days in (None, ""):
        return ""
    days = int(days)
    for unit, length in UNITS:
        if days >= length and days % length == 0:
            count = days // length
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{days} day{'' if days == 1 else 's'}"
