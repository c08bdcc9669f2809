"""Telegram's answers are read with orjson: each must come out as PTB itself would read it, the
odd ones too (bytes that are not UTF-8 are replaced, text that is not JSON is an error)."""

from __future__ import annotations

import pytest
from telegram.error import TelegramError
from telegram.request import BaseRequest

from infra.observability.telegram import CountingRequest

ANSWERS = [
    b'{"ok":true,"result":{"message_id":5,"chat":{"id":42,"type":"private"},"date":1700000000,"text":"hi"}}',
    '{"ok":true,"result":{"text":"체크인 15:00 — ✓"}}'.encode(),
    b'{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":3}}',
    b'{"ok":true,"result":{"text":"\xff broken"}}',  # not UTF-8
    b'{"ok":true,"result":true}',
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_an_answer_reads_as_ptb_reads_it(answer: bytes) -> None:
    assert CountingRequest.parse_json_payload(answer) == BaseRequest.parse_json_payload(answer)


@pytest.mark.parametrize("answer", [b"<html>Bad Gateway</html>", b"", b"[1, 2]"])
def test_an_answer_that_is_no_json_object_fails_as_in_ptb(answer: bytes) -> None:
    try:
        expected = BaseRequest.parse_json_payload(answer)
    except TelegramError:
        with pytest.raises(TelegramError):
            CountingRequest.parse_json_payload(answer)
    else:
        assert CountingRequest.parse_json_payload(answer) == expected
