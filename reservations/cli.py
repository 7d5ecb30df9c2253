"""``flask reservations remind`` (cron, daily: the e-mail the day before) and
``flask reservations expire-holds`` (tidy-up: holds past their time give their places back;
booking does this lazily too, so this only keeps the lists clean) and ``flask reservations
purge-prefill`` (cron, hourly: households entered before a visit, after it or after 30 days)."""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app, has_request_context
from flask.cli import AppGroup
from sqlalchemy import select, update

from core import audit
from core.db import db
from core.japan_time import JST
from core.pack import rulebook
from knowledge.loader import KnowledgeBase
from knowledge.yamlfile import KnowledgeError
from reservations import booking, links, notify, prefill, visit, visit_notify
from reservations import models as m
from reservations.current import catalog as current_catalog
from reservations.loader import FILENAME as RESERVATIONS_FILE
from reservations.loader import load_catalog

reservations_cli = AppGroup("reservations", help="Counter reservations.")


def send_reminders(now: dt.datetime | None = None) -> int:
    """Queue the reminder of every confirmed booking of tomorrow (JST) not reminded yet, and one
    per visit (まとめて予約) for all its stops. Each
    booking is claimed with a conditional UPDATE (reminded_at IS NULL) in the same transaction
    as its mail, whose dedupe key is per booking: two runs, even at once, send one reminder."""
    if not has_request_context():  # cron: links are built from PUBLIC_BASE_URL (core.links.external_url)
        with current_app.test_request_context():
            return send_reminders(now)
    now = now or booking.now_utc()
    tomorrow = now.astimezone(JST).date() + dt.timedelta(days=1)
    catalog, kb = current_catalog(), rulebook().kb
    ids = list(db.session.scalars(select(m.Reservation.id).where(
        m.Reservation.day == tomorrow, m.Reservation.status == m.CONFIRMED, m.Reservation.reminded_at.is_(None),
        m.Reservation.visit_id.is_(None))))  # a visit's stops: one reminder for the visit, below
    visit_ids = list(db.session.scalars(select(m.Visit.id).where(m.Visit.day == tomorrow,
                                                                 m.Visit.status == m.CONFIRMED)))
    db.session.rollback()
    sent = 0
    for rid in ids:
        claimed = db.session.execute(
            update(m.Reservation).where(m.Reservation.id == rid, m.Reservation.reminded_at.is_(None),
                                        m.Reservation.status == m.CONFIRMED)
            .values(reminded_at=now).execution_options(synchronize_session=False)).rowcount
        if claimed:
            r = db.session.get(m.Reservation, rid)
            if notify.send_reminder(catalog, r, links.manage_url(r.number), kb):
                sent += 1
        db.session.commit()
    for vid in visit_ids:
        # the visit's stops are claimed together; the mail's key (per visit and day) is the last guard
        claimed = db.session.execute(
            update(m.Reservation).where(m.Reservation.visit_id == vid, m.Reservation.reminded_at.is_(None),
                                        m.Reservation.status == m.CONFIRMED)
            .values(reminded_at=now).execution_options(synchronize_session=False)).rowcount
        if claimed:
            v = db.session.get(m.Visit, vid)
            if visit_notify.send_reminder(catalog, v, visit.stops(v), kb):
                sent += 1
        db.session.commit()
    return sent


def expire_holds(now: dt.datetime | None = None) -> int:
    now = now or booking.now_utc()
    held = select(m.Reservation.counter_id).where(m.Reservation.status == m.HELD,
                                                  m.Reservation.hold_expires_at < now).distinct()
    counters = list(db.session.scalars(held))
    before = len(list(db.session.scalars(select(m.Reservation.id).where(
        m.Reservation.status == m.HELD, m.Reservation.hold_expires_at < now))))
    for counter_id in counters:
        booking.release_expired(counter_id, (), now)
    db.session.commit()
    return before


def reservation_problems(kb: KnowledgeBase) -> list[str]:
    """The problems of reservations.yaml against the pack (none without the file): what a
    curator's version must be free of before it is published (staff/content.py)."""
    if not (kb.directory / RESERVATIONS_FILE).exists():
        return []
    try:
        load_catalog(kb.directory.name, kb.directory.parent, kb=kb)
    except KnowledgeError as exc:
        return list(exc.problems)
    return []


@reservations_cli.command("remind")
def remind_command() -> None:
    """E-mail tomorrow's bookings (once each; run it daily, e.g. at 10:00)."""
    click.echo(f"reminders queued: {send_reminders()}")


@reservations_cli.command("expire-holds")
def expire_holds_command() -> None:
    """Give back the places of holds whose time ran out."""
    click.echo(f"holds expired: {expire_holds()}")


def purge_prefill(now: dt.datetime | None = None, *, dry_run: bool = False) -> int:
    """Households entered before a visit (事前入力) whose visit is done or cancelled, or older than
    30 days: deleted and audited (the count only: nothing personal in the record)."""
    count = prefill.purge(now, dry_run=dry_run)
    if not dry_run:
        audit.record("prefill.purge", target="visit_prefill", actor="system:purge",
                     details={"count": count, "days": prefill.RETENTION_DAYS})
    return count


@reservations_cli.command("purge-prefill")
@click.option("--dry-run", is_flag=True, help="Count only; delete nothing.")
def purge_prefill_command(dry_run: bool) -> None:
    """Delete households of visits done or cancelled, and any older than 30 days (run hourly)."""
    count = purge_prefill(dry_run=dry_run)
    click.echo(f"households {'to delete' if dry_run else 'deleted'}: {count}")
