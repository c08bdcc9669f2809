"""The HTTP adapter's rules that need no server: which status each domain error gets, how keys
and token lifetimes are read from settings, and Telegram's initData signature."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from api.auth import BadInitData, BadToken, Tokens, sign_init_data, verify_init_data
from api.problems import status_of
from domain.shared import errors
from main.cli import ttl_seconds
from tests.conftest import make_settings


def _every_error() -> list[type[errors.DomainError]]:
    found, todo = [], [errors.DomainError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_a_rule_without_a_status_of_its_own_takes_its_ancestors() -> None:
    assert status_of(errors.RoomCapacityOutOfRange(max=8)) == 422  # an InvalidRoom, an InvalidInput
    assert status_of(errors.TextEmpty(what="reason")) == 422
    assert status_of(errors.NotFound(what="room")) == 404
    assert status_of(errors.RoomTaken()) == 409
    assert status_of(errors.PaymentDeclined(reason="card")) == 402


def test_every_domain_error_is_a_client_error_unless_it_is_the_worlds_trouble() -> None:
    for cls in _every_error():
        error = cls(**{name: 1 for name in cls.fields})
        status = status_of(error)
        assert (status >= 500) == cls.transient, (cls.__name__, status)
        assert 400 <= status < 600


def test_jwt_keys_come_as_kid_secret_pairs_the_first_signing() -> None:
    settings = make_settings(jwt_keys="new:s3cret-new,old:s3cret:with:colons")
    assert list(settings.jwt_keys.items()) == [("new", "s3cret-new"), ("old", "s3cret:with:colons")]
    assert make_settings(jwt_keys='{"a": "x"}').jwt_keys == {"a": "x"}
    with pytest.raises(ValueError, match="kid:secret"):
        make_settings(jwt_keys="just-a-secret")


def test_a_rotated_key_still_verifies_its_tokens_and_signs_no_more() -> None:
    now = datetime.now(UTC)
    old = Tokens({"old": "o" * 64}).issue(5, "guest", (), now, timedelta(minutes=5))
    rotated = Tokens({"new": "n" * 64, "old": "o" * 64})
    assert rotated.verify(old).user_id == 5
    assert rotated.verify(rotated.issue(6, "manager", (1,), now, timedelta(minutes=5))).hotels == (1,)
    with pytest.raises(BadToken):
        Tokens({"new": "n" * 64}).verify(old)


def test_token_lifetimes_read_as_people_write_them() -> None:
    assert ttl_seconds("30d") == 30 * 86_400
    assert ttl_seconds("12h") == 12 * 3_600
    assert ttl_seconds("900") == 900
    with pytest.raises(Exception, match="30d"):
        ttl_seconds("soon")


def test_init_data_is_verified_as_telegram_specifies() -> None:
    now = datetime.now(UTC)
    user = json.dumps({"id": 42, "first_name": "Una"})
    data = sign_init_data({"auth_date": str(int(now.timestamp())), "user": user}, "1:TOKEN")
    assert verify_init_data(data, "1:TOKEN", now, 60).user_id == 42
    with pytest.raises(BadInitData):
        verify_init_data(data, "2:OTHER", now, 60)
    with pytest.raises(BadInitData):
        verify_init_data(data, "1:TOKEN", now + timedelta(minutes=5), 60)


def test_one_jwt_secret_serves_when_no_key_list_is_given() -> None:
    from main.wiring import jwt_keys

    assert jwt_keys(make_settings(jwt_secret="s" * 64)) == {"main": "s" * 64}
    assert jwt_keys(make_settings(jwt_secret="s" * 64, jwt_keys="a:x")) == {"a": "x"}
    derived = jwt_keys(make_settings())
    assert list(derived) == ["bot"] and len(derived["bot"]) == 64
