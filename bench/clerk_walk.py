"""Benchmark of the clerk's work on the staff console: one department clerk clears 30 submitted (受付)
applications in a row from the keyboard alone — 10 approvals, 10 補正 requests, 10 rejections — and
every key is counted: activations (each Enter or Space that follows a link or presses a button or a
radio, and each arrow key that selects a radio), Tab presses, other keys (PageDown to read, and each
press of a page's shortcut such as Alt+Shift+A), characters typed, page loads and pixels scrolled
(|Δ window.scrollY| summed over every page).

    .venv/bin/python -m bench.clerk_walk [--label after] [--ui before|after|after-signature]
                                         [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                                         [--write docs/clerk-walk.md]

The app runs in this process on a fresh database (SQLite in a temporary directory, or a scratch
database made on the PostgreSQL server given and dropped after), served by werkzeug on 127.0.0.1;
Chromium (/usr/bin/chromium) at 1280×900 drives it. Applications are made with intake.applications,
signed for real with the development CA and submitted (the fee recorded as the payment webhook leaves
it), as tests/web/test_staff_applications.py does. The pack is MUNICIPALITY's, as for the app: the
residents live in its city (Home: the city hall's address and phone), and it must have the forms
used. Results: docs/clerk-walk-<label>.json, and the Markdown section ``## <Label>`` printed (and
replaced in --write).

Only the UI-driving functions (open_next_application, read_application, approve, request_correction,
reject, with skip_to_main and expect_done) know the pages; measuring a redesigned console means
changing those, nothing else. DRIVERS holds one set per console: ``before`` (the console before the
review screen's redesign — it runs only on a checkout of that time, e.g. the commit that recorded
docs/clerk-walk-before.json), ``after`` (the redesigned review screen: 「次の申請へ」, the Alt+Shift
shortcuts, 補正 inline on the field rows) and ``after-signature`` (the same, the clerk also reading
on to the end of the signature section). --ui defaults to before for --label before, else after.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # as tests/browser/conftest.py
VIEWPORT = {"width": 1280, "height": 900}
JST = dt.timezone(dt.timedelta(hours=9))
DEPARTMENT = "shimin"  # 市民課
PASSWORD = f"clerk-{secrets.token_hex(8)}"  # made per run
KINDS = ("approve", "correction", "reject")
KIND_LABELS = {"approve": "approve (受付→審査中→承認)", "correction": "補正 (受付→審査中→補正依頼)",
               "reject": "reject (受付→却下)"}
METRICS = ("activations", "tabs", "other_keys", "typed", "loads", "scrolled")
METRIC_LABELS = {"activations": "activations (clicks)", "tabs": "Tab presses", "other_keys": "other keys",
                 "typed": "characters typed", "loads": "page loads", "scrolled": "pixels scrolled"}

# --- the residents and what the clerk does with each application --------------------------------

# Made-up residents of the pack's city: (family, given, family kana, given kana, sex (JPKI code), birth
# date, lot). Where they live comes from the pack (Home below), never from here.
RESIDENTS = [
    ("山本", "美咲", "ヤマモト", "ミサキ", "2", "1988-06-12", "1521-3"),
    ("田中", "健一", "タナカ", "ケンイチ", "1", "1975-11-03", "510-2"),
    ("松本", "由美子", "マツモト", "ユミコ", "2", "1962-02-27", "2-14-8"),
    ("井上", "翔太", "イノウエ", "ショウタ", "1", "1996-09-18", "1183-5"),
    ("藤原", "恵子", "フジワラ", "ケイコ", "2", "1957-04-08", "1-7-22"),
    ("中村", "大輔", "ナカムラ", "ダイスケ", "1", "1983-12-01", "402-1"),
    ("小林", "さくら", "コバヤシ", "サクラ", "2", "2001-03-25", "311"),
    ("岡田", "浩二", "オカダ", "コウジ", "1", "1969-07-30", "765-9"),
    ("前田", "真由美", "マエダ", "マユミ", "2", "1979-10-14", "868-2"),
    ("西村", "拓也", "ニシムラ", "タクヤ", "1", "1991-05-06", "4-3"),
    ("高橋", "千尋", "タカハシ", "チヒロ", "2", "1986-08-21", "671-12"),
    ("長谷川", "誠", "ハセガワ", "マコト", "1", "1972-01-17", "1285"),
    ("村上", "彩", "ムラカミ", "アヤ", "2", "1994-11-29", "223-6"),
    ("近藤", "隆", "コンドウ", "タカシ", "1", "1954-06-02", "1350"),
    ("石井", "美穂", "イシイ", "ミホ", "2", "1981-02-09", "65-1"),
    ("坂本", "亮", "サカモト", "リョウ", "1", "1999-12-24", "178-4"),
    ("遠藤", "裕子", "エンドウ", "ユウコ", "2", "1966-09-05", "590-7"),
    ("青木", "直樹", "アオキ", "ナオキ", "1", "1978-03-13", "95-18"),
    ("藤井", "明美", "フジイ", "アケミ", "2", "1960-10-31", "17"),
    ("福田", "悠斗", "フクダ", "ユウト", "1", "2003-07-07", "721-1"),
    ("太田", "香織", "オオタ", "カオリ", "2", "1985-05-19", "260-3"),
    ("三浦", "修", "ミウラ", "オサム", "1", "1949-08-15", "814"),
    ("原田", "結衣", "ハラダ", "ユイ", "2", "1997-01-28", "1432-2"),
    ("松田", "和也", "マツダ", "カズヤ", "1", "1987-04-22", "1057"),
    ("中野", "典子", "ナカノ", "ノリコ", "2", "1970-12-10", "346-5"),
    ("小川", "蓮", "オガワ", "レン", "1", "2000-02-16", "118-3"),
    ("岩崎", "久美子", "イワサキ", "クミコ", "2", "1958-06-26", "77-2"),
    ("山口", "雄一", "ヤマグチ", "ユウイチ", "1", "1964-09-09", "22-1"),
    ("木村", "舞", "キムラ", "マイ", "2", "1993-03-03", "503"),
    ("清水", "正人", "シミズ", "マサト", "1", "1976-11-11", "181-6"),
]
# mostly 住民票の写し, a few other 市民課 procedures; the i-th oldest gets KINDS[i % 3]
PROCEDURES = ["juminhyo_utsushi"] * 22 + ["koseki_tohon"] * 3 + ["inkan_shomei"] * 3 + ["honnin_tsuchi"] * 2
PROCEDURE_ORDER = [0, 1, 22, 2, 3, 25, 4, 5, 28, 6, 23, 7, 8, 26, 9, 10, 11, 29, 12, 24, 13, 14, 27, 15, 16, 17,
                   18, 19, 20, 21]  # spread the others through the morning
PURPOSES = {"juminhyo_utsushi": ["work", "driving_licence", "school", "pension_insurance", "vehicle", "bank_loan"], "koseki_tohon": ["passport", "inheritance"],
            "inkan_shomei": ["real_estate", "vehicle", "loan"]}
# 補正: (field id — present on every procedure used, a comment on it, the message to the resident)
CORRECTIONS = [
    ("applicant_phone", "日中につながる電話番号を入力してください。",
     "電話番号に誤りがあるようです。コメントの項目を直して、もう一度送ってください。"),
    ("applicant_address", "番地が住民登録と一致しません。住民票どおりに入力してください。",
     "住所の番地を確認できませんでした。住民票に記載の住所で入力し直してください。"),
    ("applicant_birth_date", "生年月日が電子証明書と一致しません。",
     "生年月日がマイナンバーカードの情報と違います。確認して送り直してください。"),
]
REJECTIONS = [  # {city}: the pack's name of the city (pack.yaml name.ja)
    "{city}に住民登録がないため、この証明書は発行できません。住民登録のある市区町村に請求してください。",
    "同じ内容の申請が重複して届いています。先に届いた申請で手続きを進め、この申請は却下します。",
    "請求者と対象の方との関係が確認できず、請求できる方の要件を満たしていません。",
]

JUMINHYO = {"whose": "self", "householder_relation": "omit", "honseki": "omit", "mynumber": "omit",
            "juminhyo_code": "omit", "style": "household_list", "delivery": "mail"}


@dataclass(frozen=True)
class Home:
    """Where the residents live, from the pack: its city (pack.yaml name.ja) at the city hall's postal
    code, prefecture and town (departments.yaml city_hall address, 〒NNN-NNNN <prefecture><city><town>
    <number>), with phone numbers in the city hall's exchange. Another pack, another home."""

    postal_code: str  # 7 digits
    prefecture: str
    city: str
    town: str  # the city hall's street without its number: each resident adds a lot
    phone_prefix: str  # the first 6 of the city hall's 10 digits

    @classmethod
    def of(cls, kb) -> Home:
        hall, city = kb.city_hall, kb.pack.name.ja
        address = hall.address.ja if hall and hall.address else ""
        found = re.fullmatch(rf"〒?\s*(\d{{3}})-?(\d{{4}})\s*(.+?){re.escape(city)}\s*(\D+?)\s*\d.*", address)
        digits = re.sub(r"\D", "", (hall.phone if hall else None) or "")
        if not found or len(digits) != 10:
            raise SystemExit(f"departments.yaml city_hall: the residents' address is made from an address "
                             f"'〒NNN-NNNN <prefecture>{city}<town><number>' and a 10-digit phone "
                             f"(found {address!r}, {digits!r})")
        return cls(found[1] + found[2], found[3].strip(), city, found[4], digits[:6])


def resident_fields(i: int, pid: str, home: Home) -> dict:
    family, given, fkana, gkana, _sex, birth, lot = RESIDENTS[i]
    fields = {"applicant_family_name": family, "applicant_given_name": given,
              "applicant_family_kana": fkana, "applicant_given_kana": gkana, "applicant_birth_date": birth,
              "applicant_phone": f"{home.phone_prefix}{1000 + 37 * i:04d}",
              "applicant_address": {"postal_code": home.postal_code, "prefecture": home.prefecture,
                                    "city": home.city, "street": f"{home.town}{lot}"}}
    purposes = PURPOSES.get(pid, [])
    if pid == "juminhyo_utsushi":
        return {**fields, "applicant_role": "self", **JUMINHYO, "copies": 1 + i % 2, "purpose": purposes[i % len(purposes)]}
    if pid == "koseki_tohon":
        return {**fields, "applicant_role": "self", "honseki": f"{home.city}{home.town}{lot.split('-')[0]}番地",
                "hittosha_family_name": family, "hittosha_given_name": given, "kinds": ["tohon"], "tohon_copies": 1,
                "purpose": purposes[i % len(purposes)], "delivery": "mail"}
    if pid == "inkan_shomei":  # the registered person only: no applicant_role
        return {**fields, "copies": 1, "purpose": purposes[i % len(purposes)], "delivery": "mail"}
    return {**fields, "applicant_role": "self", "basis": ["juminhyo"], "notice_to": "registered"}


# --- the app, the development CA and the applications ------------------------------------------

@contextlib.contextmanager
def database(server_url: str | None, directory: Path):
    if not server_url:
        yield f"sqlite:///{directory / 'clerk.db'}"
        return
    from bench.reservations import _scratch_postgres
    url, drop = _scratch_postgres(server_url)
    try:
        yield url
    finally:
        drop()


def make_app(url: str, directory: Path, ca):
    from flask_migrate import upgrade

    from app import create_app
    app = create_app({
        "TESTING": True,  # no JSON access log on stdout
        "REDIS_URL": "",  # rate limits and alert counters in memory: nothing shared is touched
        "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16), "INSTANCE_PATH": str(directory),
        "JPKI_TRUST_ANCHORS": str(ca.directory / "trust-anchors.pem"),
        "JPKI_CRL_SOURCES": f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}",
        "JPKI_INTERMEDIATES": str(ca.directory / "intermediate.pem"),
    })
    with app.app_context():
        upgrade()
    return app


def applications_to_make(kb, forms: dict) -> list[tuple[int, str, dict]]:
    """(resident index, procedure, fields) of the 30 applications in the order they are made, the
    fields from the pack's city (Home) and checked against their form's JSON schema."""
    import jsonschema_rs

    from intake.forms import to_json_schema

    missing = sorted(set(PROCEDURES) - set(forms))
    if missing:
        raise SystemExit(f"the pack {kb.pack.id} has no form for {', '.join(missing)}: the walk applies for these")
    home = Home.of(kb)
    made = []
    for order in range(30):
        i = PROCEDURE_ORDER[order]
        pid, fields = PROCEDURES[i], resident_fields(i, PROCEDURES[i], home)
        problems = [e.message for e in jsonschema_rs.validator_for(to_json_schema(forms[pid])).iter_errors(fields)]
        if problems:
            raise SystemExit(f"{pid}: invalid seed fields: {problems}")
        made.append((i, pid, fields))
    return made


def seed(app, ca) -> dict[str, dict]:
    """30 applications signed with the development CA and submitted, the oldest at 08:30 today
    (JST), one every 9 minutes. Returns receipt number → {"kind", "procedure", "name", ...}."""
    from core.db import db
    from core.pack import rulebook
    from intake import applications as svc
    from intake import devca, jpki
    from intake.forms import load_forms
    from intake.payments.models import Payment

    with app.app_context():
        kb = rulebook().kb  # the pack the app serves (MUNICIPALITY's)
    forms = load_forms(app.config["MUNICIPALITY"], kb=kb)
    card_key = devca.new_key()  # one key pair for every card: the certificates differ, the bench stays fast
    start = dt.datetime.now(JST).replace(hour=8, minute=30, second=0, microsecond=0).astimezone(dt.UTC)
    plan: dict[str, dict] = {}
    with app.test_request_context("/"):
        for order, (i, pid, fields) in enumerate(applications_to_make(kb, forms)):
            form, resident, address = forms[pid], RESIDENTS[i], fields["applicant_address"]
            name = f"{resident[0]} {resident[1]}"
            cert = ca.issue_signing_cert(name, f"{address['prefecture']}{address['city']}{address['street']}",
                                         resident[5], resident[4], key=card_key, write=False)
            application = svc.new_application(form, fields, f"resident{i:02d}@example.jp")
            payload = svc.prepare_signing(application, form)
            signature = devca.sign(payload, cert.key)
            now = dt.datetime.now(dt.UTC)
            result = jpki.verify_signature(payload, signature, cert.pem, ca.chain_pems, trust_roots=ca.trust_roots,
                                           crls=ca.crls(), moment=now)
            if not result.ok:
                raise SystemExit(f"the development CA's signature did not verify: {result.detail}")
            svc.record_signature(application, result, cert.pem, base64.b64encode(signature).decode(), now)
            if svc.payment_needed_before_submit(application):  # the fee collected, as the webhook leaves it
                db.session.add(Payment(id=str(uuid.uuid4()), application_id=application.id, provider="sandbox",
                                       amount=application.fee_amount, status="paid", refunded_amount=0,
                                       created_at=now, updated_at=now, paid_at=now))
                application.payment_state = "paid"
            if not svc.submit(application, uuid.uuid4().hex):
                raise SystemExit("submit refused")
            db.session.flush()
            application.submitted_at = start + dt.timedelta(minutes=9 * order)
            db.session.commit()
            kind = KINDS[order % 3]
            plan[application.receipt_number] = {
                "order": order + 1, "kind": kind, "procedure": pid, "name": name,
                "correction": CORRECTIONS[(order // 3) % len(CORRECTIONS)] if kind == "correction" else None,
                "reason": REJECTIONS[(order // 3) % len(REJECTIONS)].format(city=kb.pack.name.ja) if kind == "reject" else None}
    return plan


def make_clerk_account(app) -> tuple[str, str]:
    """A 市民課 department account straight in the database (as tests/conftest.py make_staff)."""
    from core import auth, policy
    from core.db import db
    from core.staff_models import StaffUser
    login_id = "shimin.yamashita"
    with app.app_context():
        user = StaffUser(login_id=login_id, display_name="山下 由紀", role=policy.DEPARTMENT, departments=DEPARTMENT,
                         password_hash=auth.hash_password(PASSWORD), totp_secret=auth.new_totp_secret(),
                         totp_last_step=0, active=True, must_change_password=False, failed_logins=0)
        db.session.add(user)
        db.session.commit()
        return login_id, user.totp_secret


class _KnownSessionBug(logging.Filter):
    """GET /staff/session answers 500 today (a known bug, fixed elsewhere; staff-timeout.js asks it
    on every page): its traceback is left out of the output. Any other 5xx stops the walk."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context, request
        return not (has_request_context() and request.path == "/staff/session")


@contextlib.contextmanager
def serve(app):
    from werkzeug.serving import make_server
    logging.getLogger("core.errors").addFilter(_KnownSessionBug())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


# --- the keyboard and the counters ---------------------------------------------------------------

SCROLL_COUNTER = """(() => {
  let last = window.scrollY; window.__scrolled = 0;
  window.addEventListener('scroll', () => {
    const y = window.scrollY; window.__scrolled += Math.abs(y - last); last = y;
  }, {passive: true});
})();"""
# Chromium animates keyboard scrolling (PageDown, focus moving below the fold): wait until
# scrollY has stood still for three frames (at most 2 s); FLUSH_SCROLL then takes the page's sum.
SETTLE = """() => new Promise(done => {
  let last = window.scrollY, still = 0;
  const start = performance.now();
  const tick = () => {
    const y = window.scrollY;
    still = y === last ? still + 1 : 0; last = y;
    if (still >= 3 || performance.now() - start > 2000) { done(y); } else { requestAnimationFrame(tick); }
  };
  requestAnimationFrame(tick);
})"""
FLUSH_SCROLL = "async () => { await (" + SETTLE + ")(); const n = window.__scrolled || 0; window.__scrolled = 0; return n; }"


@dataclass
class Counts:
    activations: int = 0
    tabs: int = 0
    other_keys: int = 0
    typed: int = 0
    loads: int = 0
    scrolled: int = 0

    def add(self, other: Counts) -> None:
        for name in METRICS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Clerk:
    """The keyboard (Playwright) with honest counting: every key pressed, on whichever page.
    ``phase`` names the step the keys are charged to (reach, read, decide)."""

    def __init__(self, page, base: str, trace: bool = False):
        self.page, self.base, self.trace = page, base, trace
        self.phases: dict[str, Counts] = {}
        self.phase = "reach"

    @property
    def counts(self) -> Counts:
        return self.phases.setdefault(self.phase, Counts())

    def start(self) -> None:
        self.flush_scroll()
        self.phases, self.phase = {}, "reach"

    def flush_scroll(self) -> None:
        self.counts.scrolled += round(self.page.evaluate(FLUSH_SCROLL))

    def log(self, key: str) -> None:
        if self.trace:
            where = self.page.evaluate("""() => { const e = document.activeElement; if (!e) return '-';
              const t = (e.innerText || e.value || e.getAttribute('href') || '').trim().slice(0, 30);
              return `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.name ? '[' + e.name + ']' : ''} ${t}`; }""")
            where = " ".join(where.split())[:70]
            print(f"  {self.phase:<6} {key:<9} -> {where} (y={self.page.evaluate(SETTLE)})", file=sys.stderr)

    def focused(self, selector: str) -> bool:
        return self.page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector)

    def tab_to(self, selector: str, limit: int = 200) -> None:
        """Tab until the focused element matches ``selector`` (each press counted)."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            self.counts.tabs += 1
            self.log("Tab")
            if self.focused(selector):
                self.flush_scroll()
                return
        raise RuntimeError(f"{limit} Tab presses never reached {selector} on {self.page.url}")

    def key(self, key: str, *, activation: bool = False) -> None:
        """A key that stays on the page: Space on a radio, an arrow selecting a radio, PageDown."""
        self.page.keyboard.press(key)
        self.log(key)
        if activation:
            self.counts.activations += 1
        else:
            self.counts.other_keys += 1
        self.flush_scroll()

    def follow(self, key: str = "Enter") -> None:
        """Enter on a link or a submit button: a new page (counted once it has loaded)."""
        self.flush_scroll()
        with self.page.expect_navigation(wait_until="load"):
            self.page.keyboard.press(key)
        self.counts.activations += 1
        self.counts.loads += 1
        self.log(f"{key}→load")
        self.flush_scroll()  # a restored or fragment scroll of the new page (none expected)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.counts.typed += len(text)
        self.log(f"type {len(text)}")
        self.flush_scroll()

    def choose_radio(self, name: str, value: str) -> None:
        """Tab into the radio group (focus lands on the first radio, none being checked), then the
        arrow keys (each selects) or Space (selects the focused one)."""
        self.tab_to(f'input[type="radio"][name="{name}"]')
        for _ in range(20):
            if self.focused(f'input[value="{value}"]'):
                break
            self.key("ArrowDown", activation=True)
        else:
            raise RuntimeError(f"no radio {name}={value} on {self.page.url}")
        if not self.page.evaluate("() => document.activeElement.checked"):
            self.key("Space", activation=True)

    def shortcut(self, key: str, *, navigates: bool = False) -> None:
        """A keyboard shortcut of the page (e.g. Alt+Shift+A): one "other key", since it only
        moves the focus (or, with ``navigates``, follows a link: a page load too)."""
        if navigates:
            self.flush_scroll()
            with self.page.expect_navigation(wait_until="load"):
                self.page.keyboard.press(key)
            self.counts.other_keys += 1
            self.counts.loads += 1
            self.log(f"{key}→load")
            self.flush_scroll()
            return
        self.key(key)

    def layout(self, selectors: dict[str, str]) -> dict:
        """Page height, viewport and the top (in page pixels) of the given controls."""
        return self.page.evaluate("""(sel) => {
          const out = {scroll_height: document.documentElement.scrollHeight, viewport: window.innerHeight};
          for (const [k, s] of Object.entries(sel)) {
            const e = document.querySelector(s);
            out[k] = e ? Math.round(e.getBoundingClientRect().top + window.scrollY) : null;
          }
          return out; }""", selectors)


# --- driving today's console (change only these to measure a redesigned one) ------------------

INBOX = "/staff/applications/"


def skip_to_main(clerk: Clerk) -> None:
    """On a page just loaded (nothing focused yet), the skip link 「本文へ移動」, first on every page:
    Tab, Enter; focus moves to <main> and the next Tab goes to its first control. Where the focus
    is already in the page, nothing: the clerk tabs on from there."""
    if clerk.page.evaluate("() => document.activeElement === document.body"):
        clerk.tab_to("a.skip-link")
        clerk.key("Enter", activation=True)


def expect_done(clerk: Clerk, number: str, done: str, status: str, summary: str = ".summary-list") -> None:
    """The success message is shown and the status in the page's summary (``summary``) is the new one."""
    page = clerk.page
    if f"done={done}" not in page.url or page.locator(".notification--success").count() != 1:
        errors = page.locator(".error-summary, .error-message").all_inner_texts()
        raise RuntimeError(f"{number}: expected done={done}, got {page.url} {errors}")
    shown = page.locator(f"main {summary} .status-tag").first.inner_text().strip()
    if shown != status:
        raise RuntimeError(f"{number}: status shown is {shown}, expected {status}")


def open_next_application(clerk: Clerk) -> str:
    """From where the last action left the clerk (today: the detail page with its success message),
    back to the inbox and into the oldest application still 受付. Returns its receipt number."""
    page = clerk.page
    if not page.url.split("?")[0].endswith(INBOX):
        skip_to_main(clerk)
        clerk.tab_to(f'main a[href="{INBOX}"]')  # 「申請の一覧に戻る」
        clerk.follow()
    href = page.evaluate("""() => {
      const row = [...document.querySelectorAll('table.application-table tbody tr')]
        .find(r => r.querySelector('.status-tag--submitted'));
      return row ? row.querySelector('a').getAttribute('href') : null; }""")
    if href is None:
        raise RuntimeError("no application left in 受付")
    skip_to_main(clerk)
    clerk.tab_to(f'main a[href="{href}"]')
    clerk.follow()
    return href.rstrip("/").rsplit("/", 1)[1]


def read_application(clerk: Clerk) -> dict:
    """Read the application: PageDown (focus on <main>, after the skip link) until the end of the
    field values and of the signature evidence has been on screen. Returns the page's layout."""
    clerk.phase = "read"
    layout = clerk.layout({"status_radios": 'input[name="to"]', "status_button": 'form[action$="/status"] button',
                           "fields_section": "#fields-title", "signature_end": "#payment-title"})
    skip_to_main(clerk)
    page = clerk.page
    for _ in range(40):
        bottom = page.evaluate("() => document.querySelector('#payment-title').getBoundingClientRect().top")
        if bottom <= page.viewport_size["height"]:
            break
        clerk.key("PageDown")
    return layout


def approve(clerk: Clerk, number: str) -> None:
    """受付 → 審査中 → 承認: two status changes (the workflow has no direct 受付 → 承認)."""
    clerk.phase = "decide"
    skip_to_main(clerk)
    clerk.choose_radio("to", "reviewing")
    clerk.tab_to('form[action$="/status"] button[type="submit"]')
    clerk.follow()
    expect_done(clerk, number, "status", "審査中")
    skip_to_main(clerk)
    clerk.choose_radio("to", "approved")
    clerk.tab_to('form[action$="/status"] button[type="submit"]')
    clerk.follow()
    expect_done(clerk, number, "status", "承認")


def request_correction(clerk: Clerk, number: str, field_id: str, comment: str, note: str) -> dict:
    """受付 → 審査中, then the 補正 page: a comment on one field and the message to the resident."""
    clerk.phase = "decide"
    skip_to_main(clerk)
    clerk.choose_radio("to", "reviewing")
    clerk.tab_to('form[action$="/status"] button[type="submit"]')
    clerk.follow()
    expect_done(clerk, number, "status", "審査中")
    skip_to_main(clerk)
    clerk.tab_to('main a[href$="/correction"]')  # 「補正を依頼する（項目ごとにコメント）」
    clerk.follow()
    layout = clerk.layout({"comment": f"#comment-{field_id}", "note": "#note",
                           "button": 'form[action$="/correction"] button[type="submit"]'})
    skip_to_main(clerk)
    clerk.tab_to(f"#comment-{field_id}")
    clerk.type(comment)
    clerk.tab_to("#note")
    clerk.type(note)
    clerk.tab_to('form[action$="/correction"] button[type="submit"]')
    clerk.follow()
    expect_done(clerk, number, "correction", "補正依頼")
    return layout


def reject(clerk: Clerk, number: str, reason: str) -> None:
    """受付 → 却下 with the reason (the resident reads it in the e-mail and on the status page)."""
    clerk.phase = "decide"
    skip_to_main(clerk)
    clerk.choose_radio("to", "rejected")
    clerk.tab_to("#note")
    clerk.type(reason)
    clerk.tab_to('form[action$="/status"] button[type="submit"]')
    clerk.follow()
    expect_done(clerk, number, "status", "却下")


# --- driving the redesigned console (--ui after) --------------------------------------------------
# The review screen: the application on the left (the 基本4情報 check beside the fields it checks,
# 「補正を求める」 on every field row), the actions in a sticky panel on the right; after each action
# the success message has the focus and holds 「次の申請へ」; Alt+Shift+A/C/R/M/N move the focus
# (A: the next status chosen, on 「状態を変更する」; C: the first field's 補正 comment; R: 却下 chosen,
# on the reason; N: 次の申請へ). A shortcut press counts as one "other key".

LAST_FIELD = "[data-review-content] .review-fields .summary-list__row"  # the last of them
REVIEW_LAYOUT = {"first_field": "[data-review-content] .review-fields .summary-list__row",
                 "status_radios": '[data-status-form] input[name="to"]',
                 "status_button": '[data-status-form] button[type="submit"]',
                 "signature_start": "#signature-title", "signature_end": "#payment-title"}


def after_expect_done(clerk: Clerk, number: str, done: str, status: str) -> None:
    """The success message is shown, has the focus (so Tab and the shortcuts start from the top)
    and the status in the summary is the new one."""
    expect_done(clerk, number, done, status, summary=".review-meta")
    if not clerk.focused("[data-review-done]"):
        raise RuntimeError(f"{number}: after the action the focus is not on the success message")


def after_open_next_application(clerk: Clerk) -> str:
    """The first time, from the inbox (skip link, Tab to the oldest 受付 row, Enter); afterwards
    from the success message of the last action: Alt+Shift+N (「次の申請へ」). The application
    opened must be the oldest one still 受付."""
    page = clerk.page
    oldest = """() => {
      const row = [...document.querySelectorAll('table.application-table tbody tr')]
        .find(r => r.querySelector('.status-tag--submitted'));
      return row ? row.querySelector('a').getAttribute('href') : null; }"""
    if page.url.split("?")[0].endswith(INBOX):
        href = page.evaluate(oldest)
        if href is None:
            raise RuntimeError("no application left in 受付")
        skip_to_main(clerk)
        clerk.tab_to(f'main a[href="{href}"]')
        clerk.follow()
    else:
        clerk.shortcut("Alt+Shift+N", navigates=True)
    number = page.url.split("?")[0].rstrip("/").rsplit("/", 1)[1]
    shown = page.locator("main .review-meta .status-tag").first.inner_text().strip()
    if shown != "受付":
        raise RuntimeError(f"「次の申請へ」 opened {number}, which is {shown}, not 受付")
    return number


def after_read_application(clerk: Clerk) -> dict:
    """Read the application: PageDown (the page just loaded, nothing focused) until the last field
    row — and with the fields the 基本4情報 check against the signature's certificate, which now
    sits beside them — has been on screen. Returns the page's layout."""
    clerk.phase = "read"
    page = clerk.page
    layout = clerk.layout(REVIEW_LAYOUT)
    layout["last_field_end"] = page.evaluate(
        "(s) => Math.round([...document.querySelectorAll(s)].pop().getBoundingClientRect().bottom + window.scrollY)",
        LAST_FIELD)
    layout["identity_checks"] = page.locator("[data-review-content] .identity-check").count()
    layout["panel_overflow"] = page.evaluate("""() => { const p = document.querySelector('[data-review-panel]');
      return p.scrollHeight - p.clientHeight; }""")
    if layout["identity_checks"] == 0:
        raise RuntimeError(f"{page.url}: no 基本4情報 check beside the fields")
    for _ in range(40):
        bottom = page.evaluate("(s) => [...document.querySelectorAll(s)].pop().getBoundingClientRect().bottom",
                               LAST_FIELD)
        if bottom <= page.viewport_size["height"]:
            break
        clerk.key("PageDown")
    return layout


def after_read_to_signature_end(clerk: Clerk) -> dict:
    """The stricter reading (as before the redesign): on past the fields to the end of the
    signature section (certificate and revocation evidence)."""
    layout = after_read_application(clerk)
    page = clerk.page
    for _ in range(40):
        if page.evaluate("() => document.querySelector('#payment-title').getBoundingClientRect().top") \
                <= page.viewport_size["height"]:
            break
        clerk.key("PageDown")
    return layout


def _focus_in_view(clerk: Clerk, number: str, what: str) -> None:
    """The focused control is wholly inside the viewport and inside its scrolled panel (seen)."""
    box = clerk.page.evaluate("""() => { const e = document.activeElement, r = e.getBoundingClientRect();
      const where = [`control ${Math.round(r.top)}–${Math.round(r.bottom)} in a viewport of ${window.innerHeight}`];
      let ok = r.top >= -1 && r.bottom <= window.innerHeight + 1;  // sub-pixel edges
      for (let p = e.parentElement; p; p = p.parentElement) {
        if (p.scrollHeight > p.clientHeight && getComputedStyle(p).overflowY !== 'visible') {
          const q = p.getBoundingClientRect(); ok = ok && r.top >= q.top - 1 && r.bottom <= q.bottom + 1;
          where.push(`${p.tagName.toLowerCase()}.${p.className.split(' ')[0]} shows ${Math.round(q.top)}–${Math.round(q.bottom)}`); }
      }
      return ok ? null : where.join('; '); }""")
    if box:
        raise RuntimeError(f"{number}: {what} has the focus but is not (wholly) on screen ({box}, {clerk.page.url})")


def _step_forward(clerk: Clerk, number: str, value: str, label: str) -> None:
    """Alt+Shift+A: the next status (``value``) chosen, the focus on 「状態を変更する」; Enter."""
    clerk.shortcut("Alt+Shift+A")
    if not clerk.page.evaluate(
            f"() => document.querySelector('[data-status-form] input[name=\"to\"][value=\"{value}\"]').checked"):
        raise RuntimeError(f"{number}: Alt+Shift+A did not choose {label}")
    if not clerk.focused('[data-status-form] button[type="submit"]'):
        raise RuntimeError(f"{number}: Alt+Shift+A did not move the focus to 「状態を変更する」")
    _focus_in_view(clerk, number, "「状態を変更する」")
    clerk.follow()
    after_expect_done(clerk, number, "status", label)


def _to_reviewing(clerk: Clerk, number: str) -> None:
    _step_forward(clerk, number, "reviewing", "審査中")


def after_approve(clerk: Clerk, number: str) -> None:
    """受付 → 審査中 → 承認: Alt+Shift+A, Enter, twice (the workflow has no direct 受付 → 承認)."""
    clerk.phase = "decide"
    _to_reviewing(clerk, number)
    _step_forward(clerk, number, "approved", "承認")


def after_request_correction(clerk: Clerk, number: str, field_id: str, comment: str, note: str) -> dict:
    """受付 → 審査中 (Alt+Shift+A, Enter); then on the same screen the field's 「補正を求める」
    (Tab to it, Enter opens it, Tab into the comment), the comment, Tab on to 「申請者へのお知らせ」
    in the panel, the message, Tab to 「補正を依頼する」, Enter."""
    clerk.phase = "decide"
    _to_reviewing(clerk, number)
    page = clerk.page
    send = 'button[type="submit"][form="correction-form"]'
    layout = clerk.layout({"first_field": REVIEW_LAYOUT["first_field"], "field_row": f"#row-{field_id}",
                           "correction_note": "#correction-note", "correction_button": send,
                           "status_button": REVIEW_LAYOUT["status_button"]})
    first = page.evaluate("() => document.querySelector('[data-correction-mark] textarea').id")
    if first == f"comment-{field_id}":
        clerk.shortcut("Alt+Shift+C")  # the first field's comment, its 「補正を求める」 opened
    else:
        clerk.tab_to(f"#row-{field_id} summary")
        clerk.key("Enter", activation=True)  # opens the details; the focus stays on the summary
        clerk.tab_to(f"#comment-{field_id}")
    clerk.type(comment)
    clerk.tab_to("#correction-note")
    clerk.type(note)
    clerk.tab_to(send)
    layout["panel_scrolled"] = page.evaluate("() => document.querySelector('[data-review-panel]').scrollTop")
    layout["window_scrolled_to"] = page.evaluate("() => Math.round(window.scrollY)")
    _focus_in_view(clerk, number, "「補正を依頼する」")
    clerk.follow()
    after_expect_done(clerk, number, "correction", "補正依頼")
    return layout


def after_reject(clerk: Clerk, number: str, reason: str) -> None:
    """受付 → 却下: Alt+Shift+R (却下 chosen, the focus in 「理由・連絡事項」), the reason, Tab to
    「状態を変更する」, Enter."""
    clerk.phase = "decide"
    clerk.shortcut("Alt+Shift+R")
    if not clerk.page.evaluate("() => document.querySelector('[data-status-form] input[value=\"rejected\"]').checked"):
        raise RuntimeError(f"{number}: Alt+Shift+R did not choose 却下")
    if not clerk.focused("#note"):
        raise RuntimeError(f"{number}: Alt+Shift+R did not move the focus to the reason")
    _focus_in_view(clerk, number, "「理由・連絡事項」")
    clerk.type(reason)
    clerk.tab_to('[data-status-form] button[type="submit"]')
    _focus_in_view(clerk, number, "「状態を変更する」")
    clerk.follow()
    after_expect_done(clerk, number, "status", "却下")


# the UI-driving functions per console: (open_next_application, read_application, approve,
# request_correction, reject). "before" drives the console as it was before the redesign (its
# pages are in git history before the review screen's redesign; it no longer runs on today's).
DRIVERS = {
    "before": (open_next_application, read_application, approve, request_correction, reject),
    "after": (after_open_next_application, after_read_application, after_approve, after_request_correction,
              after_reject),
    "after-signature": (after_open_next_application, after_read_to_signature_end, after_approve,
                        after_request_correction, after_reject),
}


# --- the walk ------------------------------------------------------------------------------------

def log_in(page, base: str, login_id: str, secret: str) -> None:
    """Not measured: the password page, then the TOTP page."""
    import pyotp
    page.goto(base + "/staff/login")
    page.fill("#login_id", login_id)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.fill("#code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    if "/staff/login" in page.url:
        raise RuntimeError(f"login failed: {page.url}")


def walk(base: str, plan: dict[str, dict], login_id: str, secret: str, trace: bool = False,
         ui: str = "after") -> tuple[list[dict], dict]:
    from playwright.sync_api import sync_playwright

    open_next, read, do_approve, do_correct, do_reject = DRIVERS[ui]

    records: list[dict] = []
    failures: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport=VIEWPORT, locale="ja-JP")
        context.add_init_script(SCROLL_COUNTER)
        page = context.new_page()
        page.on("response", lambda r: failures.append(f"{r.status} {r.url}")
                if r.status >= 500 and not r.url.endswith("/staff/session") else None)
        log_in(page, base, login_id, secret)
        page.goto(base + INBOX)  # the walk starts on the inbox
        clerk = Clerk(page, base, trace)
        for _ in range(len(plan)):
            clerk.start()
            t0 = time.perf_counter()
            number = open_next(clerk)
            todo = plan[number]
            if trace:
                print(f"{todo['order']:>2} {number} {todo['kind']} {todo['procedure']}", file=sys.stderr)
            layout = {"detail": read(clerk)}
            if todo["kind"] == "approve":
                do_approve(clerk, number)
            elif todo["kind"] == "correction":
                layout["correction_page" if ui == "before" else "correction"] = do_correct(clerk, number, *todo["correction"])
            else:
                do_reject(clerk, number, todo["reason"])
            clerk.flush_scroll()
            total = Counts()
            for counts in clerk.phases.values():
                total.add(counts)
            records.append({"number": number, "order": todo["order"], "kind": todo["kind"],
                            "procedure": todo["procedure"], "seconds": round(time.perf_counter() - t0, 2),
                            "total": asdict(total), "phases": {k: asdict(v) for k, v in clerk.phases.items()},
                            "layout": layout})
        version = browser.version
        context.close()
        browser.close()
    if failures:
        raise RuntimeError(f"server errors during the walk: {failures[:5]}")
    return records, {"chromium": version}


# --- figures ---------------------------------------------------------------------------------------

def _stats(values: list[float]) -> dict:
    return {"mean": round(statistics.mean(values), 1), "min": min(values), "max": max(values)}


def summarise(records: list[dict]) -> dict:
    groups = {kind: [r for r in records if r["kind"] == kind] for kind in KINDS}
    groups["all"] = records
    out = {}
    for kind, rows in groups.items():
        phases = sorted({p for r in rows for p in r["phases"]})
        out[kind] = {"applications": len(rows),
                     **{m: _stats([r["total"][m] for r in rows]) for m in METRICS},
                     "phases": {p: {m: round(statistics.mean(r["phases"].get(p, {}).get(m, 0) for r in rows), 1)
                                    for m in METRICS} for p in phases}}
    return out


def _num(x: float) -> str:
    """1,234 for large figures (pixels), 12.3 / 12 for the small ones."""
    return f"{x:,.0f}" if x >= 1000 else f"{x:,.1f}".rstrip("0").rstrip(".")


def _fmt(s: dict) -> str:
    return f"{_num(s['mean'])} ({s['min']:,}–{s['max']:,})" if s["min"] != s["max"] else _num(s["mean"])


def report(result: dict) -> str:
    label, summary, meta = result["label"], result["summary"], result["meta"]
    lines = [f"## {label.capitalize()}", "",
             f"Measured {meta['date']} by `bench/clerk_walk.py --label {label}` ({meta['database']}, {meta['machine']}, "
             f"{meta['cores']} cores, Chromium {meta['chromium']} headless at {VIEWPORT['width']}×{VIEWPORT['height']}; "
             f"the walk took {meta['walk_seconds']} s). Per application: mean (min–max).", "",
             "| per application | " + " | ".join(METRIC_LABELS[m] for m in METRICS) + " |",
             "|---|" + "---|" * len(METRICS)]
    for kind in (*KINDS, "all"):
        s = summary[kind]
        name = f"**all {s['applications']}**" if kind == "all" else f"{KIND_LABELS[kind]} ×{s['applications']}"
        lines.append(f"| {name} | " + " | ".join(_fmt(s[m]) for m in METRICS) + " |")
    read = {"before": "PageDown through its fields and signature",
            "after": "PageDown through its fields and the 基本4情報 checks beside them",
            "after-signature": "PageDown through its fields and on to the end of the signature section"}
    lines += ["", "Where the keys go (means per application; reach = from the last action's page to the next "
              f"application, read = {read[meta.get('ui', 'before')]}, decide = the action itself):", "",
              "| kind | step | " + " | ".join(METRIC_LABELS[m] for m in METRICS) + " |",
              "|---|---|" + "---|" * len(METRICS)]
    for kind in KINDS:
        for phase in ("reach", "read", "decide"):
            p = summary[kind]["phases"].get(phase)
            if p:
                lines.append(f"| {kind} | {phase} | " + " | ".join(_num(p[m]) for m in METRICS) + " |")
    detail = [r["layout"]["detail"] for r in result["applications"]]
    corr = [r["layout"]["correction_page"] for r in result["applications"] if "correction_page" in r["layout"]]
    if result["meta"].get("ui", "before") != "before":
        return "\n".join(lines + _layout_after(result)) + "\n"
    lines += ["", "Page layout (page pixels from the top; the viewport is 900 px high):", "",
              f"- decision screen (detail page of a 受付 application): {_range(d['scroll_height'] for d in detail)} px "
              f"high ({_range(round(d['scroll_height'] / d['viewport'], 1) for d in detail)} screens); the status "
              f"radios at {_range(d['status_radios'] for d in detail)}, 「状態を変更する」 at "
              f"{_range(d['status_button'] for d in detail)}, the field values start at "
              f"{_range(d['fields_section'] for d in detail)} and the signature evidence ends at "
              f"{_range(d['signature_end'] for d in detail)}."]
    if corr:
        lines.append(f"- 補正 page: {_range(c['scroll_height'] for c in corr)} px high; the commented field's box at "
                     f"{_range(c['comment'] for c in corr)}, the message to the resident at {_range(c['note'] for c in corr)}, "
                     f"「補正を依頼する」 at {_range(c['button'] for c in corr)}.")
    return "\n".join(lines) + "\n"


def _layout_after(result: dict) -> list[str]:
    detail = [r["layout"]["detail"] for r in result["applications"]]
    corr = [r["layout"]["correction"] for r in result["applications"] if "correction" in r["layout"]]
    lines = ["", "Page layout (page pixels from the top, the page scrolled to the top; the viewport is 900 px high):", "",
             f"- review screen of a 受付 application: {_range(d['scroll_height'] for d in detail)} px high "
             f"({_range(round(d['scroll_height'] / d['viewport'], 1) for d in detail)} screens); the first field row at "
             f"{_range(d['first_field'] for d in detail)}, the last field row ends at "
             f"{_range(d['last_field_end'] for d in detail)} ({_range(d['identity_checks'] for d in detail)} "
             f"基本4情報 checks beside the fields); in the sticky panel on the right the status radios at "
             f"{_range(d['status_radios'] for d in detail)} and 「状態を変更する」 at {_range(d['status_button'] for d in detail)}; "
             f"the signature section (certificate, revocation evidence) below the fields starts at "
             f"{_range(d['signature_start'] for d in detail)} and ends at {_range(d['signature_end'] for d in detail)}; "
             f"the panel's "
             f"content is {_range(d['panel_overflow'] for d in detail)} px taller than the panel (it scrolls inside)."]
    if corr:
        lines.append(f"- 審査中 screen (補正): the commented field's row at {_range(c['field_row'] for c in corr)}, "
                     f"「申請者へのお知らせ」 at {_range(c['correction_note'] for c in corr)}, 「補正を依頼する」 at "
                     f"{_range(c['correction_button'] for c in corr)} (「状態を変更する」 at "
                     f"{_range(c['status_button'] for c in corr)}); when the focus reached 「補正を依頼する」 the page "
                     f"was scrolled to {_range(c['window_scrolled_to'] for c in corr)} and the panel inside by "
                     f"{_range(c['panel_scrolled'] for c in corr)} px (not in 'pixels scrolled', which counts the page).")
    return lines


def _range(values) -> str:
    v = list(values)
    lo, hi = min(v), max(v)
    return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"


def write_section(path: Path, label: str, text: str) -> None:
    """Replace the ``## <Label>`` section of ``path`` (up to the next ``## ``), or append it."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    heading = f"## {label.capitalize()}"
    match = re.search(rf"^{re.escape(heading)}\s*$.*?(?=^## |\Z)", old, flags=re.M | re.S)
    new = old[:match.start()] + text + ("\n" if old[match.end():] else "") + old[match.end():] if match \
        else old.rstrip() + ("\n\n" if old else "") + text
    path.write_text(new, encoding="utf-8")


def final_statuses(app) -> dict[str, int]:
    """What the walk left in the database (checked: 10 承認, 10 補正依頼, 10 却下)."""
    from sqlalchemy import func, select

    from core.db import db
    from intake.models import Application
    with app.app_context():
        rows = db.session.execute(select(Application.status, func.count()).group_by(Application.status)).all()
        db.session.remove()
        db.engine.dispose()
    return {status: n for status, n in sorted(rows)}


def run(label: str, database_url: str | None, trace: bool = False, ui: str = "after") -> dict:
    from intake import devca

    tmp = Path(tempfile.mkdtemp(prefix="clerk-walk-"))
    try:
        ca = devca.make_dev_ca(tmp / "devca")
        with database(database_url, tmp) as url:
            app = make_app(url, tmp, ca)
            plan = seed(app, ca)
            login_id, secret = make_clerk_account(app)
            with serve(app) as base:
                t0 = time.perf_counter()
                records, browser = walk(base, plan, login_id, secret, trace, ui)
                seconds = round(time.perf_counter() - t0, 1)
            final = final_statuses(app)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    expected = {"approved": 10, "correction": 10, "rejected": 10}
    if final != expected:
        raise RuntimeError(f"the walk left {final}, expected {expected}")
    return {"label": label, "meta": {
        "date": dt.date.today().isoformat(), "machine": f"{platform.machine()} {platform.system()}",
        "cores": os.cpu_count(), "python": platform.python_version(), "chromium": browser["chromium"],
        "ui": ui, "viewport": VIEWPORT, "database": "PostgreSQL" if database_url else "SQLite", "walk_seconds": seconds,
        "final_statuses": final,
        "order": "oldest 受付 first; the i-th gets approve, 補正, reject in turn",
        "counting": {"activations": "Enter/Space on a link, button or radio, and each arrow key that selects a radio",
                     "tabs": "Tab presses",
                     "other_keys": "PageDown presses while reading, and each press of a page's shortcut (Alt+Shift+…)",
                     "typed": "characters typed", "loads": "page loads (navigations)",
                     "scrolled": "sum of |Δ window.scrollY| over every page"}},
        "summary": summarise(records), "applications": records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="before", help="before / after: names the JSON file and the section")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL (a scratch database is made)")
    parser.add_argument("--write", default=None, help="replace the ## <Label> section of this Markdown file")
    parser.add_argument("--ui", choices=sorted(DRIVERS), default=None,
                        help="which console to drive (default: before for --label before, else after)")
    parser.add_argument("--trace", action="store_true", help="print every key and where the focus went (stderr)")
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z0-9-]+", args.label):
        parser.error("--label: lower-case letters, digits and hyphens")
    ui = args.ui or ("before" if args.label == "before" else "after")
    result = run(args.label, args.database_url, args.trace, ui)
    out = ROOT / "docs" / f"clerk-walk-{args.label}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    text = report(result)
    print(text)
    print(f"(written: {out.relative_to(ROOT)})")
    if args.write:
        write_section(ROOT / args.write, args.label, text)


if __name__ == "__main__":
    main()
