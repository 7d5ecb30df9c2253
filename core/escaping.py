"""``escape_output``: markupsafe's ``escape`` for text that is only joined into a page.

``escape`` wraps every result in a new ``Markup`` (a Python-level constructor); a template's
``{{ … }}`` and a catalog format's fields are joined into a larger text at once, so the wrapper
is thrown away (about 450 per result page). Same characters as ``str(escape(value))``."""
from __future__ import annotations

from typing import Any

from markupsafe import (
    Markup,
    _escape_inner,  # the C escape markupsafe's own escape() calls (pinned version; tests/unit/test_escaping.py)
    escape,
)


def escape_output(value: Any) -> str:
    """What ``{{ value }}`` writes: markupsafe's ``escape`` without wrapping the text in a new
    ``Markup`` (a Python-level constructor, about 450 per result page) when it is only joined
    into the page. Text already Markup is written as it is; anything else goes to ``escape``."""
    if type(value) is str:
        return _escape_inner(value)
    if type(value) is Markup:
        return value
    return escape(value)
