"""One catalog per language: every sentence a user can be shown exists in English and Korean with
the same placeholders, and every domain error is one of them."""

from __future__ import annotations

import string

import pytest

from bot.texts import CATALOG, EN, PHRASED, error_text, reason_text
from domain.shared import errors
from domain.shared.errors import DomainError


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def every_error() -> list[type[DomainError]]:
    found, todo = [], [DomainError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("error", every_error(), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("lang", sorted(CATALOG))
def test_every_domain_error_has_a_sentence_in_every_language_with_its_parameters(
    error: type[DomainError], lang: str
) -> None:
    key = f"e_{error.code}"
    assert key in CATALOG[lang], f"{error.__name__}: no {lang} text {key!r}"
    shown = set(error.fields) - set(error.money.values())  # a currency is written with its amount
    if error.code in PHRASED:  # parameters read together as one phrase
        names, placeholder, _ = PHRASED[error.code]
        shown = shown - set(names) | {placeholder}
    assert placeholders(CATALOG[lang][key]) == shown, f"{lang} {key}: placeholders differ from {error.fields}"


def test_every_error_code_is_its_own() -> None:
    codes = [cls.code for cls in every_error()]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("lang", sorted(CATALOG))
def test_every_text_exists_in_every_language_with_the_same_placeholders(lang: str) -> None:
    assert set(CATALOG[lang]) == set(EN)
    for key, template in EN.items():
        assert placeholders(CATALOG[lang][key]) == placeholders(template), key


def test_a_domain_error_carries_a_code_and_parameters_only() -> None:
    error = errors.RoomPriceTooHigh(max=100_000_000, currency="KRW")
    assert error.params == {"max": 100_000_000, "currency": "KRW"}
    assert str(error) == "room_price_too_high(max=100000000, currency='KRW')"
    with pytest.raises(TypeError):
        errors.RoomPriceTooHigh(max=1)  # a parameter the sentence needs is missing


def test_errors_read_in_the_users_language_with_money_and_words_written_out() -> None:
    too_high = errors.RoomPriceTooHigh(max=100_000_000, currency="KRW")
    assert error_text("en", too_high) == "The price per night can be at most 100,000,000 KRW."
    assert error_text("ko", too_high) == "1박 요금은 최대 100,000,000 KRW까지입니다."
    too_long = errors.TextTooLong(what="room_number", limit=16)
    assert error_text("en", too_long) == "The room number can be at most 16 characters."
    assert error_text("ko", too_long) == "객실 번호은(는) 최대 16자까지 입력할 수 있습니다."
    assert error_text("ko", errors.NotFound(what="reservation")) == "해당 예약을(를) 찾을 수 없습니다."


def test_a_reason_given_as_a_code_is_translated_and_a_typed_one_is_kept() -> None:
    assert reason_text("en", "deadline") == "the hotel did not answer in time"
    assert reason_text("ko", "deadline") == "호텔이 기한 안에 답하지 않았습니다"
    assert reason_text("ko", "The pool is closed") == "The pool is closed"
