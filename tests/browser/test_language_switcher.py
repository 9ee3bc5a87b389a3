"""A reader switches the interface's language from the registry with a filter in force: the
page stays filtered and reads in French, and the switcher passes axe-core."""

import re

import pytest
from django.templatetags.static import static

from tests.public_registry import build_registry

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def switcher_violations(page) -> list[str]:
    """axe-core's serious and critical violations within the language switcher."""
    page.add_script_tag(url=static("vendor/axe-core/axe.min.js"))
    result = page.evaluate(
        "async () => await axe.run({include: [['form.language-switcher']]},"
        " {resultTypes: ['violations']})"
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [390, 1280])
def test_switching_to_french_keeps_the_registry_filtered(page, live_server, width):
    build_registry()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/partnerships/?region=europe")
    assert page.locator("html").get_attribute("lang") == "en"
    rows = page.locator("table.registry tbody tr")
    europe = rows.count()
    assert europe >= 1
    switcher = page.get_by_role("form", name="Language")
    assert switcher.is_visible()
    assert switcher_violations(page) == []

    switcher.get_by_role("button", name="Français").click()
    page.wait_for_url(re.compile(r"/partnerships/\?region=europe$"))
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Registre des partenariats"
    # The same filter, the same rows, their controlled values in French.
    assert page.get_by_label("Europe").is_checked()
    assert page.locator("table.registry tbody tr").count() == europe
    assert "Trafficking Watch Coalition" not in page.locator("table.registry").inner_text()
    french = page.get_by_role("form", name="Langue")
    assert french.get_by_role("button", name="Français").get_attribute("aria-current") == "true"
    assert switcher_violations(page) == []

    # The choice is remembered: another page reads in French too.
    page.goto(live_server.url + "/methodology/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Méthodologie"
