"""The site's header as a user works it, at any width."""

import re


def log_out(page) -> None:
    """Log out from the header; below 1280 px the signed-in menu is folded behind its
    toggle, which a phone user opens first."""
    button = page.get_by_role("button", name=re.compile("^Log out"))
    toggle = page.locator(".site-menu-toggle summary")
    if toggle.is_visible() and not button.is_visible():
        toggle.click()
    button.click()


def menu_link(page, name):
    """A link of the header's menu, unfolding the menu first where it is folded."""
    link = page.locator(".site-menu").get_by_role("link", name=name)
    toggle = page.locator(".site-menu-toggle summary")
    if toggle.is_visible() and not link.is_visible():
        toggle.click()
    return link
