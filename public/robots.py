"""robots.txt: the public pages may be indexed; the staff and admin pages may not."""

from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

DISALLOWED = ("/accounts/", "/admin/", "/oversight/")


@require_GET
def robots_txt(request):
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in DISALLOWED]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
