"""Display names in mail headers are quoted or encoded by the email package (core/mailer.py):
a hostile name stays one name and never adds an address or a header; HTML comes as an
alternative of the text."""
from __future__ import annotations

import email
import email.policy

import pytest

from core.mailer import build_message

HOSTILE = ['Evil, "x" <attacker@evil.example>', "加古川市\r\nBcc: attacker@evil.example", "http://evil.example",
           "a\\b\"c", "市民課 <x@y>"]


def _parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_sender_name_stays_one_display_name(name):
    msg = build_message("taro@example.jp", "件名", "本文", sender="noreply@city.example.jp", sender_name=name)
    raw = msg.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"Bcc" not in head
    parsed = _parsed(raw)
    [sender] = parsed["From"].addresses
    assert sender.addr_spec == "noreply@city.example.jp"
    assert sender.display_name == " ".join(name.split())
    assert [a.addr_spec for a in parsed["To"].addresses] == ["taro@example.jp"]


def test_a_japanese_sender_name_is_an_encoded_word():
    raw = build_message("taro@example.jp", "件名", "本文", sender="noreply@city.example.jp",
                        sender_name="加古川市").as_bytes()
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]
    assert _parsed(raw)["From"].addresses[0].display_name == "加古川市"


def test_a_configured_from_with_its_own_name_keeps_it():
    parsed = _parsed(build_message("t@example.jp", "s", "b", sender="市民課 <shimin@city.example.jp>",
                                   sender_name="加古川市").as_bytes())
    [sender] = parsed["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("市民課", "shimin@city.example.jp")


def test_html_is_an_alternative_of_the_text_and_attachments_still_come():
    msg = build_message("t@example.jp", "s", "本文です", sender="n@city.example.jp", html="<p>本文です</p>",
                        attachments=[("a.ics", "text/calendar", b"BEGIN:VCALENDAR")])
    parsed = _parsed(msg.as_bytes())
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed.get_body(("plain",)).get_content().strip() == "本文です"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>本文です</p>"
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["a.ics"]
