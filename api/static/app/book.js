// The guest's booking page: a hotel, a range calendar with each day's free rooms and price, the
// guests, a room free for every night, the total, and "Book" (the same booking as the chat's).
"use strict";

(() => {
  const { t, api, money, iso, parseDay, addDays } = App;
  const $ = (id) => document.getElementById(id);
  const state = {
    hotel: null,
    calendar: null, // the last answer: today, max_nights, rooms
    nights: new Map(), // room_id -> Map(night -> {free, price})
    rooms: new Map(), // room_id -> room
    loaded: new Set(), // window starts already fetched
    month: null, // first day of the month shown (UTC date)
    checkIn: null,
    checkOut: null,
    room: null,
    busy: false,
  };

  function show(text, kind) {
    const box = $("message");
    box.textContent = text;
    box.className = `notice ${kind || ""}`;
    box.hidden = !text;
  }

  function guests() {
    return Number($("guests").value || 1);
  }

  function monthStart(day) {
    return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
  }

  async function load(from, force) {
    const key = iso(from);
    if (!force && state.loaded.has(key)) return;
    const answer = await api("GET", `/hotels/${state.hotel}/calendar?start=${key}&days=62`);
    state.calendar = answer;
    state.loaded.add(key);
    for (const room of answer.rooms) {
      state.rooms.set(room.room_id, room);
      const nights = state.nights.get(room.room_id) || new Map();
      for (const n of room.nights) nights.set(n.night, n);
      state.nights.set(room.room_id, nights);
    }
  }

  async function reload() {
    state.loaded.clear();
    state.nights.clear();
    state.rooms.clear();
    await load(state.month, true);
  }

  function free(roomId, night) {
    const n = state.nights.get(roomId)?.get(night);
    return n && n.free ? n : null;
  }

  /** Rooms for this many guests free on every night from check-in up to (not including) check-out. */
  function roomsFor(checkIn, checkOut) {
    const found = [];
    for (const room of state.rooms.values()) {
      if (room.capacity < guests()) continue;
      let total = 0;
      let ok = true;
      for (let d = parseDay(checkIn); iso(d) < checkOut; d = addDays(d, 1)) {
        const n = free(room.room_id, iso(d));
        if (!n) { ok = false; break; }
        total += n.price;
      }
      const extra = room.guests_included == null ? 0 : Math.max(0, guests() - room.guests_included);
      const nights = Math.round((parseDay(checkOut) - parseDay(checkIn)) / 86400000);
      total += extra * room.extra_guest_per_night * nights; // the hotel's price per guest beyond those included
      if (ok) found.push({ room, total });
    }
    return found.sort((a, b) => a.total - b.total || a.room.number.localeCompare(b.room.number));
  }

  function nightsBetween(a, b) {
    return Math.round((parseDay(b) - parseDay(a)) / 86400000);
  }

  function dayState(day) {
    const next = iso(addDays(parseDay(day), 1));
    const freeRooms = roomsFor(day, next);
    if (state.checkIn && !state.checkOut && day > state.checkIn) {
      const ok = nightsBetween(state.checkIn, day) <= state.calendar.max_nights && roomsFor(state.checkIn, day).length > 0;
      return { enabled: ok, freeRooms };
    }
    return { enabled: freeRooms.length > 0, freeRooms };
  }

  function renderCalendar() {
    const box = $("calendar");
    box.textContent = "";
    const monday = new Date(Date.UTC(2024, 0, 1)); // a Monday
    for (let i = 0; i < 7; i++) {
      const el = document.createElement("div");
      el.className = "weekday";
      el.textContent = addDays(monday, i).toLocaleDateString(App.locale, { weekday: "narrow", timeZone: "UTC" });
      box.append(el);
    }
    const first = state.month;
    $("month").textContent = first.toLocaleDateString(App.locale, { month: "long", year: "numeric", timeZone: "UTC" });
    const blanks = (first.getUTCDay() + 6) % 7;
    for (let i = 0; i < blanks; i++) {
      const el = document.createElement("div");
      el.className = "day blank";
      box.append(el);
    }
    const today = state.calendar.today;
    for (let d = first; d.getUTCMonth() === first.getUTCMonth(); d = addDays(d, 1)) {
      const day = iso(d);
      const { enabled, freeRooms } = dayState(day);
      const el = document.createElement("button");
      el.type = "button";
      el.className = "day";
      el.dataset.day = day;
      el.disabled = !enabled;
      if (freeRooms.length) el.classList.add("free");
      if (day === today) el.classList.add("today");
      if (day === state.checkIn || day === state.checkOut) el.classList.add("edge");
      else if (state.checkIn && state.checkOut && day > state.checkIn && day < state.checkOut) el.classList.add("in-range");
      const number = document.createElement("span");
      number.className = "n";
      number.textContent = String(d.getUTCDate());
      const price = document.createElement("span");
      price.className = "p";
      if (freeRooms.length) {
        const cheapest = freeRooms[0];
        price.textContent = App.moneyShort(cheapest.total, cheapest.room.currency);
        el.title = t("free_rooms", { n: freeRooms.length });
      } else if (day >= today) {
        price.textContent = t("full");
      }
      el.append(number, price);
      el.addEventListener("click", () => pick(day));
      box.append(el);
    }
    $("prev").disabled = iso(first) <= today.slice(0, 8) + "01";
    if (!state.checkIn) $("prompt").textContent = t("pick_check_in");
    else if (!state.checkOut) $("prompt").textContent = t("pick_check_out");
    else {
      $("prompt").textContent = t("stay", {
        check_in: App.dayLabel(state.checkIn),
        check_out: App.dayLabel(state.checkOut),
        nights: nightsBetween(state.checkIn, state.checkOut),
      });
    }
  }

  function renderChoice() {
    const section = $("choice");
    if (!state.checkIn || !state.checkOut) {
      section.hidden = true;
      return;
    }
    section.hidden = false;
    const list = $("rooms");
    list.textContent = "";
    const offers = roomsFor(state.checkIn, state.checkOut);
    if (!offers.some((o) => o.room.room_id === state.room)) state.room = offers.length === 1 ? offers[0].room.room_id : null;
    if (!offers.length) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = t("no_rooms", { guests: guests() });
      list.append(li);
    }
    for (const { room, total } of offers) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "room" + (room.room_id === state.room ? " chosen" : "");
      button.dataset.room = room.number;
      const name = document.createElement("span");
      name.textContent = t("room_line", { number: room.number, type: room.room_type, capacity: room.capacity });
      const price = document.createElement("span");
      price.className = "price";
      price.textContent = `${t("per_night", { price: money(room.price_per_night, room.currency) })} · ${money(total, room.currency)}`;
      button.append(name, price);
      button.addEventListener("click", () => {
        state.room = room.room_id;
        renderChoice();
      });
      li.append(button);
      list.append(li);
    }
    const chosen = offers.find((o) => o.room.room_id === state.room);
    $("total").textContent = chosen ? money(chosen.total, chosen.room.currency) : "—";
    $("book").disabled = !chosen || state.busy;
  }

  function bookLabel() {
    return t(state.calendar && state.calendar.checkout === "chat" ? "pay_in_chat" : "book");
  }

  function render() {
    $("book").textContent = state.busy ? t("booking") : bookLabel();
    renderCalendar();
    renderChoice();
  }

  function pick(day) {
    if (!state.checkIn || state.checkOut || day <= state.checkIn) {
      state.checkIn = day;
      state.checkOut = null;
    } else {
      state.checkOut = day;
    }
    render();
  }

  async function turn(months) {
    const m = state.month;
    state.month = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + months, 1));
    try {
      await load(state.month);
    } catch (error) {
      show(t("unreachable"), "error");
    }
    render();
  }

  async function book() {
    const offer = roomsFor(state.checkIn, state.checkOut).find((o) => o.room.room_id === state.room);
    if (!offer || state.busy) return;
    state.busy = true;
    $("book").textContent = t("booking");
    $("book").disabled = true;
    const key = window.crypto && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    const inChat = state.calendar.checkout === "chat";
    try {
      const placed = await api(
        "POST",
        inChat ? "/checkouts" : "/reservations",
        {
          room_id: offer.room.room_id,
          check_in: state.checkIn,
          check_out: state.checkOut,
          guests: guests(),
          total: offer.total,
          currency: offer.room.currency,
        },
        { "Idempotency-Key": key },
      );
      App.haptic("success");
      state.checkIn = state.checkOut = state.room = null;
      if (inChat) {
        // Telegram Payments: the invoice waits in the chat; the page hands over to it.
        const until = new Date(placed.expires_at).toLocaleTimeString(App.locale, {
          hour: "2-digit",
          minute: "2-digit",
          timeZone: state.calendar.timezone,
        });
        show(t("invoice_sent", { until, code: App.code(placed.reservation_id) }), "ok");
        setTimeout(() => App.close(), 2500);
      } else {
        show(t("booked", { code: App.code(placed.reservation_id) }), "ok");
      }
    } catch (error) {
      App.haptic("error");
      if (error.code === "room_taken") show(t("err_room_taken"), "error");
      else if (error.code === "quote_changed") {
        show(t("err_quote_changed", { total: money(error.params.total, error.params.currency) }), "error");
      } else if (error.code === "stay_too_short") {
        show(t("err_stay_too_short", { nights: error.params.min_nights }), "error");
      } else if (error.status === 402 || error.status === 503) show(t("err_payment", { detail: error.message }), "error");
      else if (error.status === 0) show(t("unreachable"), "error");
      else show(t("err_other", { detail: error.message }), "error");
      if (error.code === "room_taken") state.room = null;
    } finally {
      state.busy = false;
      $("book").textContent = bookLabel();
    }
    try {
      await reload();
    } catch (_) {
      /* the message above says enough */
    }
    render();
  }

  async function chooseHotel(id) {
    state.hotel = id;
    state.checkIn = state.checkOut = state.room = null;
    state.loaded.clear();
    state.nights.clear();
    state.rooms.clear();
    await load(state.month);
    const most = Math.max(1, ...[...state.rooms.values()].map((r) => r.capacity));
    const select = $("guests");
    const was = Number(select.value || 1);
    select.textContent = "";
    for (let n = 1; n <= Math.min(most, 10); n++) select.add(new Option(String(n), String(n), false, n === Math.min(was, most)));
    render();
  }

  async function main() {
    App.start();
    document.title = t("book_title");
    const session = await App.login((text) => show(text, "error"));
    if (!session) return;
    show(t("loading"));
    try {
      const hotels = (await api("GET", "/hotels?limit=100")).items;
      if (!hotels.length) {
        show(t("no_hotels"));
        return;
      }
      const select = $("hotel");
      for (const h of hotels) select.add(new Option(h.name, String(h.id)));
      const wanted = App.query.get("hotel");
      if (wanted && hotels.some((h) => String(h.id) === wanted)) select.value = wanted;
      state.month = monthStart(new Date());
      await chooseHotel(Number(select.value));
      state.month = monthStart(parseDay(state.calendar.today));
      await load(state.month);
      render();
      select.addEventListener("change", () => chooseHotel(Number(select.value)).catch(() => show(t("unreachable"), "error")));
      $("guests").addEventListener("change", () => { state.room = null; render(); });
      $("prev").addEventListener("click", () => turn(-1));
      $("next").addEventListener("click", () => turn(1));
      $("book").addEventListener("click", book);
      show("");
      $("content").hidden = false;
    } catch (error) {
      show(t("unreachable"), "error");
    }
  }

  main();
})();
