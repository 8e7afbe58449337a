"""Readers' identifiers: validation and keyed hashing."""

from __future__ import annotations

import pytest

from engage.errors import ValidationError
from engage.identity import email_hash, keyed_hash, optional_reader_hash, reader_hash


@pytest.mark.parametrize("token", ["a" * 16, "A-b_c" * 4, "z" * 128])
def test_reader_hash_with_valid_token_is_keyed_hex(app, token):
    with app.test_request_context(headers={"X-Engage-Reader": token}):
        value = reader_hash()

    assert len(value) == 64 and token not in value


@pytest.mark.parametrize("token", ["a" * 15, "z" * 129, "a" * 15 + "!", "é" * 20, "a b" * 8, ""])
def test_reader_hash_with_invalid_token_is_validation_error(app, token):
    with app.test_request_context(headers={"X-Engage-Reader": token}):
        with pytest.raises(ValidationError) as raised:
            reader_hash()

    assert "reader" in raised.value.fields


def test_reader_hash_missing_is_error_only_when_required(app):
    with app.test_request_context():
        assert optional_reader_hash() is None
        with pytest.raises(ValidationError):
            reader_hash()


def test_keyed_hash_differs_per_purpose_and_per_secret(app):
    assert keyed_hash("reader", "x") != keyed_hash("ip", "x")
    first = keyed_hash("ip", "203.0.113.7")
    app.config["SECRET_KEY"] = "another"
    assert keyed_hash("ip", "203.0.113.7") != first


def test_email_hash_ignores_case_and_spaces(app):
    assert email_hash(" Awa@Example.ORG ") == email_hash("awa@example.org")
