"""Fixtures for the staff console tests that need real, signed applications (the development CA
stands in for J-LIS)."""
from __future__ import annotations

import pytest

from intake import devca
from intake.forms import load_forms


@pytest.fixture(scope="module")
def forms():
    return load_forms("kakogawa")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return devca.make_dev_ca(tmp_path_factory.mktemp("devca-staff"))


@pytest.fixture(scope="module")
def card_key():
    return devca.new_key()


@pytest.fixture
def trusted(app, ca):
    """The app trusts the development CA (anchors, intermediates, CRLs) for this test only."""
    keys = ("JPKI_TRUST_ANCHORS", "JPKI_CRL_SOURCES", "JPKI_INTERMEDIATES")
    old = {k: app.config.get(k, "") for k in keys}
    app.config["JPKI_TRUST_ANCHORS"] = str(ca.directory / "trust-anchors.pem")
    app.config["JPKI_CRL_SOURCES"] = f"{ca.directory / 'root-crl.pem'},{ca.directory / 'intermediate-crl.pem'}"
    app.config["JPKI_INTERMEDIATES"] = str(ca.directory / "intermediate.pem")
    yield ca
    app.config.update(old)
