"""Seed a PostgreSQL database for bench/load.py with realistic volumes, fast, but with rows the app
accepts as its own:

- staff accounts made by the app's own code (password hash, encrypted TOTP secret), whose login
  ids and TOTP secrets are written to ``<instance>/load-staff.json`` for the load client;
- a month of counter bookings, booked through ``reservations.booking.book`` (the real rules);
- ``audit`` audit records, their HMAC chain computed with the app's key and ``core.audit_chain``
  exactly as the writer does, streamed in with COPY, then anchored (``flask audit verify`` passes);
- ``applications`` applications cloned in SQL from real ones: the load client first walks a few
  through the web pages (draft → 署名 → 支払い → 申請), then :func:`clone_applications` copies
  their rows (the encrypted columns are copied as they are: the ciphertext's associated data is
  ``table.column``, not the row, so each copy decrypts) with fresh ids, 受付番号, dates and states.

The app's keys live under the instance directory shared by every server of the run, so the seeded
rows decrypt on all of them.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import random
import secrets
import time
from pathlib import Path

JST = dt.timezone(dt.timedelta(hours=9))
STAFF_PASSWORD = secrets.token_urlsafe(18)  # made per seeding; written with the logins for the load run
AUDIT_ACTIONS = ("staff.view", "login.success", "application.status", "staff.export", "logout",
                 "login.failure", "application.assign", "reservation.checkin")
# the states of cloned applications: those sent in the last OPEN_DAYS are still being handled
# (the inbox shows them), older ones are finished, as in a city that keeps up with its work
OPEN_DAYS = 14
OPEN_STATES = (("submitted", 40), ("reviewing", 30), ("correction", 5), ("approved", 10), ("issued", 10),
               ("completed", 5))
CLOSED_STATES = (("completed", 90), ("rejected", 4), ("withdrawn", 6))


def make_staff(app, count: int) -> list[dict]:
    """``count`` administrators (inbox and audit search), made as the app makes them."""
    from core import auth
    from core.db import db
    from core.staff_models import StaffUser
    out = []
    with app.app_context():
        for i in range(count):
            login_id = f"load.admin{i + 1}"
            user = db.session.query(StaffUser).filter_by(login_id=login_id).one_or_none()
            if user is None:
                user = StaffUser(login_id=login_id, display_name=f"負荷 試験{i + 1}", role="admin", departments="",
                                 password_hash=auth.hash_password(STAFF_PASSWORD), totp_secret=auth.new_totp_secret(),
                                 totp_last_step=0, active=True, must_change_password=False, failed_logins=0)
                db.session.add(user)
                db.session.commit()
            out.append({"login_id": login_id, "password": STAFF_PASSWORD, "totp_secret": user.totp_secret})
    return out


def book_month(app, per_day: int, days: int = 30, seed: int = 16) -> int:
    """Up to ``per_day`` web bookings a day for the next ``days`` days, through the booking rules."""
    from core.db import db
    from reservations import booking
    from reservations.current import catalog
    rng = random.Random(seed)
    made = 0
    services = app.test_client().get("/api/v1/reservations/services").get_json()["services"]
    pairs = [(s["id"], site["id"]) for s in services for site in s["sites"]]
    with app.app_context(), app.test_request_context():
        cat = catalog()
        today = dt.datetime.now(JST).date()
        for d in range(1, days + 1):
            day = today + dt.timedelta(days=d)
            free = [(service_id, site_id, a.slot.start) for service_id, site_id in pairs
                    for a in booking.availability(cat, service_id, site_id, day) if a.bookable and a.remaining > 0]
            rng.shuffle(free)
            for service_id, site_id, start in free[:per_day]:
                n = made + 1
                try:
                    booking.book(cat, service_id, site_id, start, name="負荷 試験", name_kana="フカ シケン",
                                 email=f"seed{n}@example.jp", phone=f"079{n:07d}")
                    db.session.commit()  # the views commit; the service leaves it to its caller
                    made += 1
                except booking.BookingError:
                    db.session.rollback()
    return made


def audit_rows(key: bytes, first_id: int, prev_hash: str, count: int, until: dt.datetime, actors: list[str],
               seed: int = 16):
    """``count`` chained records after (``first_id`` - 1, ``prev_hash``), a year of them up to ``until``.
    Yields (fields, prev_hash, hash) exactly as core.audit._append would have written them."""
    from core.audit_chain import record_hash
    rng = random.Random(seed)
    start = until - dt.timedelta(days=365)
    step = (until - start) / max(count, 1)
    for i in range(count):
        action = AUDIT_ACTIONS[min(int(rng.expovariate(0.9)), len(AUDIT_ACTIONS) - 1)]
        fields = {"id": first_id + i, "at": start + step * i, "actor": rng.choice(actors), "role": "admin",
                  "action": action, "target": f"application:{rng.getrandbits(64):016x}",
                  "result": "ok" if action != "login.failure" else "failed",
                  "ip": f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                  "request_id": f"{rng.getrandbits(64):016x}", "details": "{}"}
        digest = record_hash(key, prev_hash, fields)
        yield fields, prev_hash, digest
        prev_hash = digest


def seed_audit(app, count: int, actors: list[str], batch: int = 50_000) -> int:
    """Append ``count`` records to the chain with COPY, under the audit writers' lock."""
    from sqlalchemy import text

    from core.audit import PG_LOCK_ID, audit_key
    from core.audit_chain import GENESIS, iso_utc
    from core.db import db
    with app.app_context():
        key = audit_key()
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(text("SELECT pg_advisory_lock(:k)").text.replace(":k", str(PG_LOCK_ID)))
            cur.execute("SELECT id, hash FROM audit_record ORDER BY id DESC LIMIT 1")
            last = cur.fetchone()
            if last is None:
                cur.execute("SELECT last_id, last_hash FROM audit_chain_start ORDER BY id DESC LIMIT 1")
                last = cur.fetchone() or (0, GENESIS)
            columns = "id, at, actor, role, action, target, result, ip, request_id, details, prev_hash, hash"
            rows = audit_rows(key, last[0] + 1, last[1], count, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
                              actors)
            done = 0
            while done < count:
                buf = io.StringIO()
                for fields, prev, digest in (next(rows) for _ in range(min(batch, count - done))):
                    buf.write("\t".join([str(fields["id"]), iso_utc(fields["at"]), fields["actor"], fields["role"],
                                         fields["action"], fields["target"], fields["result"], fields["ip"],
                                         fields["request_id"], fields["details"], prev, digest]) + "\n")
                    done += 1
                with cur.copy(f"COPY audit_record ({columns}) FROM STDIN") as copy:
                    copy.write(buf.getvalue())
                raw.commit()
                cur.execute(text("SELECT pg_advisory_lock(:k)").text.replace(":k", str(PG_LOCK_ID)))
            cur.execute("SELECT pg_advisory_unlock_all()")
            raw.commit()
        finally:
            raw.close()
        vacuum(db.engine.url.render_as_string(hide_password=False), "audit_record", "reservation", "seat_claim")
    return count


def clone_applications(database_url: str, total: int, seed: int = 16) -> int:
    """Copy the submitted applications already there until there are ``total`` applications."""
    import psycopg
    def weights(states: tuple[tuple[str, int], ...], young: bool) -> str:
        return ",".join(f"('{state}',{w},{str(young).lower()})" for state, w in states)
    weights_sql = weights(OPEN_STATES, True) + "," + weights(CLOSED_STATES, False)
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        have = conn.execute("SELECT count(*) FROM application").fetchone()[0]
        need = total - have
        if need <= 0:
            return 0
        conn.execute("SELECT setseed(%s)", (seed / 100,))
        # every column copied from a template except the ones that identify or date a row
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'application'")]
        fresh = {"id", "receipt_number", "submit_key", "status", "created_at", "updated_at", "submitted_at",
                 "decided_at", "closed_at", "assignee_id", "first_approver_id"}
        copied = [c for c in cols if c not in fresh]
        conn.execute(f"""
            CREATE TEMP TABLE clone_plan AS
            WITH templates AS (
                SELECT row_number() OVER (ORDER BY id) AS n, id FROM application WHERE receipt_number IS NOT NULL),
            states(state, w, young) AS (VALUES {weights_sql}),
            ranked AS (SELECT state, young, sum(w) OVER (PARTITION BY young ORDER BY state) AS c,
                              sum(w) OVER (PARTITION BY young) AS total FROM states),
            picks AS (
                SELECT g, (SELECT count(*) FROM templates) AS k, random() AS r,
                       now() - (random() * interval '365 days') AS at
                FROM generate_series(1, %s) AS g)
            SELECT g, gen_random_uuid()::text AS new_id, (SELECT id FROM templates t WHERE t.n = 1 + (g %% k)) AS src,
                   at, (SELECT state FROM ranked s
                        WHERE s.young = (picks.at > now() - interval '{OPEN_DAYS} days')
                          AND s.c >= picks.r * s.total ORDER BY s.c LIMIT 1) AS state
            FROM picks""", (need,))
        list_cols = ", ".join(copied)
        src_cols = ", ".join(f"a.{c}" for c in copied)
        conn.execute(f"""
            INSERT INTO application (id, receipt_number, submit_key, status, created_at, updated_at, submitted_at,
                                     decided_at, closed_at, {list_cols})
            SELECT p.new_id, 'L' || lpad(p.g::text, 9, '0'), NULL, p.state, p.at - interval '20 minutes', p.at, p.at,
                   CASE WHEN p.state IN ('approved', 'issued', 'rejected', 'completed') THEN p.at + interval '3 days' END,
                   CASE WHEN p.state IN ('rejected', 'completed', 'withdrawn') THEN p.at + interval '5 days' END,
                   {src_cols}
            FROM clone_plan p JOIN application a ON a.id = p.src""")
        conn.execute("""
            INSERT INTO application_search_key (application_id, digest)
            SELECT p.new_id, k.digest FROM clone_plan p JOIN application_search_key k ON k.application_id = p.src""")
        conn.commit()
    vacuum(database_url, "application", "application_search_key")
    return need


def vacuum(database_url: str, *tables: str) -> None:
    """VACUUM ANALYZE: what autovacuum does some time after a bulk load; without it a count(*) cannot
    use an index-only scan (the visibility map is empty) and the run would measure the load, not the app."""
    import psycopg
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")  # nosec B608 - fixed table names


def write_staff_file(instance: Path, staff: list[dict]) -> Path:
    path = instance / "load-staff.json"
    path.write_text(json.dumps(staff, indent=1), encoding="utf-8")
    path.chmod(0o600)
    return path


def seed(app, instance: Path, *, audit: int, bookings_per_day: int, staff: int) -> dict:
    """Everything but the applications (those need the servers: see clone_applications)."""
    t0 = time.monotonic()
    accounts = make_staff(app, staff)
    write_staff_file(instance, accounts)
    booked = book_month(app, bookings_per_day) if bookings_per_day else 0
    t1 = time.monotonic()
    seed_audit(app, audit, [a["login_id"] for a in accounts]) if audit else None
    return {"staff": len(accounts), "bookings": booked, "audit": audit,
            "seconds": {"staff_and_bookings": round(t1 - t0, 1), "audit": round(time.monotonic() - t1, 1)}}
