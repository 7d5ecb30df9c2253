"""core.templating: ``a.b`` on a dict reads the key first, with Jinja's own results."""
from __future__ import annotations

import flask
import jinja2
import pytest
from flask import Flask

from core.templating import Environment, init_templating, memoised_url_for

CASES = [
    ("{{ d.a }}", {"d": {"a": 1}}),
    ("{{ d.missing is defined }}", {"d": {"a": 1}}),
    ("{{ d.items is defined }}|{{ d.get('a') }}", {"d": {"items": "key", "a": 2}}),  # the class's names win
    ("{{ d.keys | list if false else 'x' }}", {"d": {"keys": 3}}),
    ("{{ o.real }}|{{ o.nothing is defined }}", {"o": 5}),
    ("{{ d.a.b }}", {"d": {"a": {"b": "<i>"}}}),
    ("{% for k in d.list %}{{ k }}{% endfor %}", {"d": {"list": [1, 2]}}),
]


@pytest.mark.parametrize(("source", "context"), CASES)
def test_same_output_as_jinja(source, context):
    app = Flask(__name__)
    app.jinja_environment = Environment
    ours = app.jinja_env.from_string(source).render(**context)
    plain = jinja2.Environment(autoescape=True).from_string(source).render(**context)
    assert ours == plain


def test_a_missing_key_is_undefined_and_strict_undefined_still_raises():
    app = Flask(__name__)
    app.jinja_environment = Environment
    env = app.jinja_env
    assert env.getattr({"a": 1}, "b").__class__ is env.undefined
    env.undefined = jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ d.b }}").render(d={})


def test_the_app_uses_it(app):
    assert isinstance(app.jinja_env, Environment)


def _memo_app():
    app = Flask(__name__)
    app.jinja_environment = Environment

    @app.get("/p/<pid>")
    def page(pid):
        return pid

    bp = flask.Blueprint("b", __name__, url_prefix="/b")

    @bp.get("/x")
    def x():
        return "x"
    app.register_blueprint(bp)
    init_templating(app)
    return app


URLS = ["{{ url_for('page', pid='a b') }}", "{{ url_for('page', pid='x', q='1&2') }}",
        "{{ url_for('static', filename='css/app.css') }}", "{{ url_for('b.x') }}",
        "{{ url_for('page', pid='y', _anchor='top') }}", "{{ url_for('page', pid='y', _external=True) }}"]


@pytest.mark.parametrize("source", URLS)
@pytest.mark.parametrize("root", ["", "/sub"])
def test_memoised_url_for_builds_flasks_urls(source, root):
    app = _memo_app()
    with app.test_request_context("/", environ_base={"SCRIPT_NAME": root}):
        expected = flask.render_template_string(source.replace("url_for(", "real_url_for("), real_url_for=app.url_for)
        assert flask.render_template_string(source) == expected  # first built
        assert flask.render_template_string(source) == expected  # then from the memo
    with app.test_request_context("/", environ_base={"SCRIPT_NAME": "/other"}):  # another root: its own URLs
        expected = flask.render_template_string(source.replace("url_for(", "real_url_for("), real_url_for=app.url_for)
        assert flask.render_template_string(source) == expected


def test_a_url_is_built_once_then_read_from_the_memo():
    app = _memo_app()
    built = []
    real = app.url_for
    app.url_for = lambda endpoint, **values: built.append(endpoint) or real(endpoint, **values)
    memoised = memoised_url_for(app)
    with app.test_request_context("/"):
        for _ in range(3):
            assert memoised("page", pid="a") == "/p/a"
            assert memoised("static", filename="x.css") == "/static/x.css"
        assert memoised(".page", pid="a") == "/p/a"  # relative endpoints: built each time
    assert built == ["page", "static", ".page"]


def test_url_defaults_turn_the_memo_off():
    app = _memo_app()
    with app.test_request_context("/"):
        assert flask.render_template_string("{{ url_for('page', pid='a') }}") == "/p/a"
    app.url_defaults(lambda endpoint, values: values.setdefault("v", "1") if endpoint == "page" else None)
    with app.test_request_context("/"):
        assert flask.render_template_string("{{ url_for('page', pid='a') }}") == "/p/a?v=1"


def test_the_app_memoises_its_templates_url_for(app):
    assert app.jinja_env.globals["url_for"] is not app.url_for
    with app.test_request_context("/"):
        assert app.jinja_env.globals["url_for"]("pages.procedure", pid="tennyu") == flask.url_for("pages.procedure", pid="tennyu")


BLOCK = "{% call fragment('x', key) %}<b>{{ word }}</b>{{ _('期限') }}{% endcall %}"


def test_a_fragment_is_rendered_once_per_key_and_language(app):
    """Per key (and the page's language, added by the memo): the block runs once, later pages
    reuse its HTML. Outside TESTING nothing checks a hit again."""
    app.testing = False
    try:
        with app.test_request_context("/"):
            assert flask.render_template_string(BLOCK, key=1, word="a&b") == "<b>a&amp;b</b>期限"
            assert flask.render_template_string(BLOCK, key=1, word="other") == "<b>a&amp;b</b>期限"  # the memo's
            assert flask.render_template_string(BLOCK, key=2, word="other") == "<b>other</b>期限"
        with app.test_request_context("/?lang=en"):
            assert flask.render_template_string(BLOCK, key=1, word="en") == "<b>en</b>Deadline"
    finally:
        app.testing = True


def test_under_testing_a_key_that_leaves_out_what_the_block_reads_fails(app):
    """Tests render every hit again: a fragment whose key misses something it reads is caught."""
    from core.templating import FragmentKeyError
    with app.test_request_context("/"):
        assert flask.render_template_string(BLOCK, key=3, word="a") == "<b>a</b>期限"
        assert flask.render_template_string(BLOCK, key=3, word="a") == "<b>a</b>期限"
        with pytest.raises(FragmentKeyError):
            flask.render_template_string(BLOCK, key=3, word="b")


def test_fragments_are_off_while_templates_reload(app):
    app.jinja_env.auto_reload = True
    try:
        with app.test_request_context("/"):
            assert flask.render_template_string(BLOCK, key=4, word="a") == "<b>a</b>期限"
            assert flask.render_template_string(BLOCK, key=4, word="b") == "<b>b</b>期限"
    finally:
        app.jinja_env.auto_reload = False


def test_template_calls_take_the_short_way_with_the_same_results():
    """core.templating.CallContext: plain functions and macros called directly; a function that
    asks for the context, the eval context or the environment still gets it; a StopIteration
    still reads as undefined."""
    from jinja2 import Environment as JinjaEnvironment
    from jinja2 import pass_context, pass_environment, pass_eval_context

    from core.templating import CallContext

    class Env(JinjaEnvironment):
        context_class = CallContext

    def stop():
        raise StopIteration

    env = Env(autoescape=True)
    env.globals.update(
        plain=lambda x, y="": f"<{x}{y}>",
        with_context=pass_context(lambda ctx, x: f"{ctx['who']}:{x}"),
        with_eval=pass_eval_context(lambda ectx, x: f"{ectx.autoescape}:{x}"),
        with_env=pass_environment(lambda e, x: f"{e is env}:{x}"),
        stop=stop, who="w")
    source = ("{% macro m(a) %}[{{ a }}{{ caller() if caller else '' }}]{% endmacro %}"
              "{{ plain('a', y='b') }}|{{ with_context('c') }}|{{ with_eval('d') }}|{{ with_env('e') }}|"
              "{% for i in [1] %}{{ m(i) }}{% call m(2) %}c{% endcall %}{{ plain(i) }}{% endfor %}|"
              "{{ stop() is undefined }}|{{ 'x'.upper() }}")
    assert env.from_string(source).render() == \
        "&lt;ab&gt;|w:c|True:d|True:e|[1][2c]&lt;1&gt;|True|X"
