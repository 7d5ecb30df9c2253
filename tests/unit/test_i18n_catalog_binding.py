"""Templates translate through one Babel catalog bound per locale (core/i18n.py, issue 10):
the words must be exactly those of flask-babel's own template gettext, for every message of the
catalog, in both languages, with and without variables, escaped the same way."""
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import render_template_string

PO = Path(__file__).resolve().parents[2] / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _msgids() -> list[str]:
    with PO.open("rb") as f:
        catalog = read_po(f)
    return [m.id for m in catalog if m.id and isinstance(m.id, str) and "%(" not in m.id]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_message_reads_as_flask_babel_would_give_it(app, lang):
    ids = _msgids()
    assert len(ids) > 100
    source = "{% for s in ids %}{{ _(s) }}\n{% endfor %}"
    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()
        ours = render_template_string(source, ids=ids)  # context processor: the bound catalog
        theirs = app.jinja_env.from_string(source).render(ids=ids)  # flask-babel's globals
    assert ours == theirs
    if lang == "en":
        assert "Procedure guide" in ours or ours != "\n".join(ids) + "\n"  # really translated


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_variables_escaping_and_percent_signs_match(app, lang):
    source = ("{{ _('%(event)sの手続き', event=ev) }}|{{ _('必要な手続きは%(n)s件です。', n=3) }}|"
              "{{ _('100%%') }}|{{ gettext('加古川市') }}|{{ ngettext('%(num)s件', '%(num)s件', 2) }}|"
              "{{ pgettext('weekday', '月') }}")
    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()
        ours = render_template_string(source, ev="<b>転入</b>")
        theirs = app.jinja_env.from_string(source).render(ev="<b>転入</b>")
    assert ours == theirs
    assert "&lt;b&gt;" in ours and "100%|" in ours


def test_a_catalog_is_bound_once_and_reused(app):
    from flask_babel import get_translations

    from core.i18n import bound_gettext

    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        catalog = get_translations()
        assert bound_gettext(catalog) is bound_gettext(catalog)


@pytest.mark.parametrize("lang", ["ja", "en", "zh"])
def test_a_format_is_reused_with_other_values(app, lang):
    """The translated format of a string with variables is kept per catalog: each call still
    formats (and escapes) its own values."""
    source = "{% for v in values %}{{ _('（%(name)s）', name=v) }}|{% endfor %}"
    values = ["a", "<b>", "100%", "c&d"]
    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()
        ours = render_template_string(source, values=values)
        theirs = app.jinja_env.from_string(source).render(values=values)
    assert ours == theirs
    assert "&lt;b&gt;" in ours and "100%" in ours and "c&amp;d" in ours


@pytest.mark.parametrize("lang", ["ja", "easy", "en", "zh", "ko", "vi", "pt"])
def test_japanese_only_is_the_same_mark_in_every_language(app, lang):
    from core.i18n import japanese_only

    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()
        ours = render_template_string("{{ japanese_only() }}")
        assert ours == str(japanese_only())
    assert (ours == "") == (lang in ("ja", "easy"))


@pytest.mark.parametrize("lang", ["ja", "easy", "en", "zh", "ko", "vi", "pt"])
def test_the_cards_hidden_link_words_read_as_the_templates_gettext(lang):
    """guide.presenter words 「（%(name)s）」 after a card's links as plain text, which the page
    escapes whole; the template's _() escaped only the name. The same bytes as long as no
    catalog puts markup in these brackets."""
    from markupsafe import Markup, escape

    from core.words import catalog, text

    name = '<b>"転入届" & 住民票</b>'
    assert escape(text(lang, "（%(name)s）", name=name)) == Markup(catalog(lang).ugettext("（%(name)s）")) % {"name": name}
