"""The 子育て・ひとり親 online forms (issue 15): each one is filled in, page by page, up to the review
page the way a browser would, and a bad account number is refused with what was typed kept."""
from __future__ import annotations

import pytest

from tests.web.apply_helpers import forms_of, path_of, post_section, section_inputs, start, walk

KOSODATE = ["jido_teate_nintei", "jido_teate_gaku_kaitei", "jido_teate_henko", "jido_teate_shometsu",
            "kodomo_iryo", "kodomo_iryo_henko", "hoiku_nyusho", "ninpu_shien_kyufu", "hitorioya_iryo"]
VALID = {"account_number": "1234567"}


@pytest.mark.parametrize("pid", KOSODATE)
def test_each_form_reaches_its_review_page(client, pid):
    form = forms_of()[pid]
    review = walk(client, form, start(client, pid), VALID)
    html = client.get(review).get_data(as_text=True)
    assert review.endswith("/review")
    assert form.definition.title.ja in html


def test_an_account_number_that_is_not_seven_digits_is_refused_and_kept(client):
    form = forms_of()["ninpu_shien_kyufu"]
    path = start(client, "ninpu_shien_kyufu")
    while not path.endswith("/bank"):
        r = post_section(client, path, section_inputs(form, path.rsplit("/", 1)[1]))
        assert r.status_code == 302
        path = path_of(r.location)
    r = post_section(client, path, section_inputs(form, "bank", {"account_number": "12-34"}))
    html = r.get_data(as_text=True)
    assert r.status_code in (200, 400, 422) and "12-34" in html
    r = post_section(client, path, section_inputs(form, "bank", {"account_number": "１２３４５６７"}))
    assert r.status_code == 302  # full-width digits are normalised (nfkc)
