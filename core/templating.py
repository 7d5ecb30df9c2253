"""The templates' Jinja environment: ``a.b`` on a plain dict reads the key first.

Jinja's ``a.b`` tries ``getattr(a, "b")`` and then ``a["b"]``; on a dict (the guide's answers
and views are dicts) the attribute lookup fails first, raising and catching an AttributeError,
some 700 times per result page. A plain dict has no attributes but its class's (``items``,
``get`` …), so for any other name the key is all ``getattr`` could ever find: read it directly.
Same values, same Undefined, same precedence for the class's names.
"""
from __future__ import annotations

from typing import Any

from flask.templating import Environment as FlaskEnvironment

_DICT_NAMES = frozenset(dir(dict))


class Environment(FlaskEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_NAMES:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)
