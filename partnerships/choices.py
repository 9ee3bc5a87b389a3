"""Choices shared by the models and their querysets (which the models import)."""

from django.db import models


class Region(models.TextChoices):
    AFRICA = "africa", "Africa"
    ASIA = "asia", "Asia"
    EUROPE = "europe", "Europe"
    LATIN_AMERICA = "latin_america", "Latin America"
    MIDDLE_EAST = "middle_east", "Middle East"
    NORTH_AMERICA = "north_america", "North America"
    OCEANIA = "oceania", "Oceania"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    RESTRICTED = "restricted", "Restricted"
