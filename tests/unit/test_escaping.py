"""The result page's shortcuts write the same characters as what they replace: ``escape_output``
as markupsafe's ``escape``, a catalog format's text fields as Markup's ``%``, ``encode_query``
as ``urlencode``."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Flask
from jinja2 import Environment as PlainEnvironment
from jinja2 import Undefined
from markupsafe import Markup, escape

from core.escaping import escape_output
from core.query_text import encode_query
from core.templating import Environment

VALUES = ["", "plain", "a&b<c>\"d'", "期限：<strong>", Markup("<b>safe</b>"), Markup("a &amp; b"), 0, 12, 1.5,
          True, None, ["<x>"], {"k": "<v>"}, Undefined(), type("Html", (), {"__html__": lambda self: "<i>as is</i>"})()]


@pytest.mark.parametrize("value", VALUES)
def test_escape_output_writes_what_escape_writes(value):
    assert escape_output(value) == str(escape(value))
    assert isinstance(escape_output(value), str)


@pytest.mark.parametrize("source", [
    "{{ a }}{{ b }}{{ c }}", "{% set s %}<i>{{ a }}</i>{% endset %}{{ s }}{{ s | length }}",
    "{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(a) }}{{ m(b) ~ a }}", "{{ a ~ b }}{{ (a | e) ~ c }}",
    "{% autoescape false %}{{ a }}{% endautoescape %}{{ a }}", "{{ c }}{{ d }}{{ u }}",
])
def test_templates_render_as_jinja_renders_them(source):
    context = {"a": "<a&>", "b": Markup("<b>"), "c": 3, "d": None}
    assert (Environment(Flask(__name__), autoescape=True).from_string(source).render(**context)
            == PlainEnvironment(autoescape=True).from_string(source).render(**context))


@pytest.mark.parametrize("msgid, variables", [
    ("%(date)s（%(wareki)s）", {"date": Markup("<strong>x</strong>"), "wareki": "<&>"}),
    ("%(n)s人目", {"n": 3}),
    ("%(event)sの手続き", {"event": "a\"b'c"}),
    ("%(n)s歳", {"n": None}),
])
def test_catalog_formats_with_text_fields_format_as_markup_does(msgid, variables):
    from core.i18n import bound_gettext
    from core.words import catalog
    for code in ("ja", "en", "easy"):
        env = Environment(Flask(__name__), autoescape=True)
        env.globals["_"] = bound_gettext(catalog(code))["gettext"]
        rendered = env.from_string("{{ _(msgid, **variables) }}").render(msgid=msgid, variables=variables)
        assert rendered == str(Markup(catalog(code).ugettext(msgid)) % variables)


@pytest.mark.parametrize("query, doseq", [
    ([("date", "2026-04-01"), ("f.spouse", "yes"), ("m0.age", "36")], False),
    ([("q", "住民票 の写し"), ("x", "a&b=c+d/e?"), ("long", "長" * 200)], False),
    ({"lang": ["en"]}, True), ({"k": ["a b", "c&d", "é"]}, True), ({"n": 3, "b": b"by tes"}, False),
])
def test_encode_query_is_urlencode(query, doseq):
    assert encode_query(query, doseq) == urlencode(query, doseq)
    assert encode_query(query, doseq) == urlencode(query, doseq)  # from the memo
