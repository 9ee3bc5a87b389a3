"""The transparency reports of the partnership page, as an inclusion tag: the public pages
never import this app (it sits above them only to read them)."""

from django import template

from ..models import Report
from ..permissions import can_request_report

register = template.Library()


@register.inclusion_tag("reports/_partnership_reports.html", takes_context=True)
def partnership_reports(context, partnership, as_public=True):
    """The partnership's published reports (newest year, newest version first); for its
    members, its drafts too, and the button that requests this year's draft."""
    request = context["request"]
    user = request.user
    reports = Report.objects.public() if as_public else Report.objects.visible_to(user)
    reports = list(reports.filter(partnership=partnership).order_by("-year", "-version"))
    return {
        "partnership": partnership,
        "reports": reports,
        "can_request": not as_public and can_request_report(user, partnership),
        "csrf_token": context.get("csrf_token"),
    }
