"""Choices shared by the models, their querysets (which the models import) and the risk
rule (``risk.py``)."""

from django.db import models


class RiskLevel(models.TextChoices):
    """Derived from an agreement's data-sharing terms, never typed in (see the risk rule)."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class DataCategory(models.TextChoices):
    AGGREGATE_STATISTICS = "aggregate_statistics", "Aggregate statistics"
    CASE_RECORDS = "case_records", "Case records"
    PERSONAL_IDENTIFIABLE = "personal_identifiable", "Personally identifiable data"
    SPECIAL_CATEGORY = (
        "special_category",
        "Special-category data (health, ethnicity, sexuality, religion)",
    )
    VICTIM_RECORDS = "victim_records", "Victim records"
    LOCATION_DATA = "location_data", "Location data"
    CCTV_FOOTAGE = "cctv_footage", "CCTV footage"
    BODY_WORN_CAMERA_FOOTAGE = "body_worn_camera_footage", "Body-worn camera footage"
    SOCIAL_MEDIA_DATA = "social_media_data", "Social media data"
    BIOMETRIC_DATA = "biometric_data", "Biometric data"


class Direction(models.TextChoices):
    NGO_TO_POLICE = "ngo_to_police", "NGO to police"
    POLICE_TO_NGO = "police_to_ngo", "Police to NGO"
    BIDIRECTIONAL = "bidirectional", "Both ways"


class SurveillancePractice(models.TextChoices):
    NONE = "none", "None"
    PREDICTIVE_POLICING = "predictive_policing", "Predictive policing"
    BODY_WORN_CAMERAS = "body_worn_cameras", "Body-worn cameras"
    CCTV_MONITORING = "cctv_monitoring", "CCTV monitoring"
    SOCIAL_MEDIA_MONITORING = "social_media_monitoring", "Social media monitoring"
    FACIAL_RECOGNITION = "facial_recognition", "Facial recognition"
    LICENSE_PLATE_READERS = "license_plate_readers", "Licence plate readers"
    OTHER = "other", "Other"
