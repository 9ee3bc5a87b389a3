"""Choices shared by the models, their querysets (which the models import) and the risk
rule (``risk.py``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskLevel(models.TextChoices):
    """Derived from an agreement's data-sharing terms, never typed in (see the risk rule)."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class DataCategory(models.TextChoices):
    AGGREGATE_STATISTICS = "aggregate_statistics", _("Aggregate statistics")
    CASE_RECORDS = "case_records", _("Case records")
    PERSONAL_IDENTIFIABLE = "personal_identifiable", _("Personally identifiable data")
    SPECIAL_CATEGORY = (
        "special_category",
        _("Special-category data (health, ethnicity, sexuality, religion)"),
    )
    VICTIM_RECORDS = "victim_records", _("Victim records")
    LOCATION_DATA = "location_data", _("Location data")
    CCTV_FOOTAGE = "cctv_footage", _("CCTV footage")
    BODY_WORN_CAMERA_FOOTAGE = "body_worn_camera_footage", _("Body-worn camera footage")
    SOCIAL_MEDIA_DATA = "social_media_data", _("Social media data")
    BIOMETRIC_DATA = "biometric_data", _("Biometric data")


class Direction(models.TextChoices):
    NGO_TO_POLICE = "ngo_to_police", _("NGO to police")
    POLICE_TO_NGO = "police_to_ngo", _("Police to NGO")
    BIDIRECTIONAL = "bidirectional", _("Both ways")


class SurveillancePractice(models.TextChoices):
    NONE = "none", _("None")
    PREDICTIVE_POLICING = "predictive_policing", _("Predictive policing")
    BODY_WORN_CAMERAS = "body_worn_cameras", _("Body-worn cameras")
    CCTV_MONITORING = "cctv_monitoring", _("CCTV monitoring")
    SOCIAL_MEDIA_MONITORING = "social_media_monitoring", _("Social media monitoring")
    FACIAL_RECOGNITION = "facial_recognition", _("Facial recognition")
    LICENSE_PLATE_READERS = "license_plate_readers", _("Licence plate readers")
    OTHER = "other", _("Other")
