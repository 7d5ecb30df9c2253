"""Post a form the way a browser does: every successful control of the form (nested in it or
joined with the ``form`` attribute), with its current value; the test then changes what a person
would type or choose. Plain html.parser, no browser."""
from __future__ import annotations

from html.parser import HTMLParser


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []  # {"id", "action", "controls": [[name, value, form_id]]}
        self.current: dict | None = None
        self.textarea: list | None = None
        self.select: list | None = None
        self.select_first: str | None = None
        self.option: dict | None = None

    def _owner(self, attrs: dict) -> str | None:
        if attrs.get("form"):
            return attrs["form"]
        return self.current["key"] if self.current else None

    def handle_starttag(self, tag: str, attrs_list: list) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag == "form":
            key = attrs.get("id") or f"form-{len(self.forms)}"
            self.current = {"key": key, "id": attrs.get("id"), "action": attrs.get("action", ""), "controls": []}
            self.forms.append(self.current)
        elif tag == "input" and attrs.get("name") is not None:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("radio", "checkbox") and "checked" not in attrs:
                return
            self._add(attrs["name"], attrs.get("value", "on" if kind in ("radio", "checkbox") else ""), attrs)
        elif tag == "textarea" and attrs.get("name"):
            self.textarea = [attrs["name"], "", self._owner(attrs)]
        elif tag == "select" and attrs.get("name"):
            self.select = [attrs["name"], None, self._owner(attrs)]
            self.select_first = None
        elif tag == "option" and self.select is not None:
            value = attrs.get("value")
            self.option = {"value": value, "text": "", "selected": "selected" in attrs}

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1] += data
        if self.option is not None:
            self.option["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "textarea" and self.textarea is not None:
            name, value, owner = self.textarea
            # a browser drops the one newline right after <textarea>
            self._append(owner, name, value[1:] if value.startswith("\n") else value)
            self.textarea = None
        elif tag == "option" and self.option is not None:
            value = self.option["value"] if self.option["value"] is not None else self.option["text"]
            if self.select_first is None:
                self.select_first = value
            if self.option["selected"]:
                self.select[1] = value
            self.option = None
        elif tag == "select" and self.select is not None:
            name, value, owner = self.select
            self._append(owner, name, value if value is not None else (self.select_first or ""))
            self.select = None

    def _add(self, name: str, value: str, attrs: dict) -> None:
        self._append(self._owner(attrs), name, value)

    def _append(self, owner: str | None, name: str, value: str) -> None:
        for form in self.forms:
            if form["key"] == owner:
                form["controls"].append((name, value))
                return
        self.pending.append((owner, name, value))

    pending: list = []


def form_fields(html: str, *, action_endswith: str | None = None, form_id: str | None = None) -> dict[str, str]:
    """The controls of the first form matching ``form_id`` or whose action ends with
    ``action_endswith``: name → value (the last one wins, as request.form.get reads the first:
    names are unique in the forms tested here)."""
    parser = _Forms()
    parser.pending = []
    parser.feed(html)
    for owner, name, value in parser.pending:  # controls placed before their form (form attribute)
        for form in parser.forms:
            if form["key"] == owner:
                form["controls"].append((name, value))
    for form in parser.forms:
        if (form_id and form["id"] == form_id) or (action_endswith and form["action"].endswith(action_endswith)):
            out: dict[str, str] = {}
            for name, value in form["controls"]:
                out.setdefault(name, value)
            return out
    raise AssertionError(f"no form {form_id or action_endswith} on the page")
