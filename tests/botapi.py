"""A local stand-in for the Telegram Bot API, for end-to-end tests.

The project's real python-telegram-bot ``Application`` runs in long-polling mode against it: PTB is built with
``base_url=api.base_url`` (``http://127.0.0.1:<port>/bot``), so every request arrives as
``POST /bot<TOKEN>/<method>``. PTB sends the parameters as form data (url-encoded, or multipart when files are
involved) in which every non-string value is a JSON-encoded string; JSON bodies are understood as well.

Tests play the users: ``api.user(...)`` gives a :class:`User` that sends messages and presses buttons (both become
updates that the bot fetches with ``getUpdates``) and waits for what the bot sent to it. Everything runs on the
test's event loop; nothing here is thread-safe, nor needs to be.

Request parameters, as recorded in :attr:`FakeBotApi.calls` and seen by the method handlers, are the strings
received, except that JSON objects/arrays are decoded (``reply_markup``, ``scope``, ``commands``, ...) and a known
set of numeric and boolean parameters (``chat_id``, ``message_id``, ``offset``, ``show_alert``, ...) are converted.
Free-text parameters (``text``, ``callback_query_id``, ...) are never decoded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]

# Parameters that are free text or string identifiers: kept exactly as received, even if they look like JSON.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "language_code",
        "url",
        "secret_token",
        "ip_address",
        "description",
        "short_description",
        "name",
        "title",
        "payload",
        "provider_token",
        "currency",
        "start_parameter",
        "pre_checkout_query_id",
        "error_message",
    }
)
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "user_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "cache_time",
        "max_connections",
    }
)
_NUMBER_PARAMS = frozenset({"timeout"})
_BOOL_PARAMS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "drop_pending_updates",
        "is_personal",
        "ok",
    }
)

# Telegram's limits, checked so that tests catch what the real API would refuse.
_MAX_TEXT_UTF16 = 4096
_MAX_CALLBACK_DATA_BYTES = 64
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_BLOCKED = "Forbidden: bot was blocked by the user"


def _now() -> int:
    return int(time.time())


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    """An error reply of the Bot API: ``{"ok": false, "error_code": N, "description": ...}`` with HTTP status N."""

    def __init__(self, error_code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def response(self) -> web.Response:
        body: JSONDict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.error_code)


def _decode_param(name: str, value: Any) -> Any:
    """One received parameter, decoded as described in the module docstring."""
    if not isinstance(value, str) or name in _STRING_PARAMS:
        return value
    if value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    try:
        if name in _INT_PARAMS:
            return int(value)
        if name in _NUMBER_PARAMS:
            number = float(value)
            return int(number) if number.is_integer() else number
    except ValueError:
        return value  # e.g. chat_id="@channel": left for the handler to refuse
    if name in _BOOL_PARAMS and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _keyboard_buttons(markup: JSONDict | None) -> list[JSONDict]:
    """The buttons of an inline keyboard (or reply keyboard), row by row, flattened, as dicts with a "text"."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    buttons: list[JSONDict] = []
    for row in rows:
        for button in row:
            buttons.append(button if isinstance(button, dict) else {"text": str(button)})
    return buttons


def _find_button(markup: JSONDict | None, wanted: str, *, by_data: bool = False) -> JSONDict | None:
    """The button whose text equals `wanted`, else (if `by_data`) whose callback_data equals it, else whose text
    starts with it. Exact matches win over prefix matches, so "Room 1" never picks "Room 10" when both exist."""
    buttons = _keyboard_buttons(markup)
    for button in buttons:
        if button.get("text") == wanted:
            return button
    if by_data:
        for button in buttons:
            if button.get("callback_data") == wanted:
                return button
    for button in buttons:
        if str(button.get("text", "")).startswith(wanted):
            return button
    return None


@dataclass
class Message:
    """A message the bot sent, as the stand-in keeps it; edits mutate it in place."""

    message_id: int
    chat_id: int
    text: str
    reply_markup: JSONDict | None = None  # the keyboard as sent (edits replace it; None after an edit without one)
    edits: list[str] = field(default_factory=list)  # previous texts, oldest first
    date: int = field(default_factory=_now)
    edit_date: int | None = None
    chat: JSONDict = field(default_factory=dict, repr=False)  # the Chat object Telegram would return
    params: JSONDict = field(default_factory=dict, repr=False)  # the sendMessage parameters as received
    invoice: JSONDict | None = None  # sendInvoice: the Invoice object (text is then its title and description)

    def buttons(self) -> list[str]:
        """Button texts, row by row, flattened."""
        return [str(button.get("text", "")) for button in _keyboard_buttons(self.reply_markup)]

    def button_data(self, text_or_prefix: str) -> str:
        """callback_data of the button whose text equals (preferred) or starts with `text_or_prefix`."""
        button = _find_button(self.reply_markup, text_or_prefix)
        if button is None or "callback_data" not in button:
            raise AssertionError(
                f"no callback button {text_or_prefix!r} on message {self.message_id} ({self.text!r}); "
                f"buttons: {self.buttons()}"
            )
        return str(button["callback_data"])

    def to_api(self, bot_user: JSONDict) -> JSONDict:
        """The Message object as Telegram returns it (and puts into callback queries)."""
        result: JSONDict = {
            "message_id": self.message_id,
            "from": dict(bot_user),
            "chat": dict(self.chat) or {"id": self.chat_id, "type": "private"},
            "date": self.date,
            "text": self.text,
        }
        if self.invoice is not None:
            del result["text"]
            result["invoice"] = dict(self.invoice)
        if self.edit_date is not None:
            result["edit_date"] = self.edit_date
        # Telegram only ever returns inline keyboards in Message.reply_markup (reply keyboards are not echoed).
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            result["reply_markup"] = self.reply_markup
        return result


class User:
    """A Telegram user talking to the bot in a private chat (chat id == user id)."""

    def __init__(self, api: FakeBotApi, user_id: int, first_name: str, language_code: str = "en") -> None:
        self._api = api
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.answers: list[JSONDict] = []  # answerCallbackQuery params for this user's queries, in order

    def __repr__(self) -> str:
        return f"User({self.id}, {self.first_name!r})"

    @property
    def inbox(self) -> list[Message]:
        """Messages the bot sent to this user's private chat, in order (a fresh list on every access)."""
        return list(self._api.inboxes[self.id])

    def as_from(self) -> JSONDict:
        """The User object of the updates' ``from`` field."""
        return {"id": self.id, "is_bot": False, "first_name": self.first_name, "language_code": self.language_code}

    def as_chat(self) -> JSONDict:
        return {"id": self.id, "type": "private", "first_name": self.first_name}

    async def send(self, text: str, reply_to: Message | None = None) -> int:
        """Queue a text message from this user (a reply to `reply_to`, if given); returns its message_id."""
        message_id = self._api.next_message_id(self.id)
        message: JSONDict = {
            "message_id": message_id,
            "date": _now(),
            "chat": self.as_chat(),
            "from": self.as_from(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to.to_api(self._api.bot_user)
        self._api.inject({"message": message})
        await asyncio.sleep(0)  # let a held getUpdates answer right away
        return message_id

    async def press(self, message: Message, button: str) -> str:
        """Press the button whose text equals/starts with `button` (or whose callback_data equals it) on `message`
        as it is now; returns the callback query id."""
        found = _find_button(message.reply_markup, button, by_data=True)
        if found is None or "callback_data" not in found:
            raise AssertionError(
                f"{self} cannot press {button!r} on message {message.message_id} ({message.text!r}); "
                f"buttons: {message.buttons()}"
            )
        return await self.press_data(message, str(found["callback_data"]))

    async def press_data(self, message: Message, data: str) -> str:
        """Queue a callback query with arbitrary (possibly forged) `data` on `message`; returns the query id."""
        if message.chat_id != self.id:
            raise AssertionError(
                f"{self} cannot press a button on message {message.message_id} of chat {message.chat_id}"
            )
        query_id = self._api.next_callback_query_id()
        self._api.inject(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.as_from(),
                    "chat_instance": str(7_000_000_000 + abs(message.chat_id)),
                    "data": data,
                    "message": message.to_api(self._api.bot_user),
                }
            }
        )
        await asyncio.sleep(0)
        return query_id

    async def pre_checkout(
        self,
        invoice: Message,
        *,
        payload: str | None = None,
        total_amount: int | None = None,
        currency: str | None = None,
    ) -> str:
        """Press Pay in Telegram's payment form for `invoice`: queue the pre_checkout_query Telegram sends the bot
        (payload, amount and currency as on the invoice unless overridden, e.g. to forge them); returns its id."""
        if invoice.invoice is None or invoice.chat_id != self.id:
            raise AssertionError(f"{self} cannot pay message {invoice.message_id}: not an invoice sent to them")
        query_id = self._api.next_callback_query_id()
        self._api.inject(
            {
                "pre_checkout_query": {
                    "id": query_id,
                    "from": self.as_from(),
                    "currency": currency or invoice.invoice["currency"],
                    "total_amount": invoice.invoice["total_amount"] if total_amount is None else total_amount,
                    "invoice_payload": invoice.params["payload"] if payload is None else payload,
                }
            }
        )
        self._api._pre_checkout_asked[query_id] = asyncio.get_running_loop().time()
        await asyncio.sleep(0)
        return query_id

    async def successful_payment(
        self,
        invoice: Message,
        *,
        telegram_charge_id: str,
        provider_charge_id: str,
    ) -> int:
        """Queue the service message Telegram sends after the provider took the money (Telegram sends it only
        after an ok pre-checkout answer; tests may also replay it). Returns its message_id."""
        if invoice.invoice is None:
            raise AssertionError(f"message {invoice.message_id} is not an invoice")
        message_id = self._api.next_message_id(self.id)
        self._api.inject(
            {
                "message": {
                    "message_id": message_id,
                    "date": _now(),
                    "chat": self.as_chat(),
                    "from": self.as_from(),
                    "successful_payment": {
                        "currency": invoice.invoice["currency"],
                        "total_amount": invoice.invoice["total_amount"],
                        "invoice_payload": invoice.params["payload"],
                        "telegram_payment_charge_id": telegram_charge_id,
                        "provider_payment_charge_id": provider_charge_id,
                    },
                }
            }
        )
        await asyncio.sleep(0)
        return message_id

    async def pay(self, invoice: Message, *, telegram_charge_id: str, provider_charge_id: str) -> JSONDict:
        """The whole payment as Telegram runs it: pre-checkout query, the bot's answer, and on ok the
        successful_payment message. Returns the bot's answer to the pre-checkout query."""
        query_id = await self.pre_checkout(invoice)
        answer = await self._api.pre_checkout_answer(query_id)
        if answer.get("ok"):
            await self.successful_payment(
                invoice, telegram_charge_id=telegram_charge_id, provider_charge_id=provider_charge_id
            )
        return answer

    async def expect(self, contains: str, timeout: float = 10, after: int = 0) -> Message:
        """Wait until a message in this user's inbox at index >= `after` has a current text containing `contains`
        (new or edited); returns the newest such message."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._api.changed  # taken before looking, so no change can slip in between
            for message in reversed(self.inbox[after:]):
                if contains in message.text:
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"{self} got no message containing {contains!r} (index >= {after}) within {timeout}s; "
                    f"inbox:\n{self._describe_inbox()}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def last(self) -> Message:
        """The newest message in the inbox."""
        inbox = self.inbox
        if not inbox:
            raise AssertionError(f"{self} has no message from the bot yet")
        return inbox[-1]

    def _describe_inbox(self) -> str:
        lines = []
        for index, message in enumerate(self.inbox):
            edited = f" (edited from {message.edits!r})" if message.edits else ""
            lines.append(f"  [{index}] #{message.message_id} {message.text!r}{edited} buttons={message.buttons()}")
        return "\n".join(lines) or "  (empty)"


class CommandsDict(dict[str, list[JSONDict]]):
    """setMyCommands state: key = ``FakeBotApi.commands_key(scope, language_code)`` -> commands.

    Lookups (``[]``, ``in``, ``get``) also accept a ``(scope, language_code)`` tuple or a JSON key written with any
    key order or with ``null`` for the language, and are normalised the same way as the stored keys."""

    @staticmethod
    def normalise(key: object) -> str:
        if isinstance(key, tuple):
            scope, language_code = key
        elif isinstance(key, str):
            try:
                scope, language_code = json.loads(key)
            except (ValueError, TypeError):
                return key
        else:
            return str(key)
        return json.dumps([scope or {"type": "default"}, language_code or ""], sort_keys=True)

    def __getitem__(self, key: object) -> list[JSONDict]:
        return super().__getitem__(self.normalise(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self.normalise(key))

    def get(self, key: object, default: Any = None) -> Any:
        return super().get(self.normalise(key), default)


Handler = Callable[[JSONDict], Awaitable[Any]]


class FakeBotApi:
    """The HTTP stand-in. ``await start()``, point PTB at :attr:`base_url`, ``await stop()`` at the end."""

    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        self.token = token
        self.base_url = ""  # set by start()
        self.port = 0
        self.bot_user: JSONDict = {"id": 999000, "is_bot": True, "first_name": "HotelBot", "username": "hotel_test_bot"}
        self.calls: list[tuple[str, JSONDict]] = []
        self.sent: list[Message] = []
        self.inboxes: defaultdict[int, list[Message]] = defaultdict(list)  # `sent`, by chat
        self.commands: CommandsDict = CommandsDict()
        self.fail_next: dict[str, list[JSONDict]] = {}
        self.blocked: set[int] = set()
        self.users: dict[int, User] = {}
        self.webhook_url = ""
        # setChatMenuButton: chat id (None: the default for every chat) -> the menu button
        self.menu_buttons: dict[int | None, JSONDict] = {}

        self._pending: list[JSONDict] = []  # updates not yet confirmed by a getUpdates offset
        self._next_update_id = 1
        self._message_ids: defaultdict[int, Iterator[int]] = defaultdict(lambda: itertools.count(1))
        self._callback_ids = itertools.count(4_000_000_000_000_001)
        self._query_users: dict[str, int] = {}  # callback query id -> user id, to file the answers
        self._messages: dict[tuple[int, int], Message] = {}  # (chat_id, message_id) -> message the bot sent
        self._pollers: list[asyncio.Future[str]] = []  # held getUpdates requests
        self._changed = asyncio.Event()
        self._last_request = 0.0
        self._closing = False
        self._runner: web.AppRunner | None = None
        # Telegram Payments: pre_checkout_query id -> when it was sent (loop time), and the bot's answers.
        self.pre_checkout_timeout_s = 10.0
        self._pre_checkout_asked: dict[str, float] = {}
        self.pre_checkout_answers: dict[str, JSONDict] = {}
        self.deleted: list[tuple[int, int]] = []  # (chat_id, message_id) of messages the bot deleted
        self._methods: dict[str, Handler] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "deleteWebhook": self._delete_webhook,
                "setWebhook": self._set_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
                "deleteMyCommands": self._delete_my_commands,
                "getMyCommands": self._get_my_commands,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "getChat": self._get_chat,
                "sendInvoice": self._send_invoice,
                "answerPreCheckoutQuery": self._answer_pre_checkout_query,
                "deleteMessage": self._delete_message,
                "close": self._true,
                "logOut": self._true,
            }.items()
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # handler_cancellation: a long poll whose client went away (PTB cancels it on stop) ends with it;
        # a short shutdown_timeout keeps stop() fast should anything still be in flight.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])  # port 0: the OS picked a free one
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        self._closing = False
        self._last_request = asyncio.get_running_loop().time()

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers("closing")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ test-side API

    def user(self, user_id: int, first_name: str, language_code: str = "en") -> User:
        """The user with this id (created on first use; name and language updated on later calls)."""
        existing = self.users.get(user_id)
        if existing is not None:
            existing.first_name, existing.language_code = first_name, language_code
            return existing
        user = User(self, user_id, first_name, language_code)
        self.users[user_id] = user
        return user

    def inject(self, update: JSONDict) -> int:
        """Queue a raw update (update_id assigned if missing); returns its update_id."""
        update = dict(update)
        update.setdefault("update_id", self._next_update_id)
        update_id = int(update["update_id"])
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._pending.append(update)
        self._pending.sort(key=lambda u: int(u["update_id"]))
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query and isinstance(query.get("from"), dict):
            self._query_users[str(query["id"])] = int(query["from"]["id"])
        self._wake_pollers("update")
        return update_id

    def take_updates(self) -> list[JSONDict]:
        """Webhook mode: the queued updates, in order, now Telegram's to deliver (no longer pending)."""
        taken, self._pending = self._pending, []
        return taken

    async def wait_idle(self, timeout: float = 10) -> None:
        """Wait until every queued update was confirmed by a getUpdates offset past it and no request has arrived
        for 0.3 s (so the handlers it started are most likely done)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._pending or loop.time() - self._last_request < 0.3:
            if loop.time() >= deadline:
                raise AssertionError(
                    f"Bot API stand-in not idle after {timeout}s: pending updates "
                    f"{[u['update_id'] for u in self._pending]}, last request "
                    f"{loop.time() - self._last_request:.2f}s ago (is the updater polling?)"
                )
            await asyncio.sleep(0.05)

    async def pre_checkout_answer(self, query_id: str, timeout: float = 10) -> JSONDict:
        """Wait for the bot's answerPreCheckoutQuery to `query_id`; returns its parameters."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while query_id not in self.pre_checkout_answers:
            if loop.time() >= deadline:
                raise AssertionError(f"the bot did not answer pre-checkout query {query_id} within {timeout}s")
            await asyncio.sleep(0.02)
        return self.pre_checkout_answers[query_id]

    def invoices(self, chat_id: int) -> list[Message]:
        """Invoices the bot sent to a chat and has not deleted, oldest first."""
        return [m for m in self.sent if m.chat_id == chat_id and m.invoice is not None]

    def commands_key(self, scope: JSONDict | None = None, language_code: str | None = "") -> str:
        """The key of :attr:`commands` for a scope (default ``{"type": "default"}``) and language ("" = all)."""
        return CommandsDict.normalise((scope, language_code))

    def commands_for(self, scope: JSONDict | None = None, language_code: str | None = "") -> list[JSONDict] | None:
        """The commands set for a scope and language, or None."""
        commands: list[JSONDict] | None = self.commands.get((scope, language_code))
        return commands

    def methods_called(self) -> list[str]:
        """The method names of :attr:`calls`, in order, without the getUpdates polls."""
        return [method for method, _ in self.calls if method.lower() != "getupdates"]

    @property
    def changed(self) -> asyncio.Event:
        """An event set at the next change of a sent message (new or edited)."""
        return self._changed

    def next_message_id(self, chat_id: int) -> int:
        """Message ids increase per chat and are shared by the user's and the bot's messages, as on Telegram."""
        return next(self._message_ids[chat_id])

    def next_callback_query_id(self) -> str:
        return str(next(self._callback_ids))

    # ------------------------------------------------------------------ internals

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _wake_pollers(self, reason: str) -> None:
        for waiter in self._pollers:
            if not waiter.done():
                waiter.set_result(reason)

    def _pop_failure(self, method: str) -> JSONDict | None:
        for key, queue in self.fail_next.items():
            if key.lower() == method.lower() and queue:
                return queue.pop(0)
        return None

    async def _read_params(self, request: web.Request) -> JSONDict:
        raw: JSONDict = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise ApiError(400, "Bad Request: JSON body must be an object")
                raw.update(body)
            else:  # application/x-www-form-urlencoded or multipart/form-data
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        data = value.file.read()
                        raw[name] = {"filename": value.filename, "content_type": value.content_type, "size": len(data)}
                    else:
                        raw[name] = value
        return {name: _decode_param(name, value) for name, value in raw.items()}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self._last_request = asyncio.get_running_loop().time()
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            self.calls.append((method, {}))
            return exc.response()
        except ValueError as exc:
            self.calls.append((method, {}))
            return ApiError(400, f"Bad Request: cannot parse parameters: {exc}").response()
        self.calls.append((method, params))
        log.debug("Bot API %s %s", method, params)
        try:
            failure = self._pop_failure(method)
            if failure is not None:
                raise ApiError(
                    int(failure.get("error_code", 400)),
                    str(failure.get("description", "Bad Request")),
                    failure.get("parameters"),
                )
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
        except ApiError as exc:
            return exc.response()
        return web.json_response({"ok": True, "result": result})

    def _chat(self, chat_id: int) -> JSONDict:
        user = self.users.get(chat_id)
        if user is not None:
            return user.as_chat()
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    @staticmethod
    def _chat_id(params: JSONDict) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _check_blocked(self, chat_id: int) -> None:
        if chat_id in self.blocked:
            raise ApiError(403, _BLOCKED)

    @staticmethod
    def _check_text(text: Any) -> str:
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > _MAX_TEXT_UTF16:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _check_markup(markup: Any) -> JSONDict | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for button in _keyboard_buttons(markup):
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= _MAX_CALLBACK_DATA_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            web_app = button.get("web_app")
            if web_app is not None and not str((web_app or {}).get("url", "")).startswith("https://"):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")  # Telegram opens Mini Apps over https only
        return markup

    def _message_to_edit(self, params: JSONDict) -> Message:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: inline messages are not supported by the stand-in")
        chat_id = self._chat_id(params)
        self._check_blocked(chat_id)
        message_id = params.get("message_id")
        message = self._messages.get((chat_id, message_id)) if isinstance(message_id, int) else None
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    # ------------------------------------------------------------------ methods

    async def _true(self, params: JSONDict) -> bool:
        return True

    async def _get_me(self, params: JSONDict) -> JSONDict:
        extra = {"can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        return {**self.bot_user, **extra}

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self.webhook_url:
            raise ApiError(
                409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete it"
            )
        # `offset` confirms every update before it; a negative one keeps only the last -offset updates.
        offset = int(params.get("offset") or 0)
        if offset > 0:
            self._pending = [u for u in self._pending if int(u["update_id"]) >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        # As on Telegram, a newer getUpdates ends an older one still held (with 409; usually nobody listens).
        self._wake_pollers("conflict")
        if not self._pending and timeout > 0 and not self._closing:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._pollers.append(waiter)
            try:
                done, _ = await asyncio.wait({waiter}, timeout=timeout)
            finally:
                self._pollers.remove(waiter)
            if done and waiter.result() == "conflict":
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
        return self._pending[:limit]

    async def _delete_webhook(self, params: JSONDict) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _set_webhook(self, params: JSONDict) -> bool:
        self.webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self._pending)}

    async def _set_chat_menu_button(self, params: JSONDict) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
            raise ApiError(400, "Bad Request: can't parse menu button")
        if button["type"] == "web_app":
            url = str((button.get("web_app") or {}).get("url", ""))
            if not button.get("text") or not url.startswith("https://"):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        chat_id = params.get("chat_id")
        self.menu_buttons[int(chat_id) if chat_id not in (None, "") else None] = button
        return True

    async def _get_chat_menu_button(self, params: JSONDict) -> JSONDict:
        chat_id = params.get("chat_id")
        key = int(chat_id) if chat_id not in (None, "") else None
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "commands"}

    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 BotCommand")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description must be 1-256 characters")
        key = self.commands_key(params.get("scope"), params.get("language_code"))
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        self.commands.pop(self.commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return list(self.commands.get((params.get("scope"), params.get("language_code"))) or [])

    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        self._check_blocked(chat_id)
        text = self._check_text(params.get("text"))
        markup = self._check_markup(params.get("reply_markup"))
        message = Message(
            message_id=self.next_message_id(chat_id),
            chat_id=chat_id,
            text=text,
            reply_markup=markup,
            chat=self._chat(chat_id),
            params=params,
        )
        self.sent.append(message)
        self.inboxes[chat_id].append(message)
        self._messages[(chat_id, message.message_id)] = message
        self._notify()
        return message.to_api(self.bot_user)

    async def _edit_message_text(self, params: JSONDict) -> JSONDict:
        message = self._message_to_edit(params)
        text = self._check_text(params.get("text"))
        markup = self._check_markup(params.get("reply_markup"))
        if text == message.text and markup == message.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        message.edits.append(message.text)
        message.text, message.reply_markup, message.edit_date = text, markup, _now()
        self._notify()
        return message.to_api(self.bot_user)

    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        message = self._message_to_edit(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        message.reply_markup, message.edit_date = markup, _now()
        self._notify()
        return message.to_api(self.bot_user)

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        answer = {"text": None, "show_alert": False, **params}
        user = self.users.get(self._query_users.get(str(params.get("callback_query_id")), 0))
        if user is not None:
            user.answers.append(answer)
        return True

    async def _send_chat_action(self, params: JSONDict) -> bool:
        self._check_blocked(self._chat_id(params))
        return True

    async def _send_invoice(self, params: JSONDict) -> JSONDict:
        """sendInvoice as the Bot API checks it (lengths, a currency, prices, a provider token unless Stars)."""
        chat_id = self._chat_id(params)
        self._check_blocked(chat_id)
        title, description = str(params.get("title") or ""), str(params.get("description") or "")
        payload, currency = str(params.get("payload") or ""), str(params.get("currency") or "")
        prices = params.get("prices")
        if not 1 <= len(title) <= 32:
            raise ApiError(400, "Bad Request: INVOICE_TITLE_INVALID")
        if not 1 <= len(description) <= 255:
            raise ApiError(400, "Bad Request: INVOICE_DESCRIPTION_INVALID")
        if not 1 <= len(payload.encode()) <= 128:
            raise ApiError(400, "Bad Request: INVOICE_PAYLOAD_INVALID")
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise ApiError(400, "Bad Request: CURRENCY_INVALID")
        if currency != "XTR" and not params.get("provider_token"):
            raise ApiError(400, "Bad Request: PAYMENT_PROVIDER_INVALID")
        if (
            not isinstance(prices, list)
            or not prices
            or not all(isinstance(p, dict) and isinstance(p.get("amount"), int) and p.get("label") for p in prices)
        ):
            raise ApiError(400, "Bad Request: can't parse prices JSON object")
        markup = self._check_markup(params.get("reply_markup"))
        invoice = {
            "title": title,
            "description": description,
            "start_parameter": str(params.get("start_parameter") or ""),
            "currency": currency,
            "total_amount": sum(int(p["amount"]) for p in prices),
        }
        message = Message(
            message_id=self.next_message_id(chat_id),
            chat_id=chat_id,
            text=f"{title}\n{description}",
            reply_markup=markup,
            chat=self._chat(chat_id),
            params=params,
            invoice=invoice,
        )
        self.sent.append(message)
        self.inboxes[chat_id].append(message)
        self._messages[(chat_id, message.message_id)] = message
        self._notify()
        return message.to_api(self.bot_user)

    async def _answer_pre_checkout_query(self, params: JSONDict) -> bool:
        """Telegram fails the payment when the answer comes more than 10 s after the query: then, as for an
        unknown or already answered query, the answer is refused."""
        query_id = str(params.get("pre_checkout_query_id") or "")
        asked = self._pre_checkout_asked.get(query_id)
        late = asked is not None and asyncio.get_running_loop().time() - asked > self.pre_checkout_timeout_s
        if asked is None or late or query_id in self.pre_checkout_answers:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        ok = params.get("ok")
        if not isinstance(ok, bool):
            raise ApiError(400, "Bad Request: ok must be a boolean")
        if not ok and not params.get("error_message"):
            raise ApiError(400, "Bad Request: error_message must be non-empty if ok is false")
        self.pre_checkout_answers[query_id] = {"ok": ok, "error_message": params.get("error_message")}
        return True

    async def _delete_message(self, params: JSONDict) -> bool:
        chat_id = self._chat_id(params)
        message_id = params.get("message_id")
        message = self._messages.pop((chat_id, message_id), None) if isinstance(message_id, int) else None
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self.sent.remove(message)
        self.inboxes[chat_id].remove(message)
        self.deleted.append((chat_id, message.message_id))
        self._notify()
        return True

    async def _get_chat(self, params: JSONDict) -> JSONDict:
        chat = self._chat(self._chat_id(params))
        # the fields ChatFullInfo requires
        gifts = {name: True for name in ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")}
        gifts["gifts_from_channels"] = True
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}
