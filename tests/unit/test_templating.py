"""core.templating: ``a.b`` on a dict reads the key first, with Jinja's own results."""
from __future__ import annotations

import jinja2
import pytest
from flask import Flask

from core.templating import Environment

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
