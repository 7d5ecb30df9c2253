"""The city this installation serves, as its knowledge pack says (MUNICIPALITY picks the pack).

Pages, mails, receipts and alerts name the city through here, never in code: another city is
another pack. The pack is the one of the rulebook in force, so a curator's edit of pack.yaml is
seen with the next generation like every other file of the pack.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g, has_app_context, has_request_context

if TYPE_CHECKING:  # the pack's own model; core reads it through the loaded rulebook only
    from knowledge.schema import PackFile


def city() -> PackFile:
    """The pack's own description of the city (name, homepage, domain, sender, contact)."""
    return current_app.extensions["rulebook"].current.kb.pack


def city_name(locale: str | None = None) -> str:
    """The city's name as a title (〇〇市 / 〇〇 City), in the page's language by default."""
    return city().name.get(locale or _page_locale())


def mail_from() -> str:
    """MAIL_FROM when set, else the pack's own sender."""
    return current_app.config.get("MAIL_FROM") or city().mail_from


def homepage_origin() -> str:
    """The origin of the city's own site (pages may be framed there: EMBED_ALLOWED_ORIGINS' default)."""
    if "rulebook" not in current_app.extensions:  # an app without the guide: nothing to allow
        return ""
    url = city().homepage
    kept = _ORIGINS.get(id(url))
    if kept is not None and kept[0] is url:
        return kept[1]
    origin = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port not in (None, 80, 443) else "")
    if len(_ORIGINS) > 16:  # one per pack generation in force: old ones dropped
        _ORIGINS.clear()
    _ORIGINS[id(url)] = (url, origin)
    return origin


# the homepage's origin per URL object (the pack's, as long as its generation is in force): every
# guide page sends it in its frame-ancestors header, and the URL's parts are each computed on read
_ORIGINS: dict[int, tuple[Any, str]] = {}


def _page_locale() -> str:
    return getattr(g, "locale", "ja") if has_request_context() else "ja"


def city_address(locale: str | None = None) -> str:
    """The city hall's postal address (departments.yaml city_hall), e.g. for receipts; "" if none."""
    hall = current_app.extensions["rulebook"].current.kb.city_hall
    return hall.address.get(locale or _page_locale()) if hall and hall.address else ""


def city_contact(locale: str | None = None) -> str:
    """The department residents ask about the site (pack.yaml contact_department), by its name."""
    kb = current_app.extensions["rulebook"].current.kb
    return kb.departments[kb.pack.contact_department].name.get(locale or _page_locale())


GENERIC_PHONE, GENERIC_POSTCODE = "03-1234-5678", "100-0001"  # a pack without a city hall's


def example_phone() -> str:
    """The example under phone fields: the city hall's own number (departments.yaml city_hall)."""
    if not has_app_context() or "rulebook" not in current_app.extensions:  # plain use (tests, tools)
        return GENERIC_PHONE
    hall = current_app.extensions["rulebook"].current.kb.city_hall
    return hall.phone if hall and hall.phone else GENERIC_PHONE


def example_postcode() -> str:
    """The example under postcode fields: the city hall's own (from its address)."""
    if not has_app_context() or "rulebook" not in current_app.extensions:
        return GENERIC_POSTCODE
    found = re.search(r"(\d{3}-\d{4})", city_address("ja"))
    return found.group(1) if found else GENERIC_POSTCODE


def init_city(app: Flask) -> None:
    @app.context_processor
    def _city_globals() -> dict[str, Any]:
        # `city` (the pack's PackFile), `city_name` (its name in the page's language),
        # `city_address` (the city hall's), `city_contact` (the department to ask)
        return {"city": city(), "city_name": city_name(), "city_address": city_address(),
                "city_contact": city_contact(), "example_phone": example_phone, "example_postcode": example_postcode}
