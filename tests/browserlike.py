"""Post a page's form the way a browser does: every successful control of that form (hidden
inputs, selected options, checked boxes, textareas) plus only the button that was pressed.

Tests that post a hand-picked dict can miss what a real browser sends: two controls of one
form with the same name (the 「自分が担当する」 button and the assignee select) are sent
together, and the server sees both. This module sends exactly what Chromium would."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

SUBMIT_TYPES = {"submit", "image"}
NOT_SENT = {"reset", "button", "file"}


@dataclass
class Control:
    tag: str  # input, select, textarea, button
    name: str
    type: str = ""
    value: str = ""
    checked: bool = False
    disabled: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # select: (value, selected)
    multiple: bool = False


@dataclass
class Form:
    action: str
    method: str
    id: str = ""
    controls: list[Control] = field(default_factory=list)

    def buttons(self) -> list[Control]:
        return [c for c in self.controls if (c.tag == "button" and c.type in ("", "submit"))
                or (c.tag == "input" and c.type in SUBMIT_TYPES)]

    def data(self, button: Control | None = None) -> list[tuple[str, str]]:
        """The form data set (HTML 4.10.21.4): in document order, the pressed button only."""
        out: list[tuple[str, str]] = []
        for c in self.controls:
            if c.disabled or not c.name:
                continue
            if c.tag == "button" or (c.tag == "input" and c.type in SUBMIT_TYPES):
                if c is button:
                    out.append((c.name, c.value))
                continue
            if c.tag == "input" and c.type in NOT_SENT:
                continue
            if c.tag == "input" and c.type in ("checkbox", "radio"):
                if c.checked:
                    out.append((c.name, c.value or "on"))
            elif c.tag == "select":
                chosen = [v for v, sel in c.options if sel]
                if not chosen and c.options and not c.multiple:
                    chosen = [c.options[0][0]]
                out.extend((c.name, v) for v in chosen)
            else:
                out.append((c.name, c.value))
        return out


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._owned: list[tuple[str, Control]] = []  # controls joined to a form by its id (form="…")
        self._select: Control | None = None
        self._option: list | None = None  # [value or None, selected, text]
        self._textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower(), id=a.get("id", ""))
            self.forms.append(self._form)
            return
        if tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
            return
        disabled = "disabled" in a
        if tag == "input":
            control = Control("input", a.get("name", ""), a.get("type", "text").lower(), a.get("value", ""),
                              checked="checked" in a, disabled=disabled)
        elif tag == "button":
            control = Control("button", a.get("name", ""), a.get("type", "submit").lower(), a.get("value", ""),
                              disabled=disabled)
        elif tag == "select":
            control = self._select = Control("select", a.get("name", ""), disabled=disabled,
                                             multiple="multiple" in a)
        elif tag == "textarea":
            control = self._textarea = Control("textarea", a.get("name", ""), disabled=disabled)
        else:
            return
        if a.get("form"):
            self._owned.append((a["form"], control))
        elif self._form is not None:
            self._form.controls.append(control)

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        elif self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select is not None:
            value = self._option[0] if self._option[0] is not None else self._option[2].strip()
            self._select.options.append((value, self._option[1]))
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # The parser keeps the newline after <textarea>; browsers drop it.
            self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms_of(html: str, page_url: str = "/") -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    by_id = {f.id: f for f in parser.forms if f.id}
    for owner, control in parser._owned:
        if owner in by_id:
            by_id[owner].controls.append(control)
    for f in parser.forms:
        f.action = path_only(urljoin(page_url, f.action or page_url))
    return parser.forms


def path_only(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def find_form(html: str, action: str, page_url: str = "/", index: int = 0) -> Form:
    """The ``index``-th form of the page whose action (without its query) ends with ``action``."""
    forms = forms_of(html, page_url)
    matches = [f for f in forms if f.action == action] or \
        [f for f in forms if f.action.split("?")[0].endswith(action)]
    assert len(matches) > index, f"no form posting to {action} on {page_url}"
    return matches[index]


def form_fields(html: str, *, action_endswith: str | None = None, form_id: str | None = None,
                page_url: str = "/") -> dict[str, str]:
    """What the browser would send from the form with ``form_id`` (or the first whose action ends
    with ``action_endswith``), without pressing a named button: name → first value."""
    for form in forms_of(html, page_url):
        if (form_id and form.id == form_id) or (action_endswith and form.action.split("?")[0].endswith(action_endswith)):
            out: dict[str, str] = {}
            for name, value in form.data():
                out.setdefault(name, value)
            return out
    raise AssertionError(f"no form {form_id or action_endswith} on the page")


def submit(client, page_url: str, action: str, fill: dict[str, str | list[str]] | None = None,
           button: str | None = None, html: str | None = None, index: int = 0):
    """Load ``page_url`` (unless ``html`` is given), take the form posting to ``action``, change
    the controls named in ``fill`` as a user would (type into a field, pick a radio or an option,
    tick boxes), press the submit button whose value or name is ``button`` (else the first), and
    post exactly what a browser would. Returns the response."""
    if html is None:
        r = client.get(page_url)
        assert r.status_code == 200, (page_url, r.status_code)
        html = r.get_data(as_text=True)
    form = find_form(html, action, page_url, index)
    for name, value in (fill or {}).items():
        _fill(form, name, value)
    buttons = form.buttons()
    pressed = None
    if button is not None:
        pressed = next((b for b in buttons if button in (b.value, b.name)), None)
        assert pressed is not None, f"no button {button!r} in the form posting to {action}"
    elif buttons:
        pressed = buttons[0]
    data = form.data(pressed)
    if form.method == "get":
        return client.get(form.action, query_string=data)
    return client.post(form.action, data=_multi(data))


def _fill(form: Form, name: str, value: str | list[str]) -> None:
    controls = [c for c in form.controls if c.name == name and c.tag != "button"]
    assert controls, f"no control named {name!r} in the form posting to {form.action}"
    values = value if isinstance(value, list) else [value]
    for c in controls:
        if c.tag == "input" and c.type in ("checkbox", "radio"):
            c.checked = c.value in values
        elif c.tag == "select":
            known = [v for v, _ in c.options]
            assert all(v in known for v in values), f"{values} not among the options of {name}: {known}"
            c.options = [(v, v in values) for v, _ in c.options]
        else:
            c.value = values[0]


def _multi(pairs: list[tuple[str, str]]):
    from werkzeug.datastructures import MultiDict
    return MultiDict(pairs)
