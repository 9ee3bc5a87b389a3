"""Who may import, written once; the views and services ask these functions."""

from partnerships.permissions import can_create_partnership


def can_import(user) -> bool:
    """Those who create partnerships (editors of an NGO or a police agency, and site
    administrators): what a file may change is then decided row by row, by who edits each
    partnership (``imports.planning``)."""
    return can_create_partnership(user)


def can_see_job(user, job) -> bool:
    """An import's file and findings are its uploader's alone."""
    return user.is_authenticated and job.created_by_id == user.pk


def can_apply(user, job) -> bool:
    return can_import(user) and can_see_job(user, job)
