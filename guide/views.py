"""The questionnaire and result pages. Thin: routing is guide.flow, rules are rules.evaluate."""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.furigana import NOTATION
from core.i18n import LOCALES
from core.japan_time import today_in_japan
from core.links import external_url
from core.pack import rulebook
from core.query_text import encode_query
from core.security import cross_site_post, csrf, limiter, log_fields
from core.templating import url_for_memoised
from core.usage import note_procedures
from core.usage import record as record_usage
from core.words import Message
from guide import answer_samples, flow
from guide import feedback as feedback_service
from guide.answers import allowed_values, read_age, read_choice, read_count, read_date, read_question
from guide.calendar_export import result_ics
from guide.presenter import answer_rows, choice_items, present_result
from guide.qr import PACKED_PARAM, compact_url, qr_svg, unpack_answers
from rules.evaluate import evaluate
from rules.request import InvalidRequest, read_request

bp = Blueprint("guide", __name__, url_prefix="/guide", template_folder="templates")
ANSWER_KEY = re.compile(r"^(date|n|[fd]\.[a-z0-9_]+|m\d{1,2}\.[a-z0-9_]+)$")


def event_or_404(event_id: str):
    """The rulebook in force and its life event ``event_id``; 404 when the pack has no such event."""
    book = rulebook()
    event = book.kb.events.get(event_id)
    if event is None:
        abort(404)
    return book, event


def _answers() -> dict[str, str]:
    args = request.args
    if PACKED_PARAM in args:  # the compact answers of a QR code (guide/qr.py)
        args = {**unpack_answers(args[PACKED_PARAM]), **{k: v for k, v in args.items() if k != PACKED_PARAM}}
    return {k: v for k, v in args.items() if ANSWER_KEY.match(k) and len(v) <= 40}


def _query(answers: dict[str, str], **extra: str) -> str:
    pairs = sorted(answers.items()) + [(k, v) for k, v in extra.items() if v]
    return encode_query(pairs)


def _url(endpoint: str, answers: dict[str, str], query: str | None = None, **kwargs) -> str:
    """``endpoint``'s URL with the answers in the query; ``query``: the same answers' query
    already built (a page with several links to the same answers builds it once)."""
    extra = {k: kwargs.pop(k) for k in ("return_to",) if k in kwargs}
    base = url_for_memoised(endpoint, **kwargs)
    if query is None:
        query = _query(answers, **({"return": extra["return_to"]} if extra.get("return_to") else {}))
    query = "&".join(part for part in (query, _kept_lang()) if part)
    return f"{base}?{query}" if query else base


def _kept_lang() -> str:
    """``lang=…`` when this page was asked for in a language explicitly: the next page keeps it
    (in a widget's frame on the city's homepage the language cookie may be blocked)."""
    lang = request.args.get("lang")
    return encode_query({"lang": lang}) if lang in LOCALES else ""


def _public_url(endpoint: str, answers: dict[str, str], query: str | None = None, **kwargs) -> str:
    """The same link, absolute for residents (share, QR code, .ics): PUBLIC_BASE_URL through
    core/links.py, never the request's Host header."""
    url = external_url(endpoint, **kwargs)
    if query is None:
        query = _query(answers)
    return f"{url}?{query}" if query else url


@bp.get("/")
def start():
    book = rulebook()
    return render_template("guide/start.html", events=list(book.kb.events.values()))


@bp.get("/<event_id>")
def intro(event_id: str):
    book, event = event_or_404(event_id)
    steps = flow.steps(book.kb, book.vocab, event, {})
    return render_template("guide/intro.html", event=event,
                           first_url=_url("guide.page", {}, event_id=event.id, key=steps[0].key))


@bp.route("/<event_id>/<key>", methods=["GET"])
def page(event_id: str, key: str):
    book, event = event_or_404(event_id)
    answers = _answers()
    steps = flow.steps(book.kb, book.vocab, event, answers)
    by_key = {s.key: s for s in steps}
    step = by_key.get(key)
    if step is None:
        abort(404)
    return_to = request.args.get("return") if request.args.get("return") == "check" else None
    errors: dict[str, Message] = {}
    entered = dict(request.args)
    if request.args.get("submit"):
        try:
            updates = _read_page(book, event, answers, step)
        except flow.AnswerError as exc:
            errors = exc.messages
        else:
            answers.update(updates)
            answers = flow.clean(answers, book.kb, book.vocab, event)
            return redirect(_after(book, event, answers, step, return_to))
    index = steps.index(step)
    back = _url("guide.check", answers, event_id=event.id) if return_to else (
        _url("guide.page", answers, event_id=event.id, key=steps[index - 1].key) if index else
        url_for("guide.intro", event_id=event.id))
    keys = flow.step_keys(book.kb, book.vocab, event, answers, step)
    hidden = {k: v for k, v in answers.items() if k not in keys}
    if return_to:
        hidden["return"] = return_to
    if _kept_lang():
        hidden["lang"] = request.args["lang"]
    context = dict(event=event, step=step, errors=_error_list(errors), field_errors=_field_errors(errors),
                   hidden=hidden, back_url=back, values=entered if errors else _values(answers, step, keys),
                   position=index + 1, total=len(steps))
    if step.kind in ("person", "person_more"):
        questions = flow.person_questions(book.kb, book.vocab, event, answers, step)
        context["fields"] = [_field(book, q, flow.key_for(q, step.person)) for q in questions]
        context["person_label"] = _person_label(book, answers, step.person)
    elif step.kind == "question":
        context["field"] = _field(book, step.question, flow.key_for(step.question))
    elif step.kind == "count":
        context["minimum"] = 0 if event.id == "death" else 1
    status = 400 if errors else 200
    return render_template("guide/question.html", **context), status


def _read_page(book, event, answers: dict[str, str], step: flow.Step) -> dict[str, str]:
    form = request.args
    if step.kind == "date":
        return {"date": read_date(form, "date", required=True)}
    if step.kind == "count":
        return {"n": read_count(form, "n", 0 if event.id == "death" else 1)}
    if step.kind == "question":
        q = step.question
        key = flow.key_for(q)
        fact = flow.fact_def(book.vocab, q)
        return {key: read_question(form, key, q, fact)}
    updates: dict[str, str] = {}
    problems: dict[str, Message] = {}
    for q in flow.person_questions(book.kb, book.vocab, event, answers, step):
        key = flow.key_for(q, step.person)
        fact = flow.fact_def(book.vocab, q)
        try:
            updates[key] = read_age(form, key, fact) if fact.type == "int" else read_choice(form, key, q, fact)
        except flow.AnswerError as exc:
            problems.update(exc.messages)
    if problems:
        raise flow.AnswerError(problems)
    return updates


def _after(book, event, answers: dict[str, str], step: flow.Step, return_to: str | None) -> str:
    steps = flow.steps(book.kb, book.vocab, event, answers)
    pending = flow.next_step(steps, answers.keys(), book.kb, book.vocab, event, answers)
    if return_to == "check" and pending is None:
        return _url("guide.check", answers, event_id=event.id)
    if pending is not None:
        return _url("guide.page", answers, event_id=event.id, key=pending.key,
                    return_to=return_to or "")
    return _url("guide.check", answers, event_id=event.id)


def _values(answers: dict[str, str], step: flow.Step, keys: list[str]) -> dict[str, str]:
    values = {k: answers[k] for k in keys if k in answers}
    if step.kind == "date" and answers.get("date"):
        y, m, d = answers["date"].split("-")
        values.update({"date-year": y, "date-month": str(int(m)), "date-day": str(int(d))})
    for k in keys:  # a date question: split its ISO value into the three boxes
        v = answers.get(k, "")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) and k != "date":
            y, m, d = v.split("-")
            values.update({f"{k}-year": y, f"{k}-month": str(int(m)), f"{k}-day": str(int(d))})
    return values


def _field(book, question, key: str) -> dict:
    fact = flow.fact_def(book.vocab, question)
    loc = g.locale
    return {
        "key": key, "question": question, "type": fact.type if fact else "int",
        "text": question.text.get(loc), "hint": question.hint.get(loc) if question.hint else None,
        "choices": choice_items(question, fact, loc, allowed_values(question, fact), book.kb.translated_texts)
        if fact and fact.type in ("bool", "enum") else [],
        "unknown_allowed": question.unknown_allowed,
    }


def _person_label(book, answers: dict[str, str], person: int | None) -> str:
    return _("%(n)s人目の方", n=(person or 0) + 1)


def _error_list(errors: dict[str, Message]) -> list[dict[str, str]]:
    return [{"field_id": k, "message": v.text(g.locale)} for k, v in errors.items()]


def _field_errors(errors: dict[str, Message]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in errors.items():
        out[k] = v.text(g.locale)
        for suffix in ("-year", "-month", "-day"):  # date errors belong to the whole date group
            if k.endswith(suffix):
                out[k[: -len(suffix)]] = v.text(g.locale)
    return out


@bp.get("/<event_id>/check")
def check(event_id: str):
    book, event = event_or_404(event_id)
    answers = flow.clean(_answers(), book.kb, book.vocab, event)
    steps = flow.steps(book.kb, book.vocab, event, answers)
    pending = flow.next_step(steps, answers.keys(), book.kb, book.vocab, event, answers)
    query, change_query = _query(answers), _query(answers, **{"return": "check"})
    rows = answer_rows(book, event, answers, steps, g.locale,
                       change_url=lambda key: _url("guide.page", answers, change_query, event_id=event.id, key=key))
    pending_url = _url("guide.page", answers, query, event_id=event.id, key=pending.key) if pending else None
    back = _url("guide.page", answers, query, event_id=event.id, key=steps[-1].key)
    return render_template("guide/check.html", event=event, rows=rows, pending_url=pending_url,
                           result_url=_url("guide.result", answers, query, event_id=event.id), back_url=back)


def _evaluate(book, event, answers: dict[str, str]):
    body = flow.to_request(event, answers, book.vocab, g.locale)
    try:
        situation = read_request(body, book.vocab, set(book.events), today=today_in_japan())
    except InvalidRequest:
        abort(400)
    answer_samples.note(body)  # for the curators' impact preview: the answers only
    return evaluate(book, situation)


@bp.get("/<event_id>/result")
def result(event_id: str):
    book, event = event_or_404(event_id)
    answers = flow.clean(_answers(), book.kb, book.vocab, event)
    data = _evaluate(book, event, answers)
    note_procedures(p["id"] for p in data["procedures"])  # usage statistics: counts only
    log_fields(event=event.id, ruleset_version=book.version)  # the version this page was made with
    return _result_page(book, event, answers, data)


def _result_page(book, event, answers: dict[str, str], data: dict, *, errors: dict[str, Message] | None = None,
                 values: dict[str, str] | None = None):
    query = _query(answers)  # built once: every link of the page carries the same answers
    view = present_result(book, event, data, answers, g.locale)
    self_url = _public_url("guide.result", answers, query, event_id=event.id)
    stage = request.args.get("feedback") if request.method == "GET" else "thanks"
    feedback = {
        # not in a frame of another site (the city's homepage): the widget stays short
        "shown": not (request.headers.get("Sec-Fetch-Dest") == "iframe"
                      and request.headers.get("Sec-Fetch-Site") == "cross-site"),
        "stage": stage if stage in ("thanks", "done") else None,
        "action": _url("guide.feedback", answers, query, event_id=event.id),
        # the second question's choices: only its form shows them (sorting every procedure's name
        # on each result page cost about a tenth of a page)
        "choices": _missing_choices(book, {p["id"] for p in data["procedures"]}) if stage == "thanks" else [],
        "other": feedback_service.OTHER,
        "max_note": feedback_service.MAX_NOTE,
        "errors": _error_list(errors or {}), "field_errors": _field_errors(errors or {}), "values": values or {},
    }
    return render_template(
        "guide/result.html", event=event, result=data, view=view, self_url=self_url, feedback=feedback,
        # this result's own address (its answers), carried by its booking links so the booking pages lead back
        result_path=_url("guide.result", answers, query, event_id=event.id),
        check_url=_url("guide.check", answers, query, event_id=event.id),
        ics_url=_url("guide.result_ics", answers, query, event_id=event.id),
        qr_url=_url("guide.result_qr", answers, query, event_id=event.id),
    ), 400 if errors else 200


def _missing_choices(book, listed: set[str]) -> list[dict[str, str]]:
    """The pack's procedures this result did not list, by name (the second question's choices)."""
    names = ((pid, p.name.get(g.locale)) for pid, p in book.kb.procedures.items() if pid not in listed)
    # in the order of their names as read (やさしい日本語: by the furigana's readings)
    return [{"value": pid, "label": name} for pid, name in sorted(names, key=lambda item: NOTATION.sub(r"\2", item[1]))]


@bp.post("/<event_id>/result/feedback")
@limiter.limit("20 per minute;200 per day")  # per address, as other anonymous posts
@csrf.exempt  # no session token: cross_site_post() below (a result page sets no cookie)
def feedback(event_id: str):
    """「この一覧は役に立ちましたか」 (buttons ``helpful=yes|no``), then 「足りない手続きはありましたか」
    (``missing``, ``missing-note``): each kept as its own row without personal data
    (guide/feedback.py), then back to the same result (its answers are in this URL's query)."""
    if cross_site_post():  # no session token (the result page sets no cookie): where it came from
        abort(400)
    book, event = event_or_404(event_id)
    answers = flow.clean(_answers(), book.kb, book.vocab, event)
    data = _evaluate(book, event, answers)
    listed = [p["id"] for p in data["procedures"]]
    kept = {"event": event.id, "version": data["ruleset_version"], "listed": listed, "language": g.locale}
    if "helpful" in request.form:
        helpful = feedback_service.read_helpful(request.form["helpful"])
        if helpful is None:
            abort(400)
        feedback_service.record(helpful=helpful, **kept)
        record_usage("guide", "feedback", event.id)
        stage = "thanks"
    else:
        choices = [c["value"] for c in _missing_choices(book, set(listed))]
        try:
            missing = feedback_service.read_missing(request.form, choices)
        except feedback_service.FeedbackInvalid as exc:
            values = {k: request.form.get(k, "")[:feedback_service.MAX_NOTE * 2] for k in ("missing", "missing-note")}
            return _result_page(book, event, answers, data, errors=exc.messages, values=values)
        feedback_service.record(missing=missing, **kept)
        stage = "done"
    query = _query(answers, feedback=stage)
    return redirect(_url("guide.result", answers, query, event_id=event.id) + "#feedback", code=303)


@bp.get("/<event_id>/result.ics", endpoint="result_ics")
def result_ics_view(event_id: str):
    book, event = event_or_404(event_id)
    answers = flow.clean(_answers(), book.kb, book.vocab, event)
    data = _evaluate(book, event, answers)
    back = _public_url("guide.result", answers, event_id=event.id)  # the result page, not this file again
    body = result_ics(data, event.name.get(g.locale), back, book.kb.pack, g.locale)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{event.id}-deadlines.ics"'})


@bp.get("/<event_id>/result-qr.svg")
def result_qr(event_id: str):
    book, event = event_or_404(event_id)
    answers = flow.clean(_answers(), book.kb, book.vocab, event)
    target = compact_url(external_url("guide.result", event_id=event.id), answers)
    return Response(qr_svg(target), mimetype="image/svg+xml")
