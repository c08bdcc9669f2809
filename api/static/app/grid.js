// The managers' occupancy grid: rooms × 30 nights (earlier and later by 30), each night coloured by
// its state, today marked in the hotel's time zone; tapping a booking shows it, and one awaiting a
// decision can be approved or rejected with a reason; a confirmed guest is checked in from the
// arrival day and out while staying. The grid polls and redraws when it changed.
"use strict";

(() => {
  const { t, api, money, iso, parseDay, addDays } = App;
  const $ = (id) => document.getElementById(id);
  const DAYS = 30;
  const POLL_MS = 4000;
  const state = { hotel: null, start: null, data: null, seen: "", open: null, timer: null, stays: {} };

  function show(text, kind) {
    const box = $("message");
    box.textContent = text;
    box.className = `notice ${kind || ""}`;
    box.hidden = !text;
  }

  async function fetchGrid() {
    const start = state.start ? `&start=${state.start}` : "";
    return api("GET", `/manager/hotels/${state.hotel}/occupancy?days=${DAYS}${start}`);
  }

  async function refresh() {
    let data;
    try {
      data = await fetchGrid();
    } catch (error) {
      if (error.status === 403) {
        stop();
        $("content").hidden = true;
        show(t("not_manager"), "error");
      }
      return;
    }
    const seen = JSON.stringify(data);
    $("updated").textContent = t("updated", {
      time: new Date().toLocaleTimeString(App.locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" }),
    });
    if (seen === state.seen) return;
    state.seen = seen;
    state.data = data;
    if (!state.start) state.start = data.start;
    render();
    if (state.open) openSheet(state.open, true);
  }

  function render() {
    const data = state.data;
    $("hotel-name").textContent = data.hotel_name;
    const table = $("grid");
    table.textContent = "";
    if (!data.rooms.length) {
      show(t("no_rooms_yet"));
      return;
    }
    const nights = data.rooms[0].cells.map((c) => c.night);
    const head = table.createTHead().insertRow();
    const corner = document.createElement("th");
    corner.className = "room";
    corner.textContent = t("room");
    head.append(corner);
    for (const night of nights) {
      const th = document.createElement("th");
      const d = parseDay(night);
      th.innerHTML = "";
      const wd = d.toLocaleDateString(App.locale, { weekday: "narrow", timeZone: "UTC" });
      th.append(document.createTextNode(wd), document.createElement("br"), document.createTextNode(String(d.getUTCDate())));
      th.title = App.dayLabel(night, { day: "numeric", month: "long", weekday: "long" });
      if (night === data.today) {
        th.classList.add("today");
        th.title += ` (${t("today")})`;
      }
      th.dataset.night = night;
      head.append(th);
    }
    const body = table.createTBody();
    for (const room of data.rooms) {
      const row = body.insertRow();
      row.dataset.room = room.number;
      const th = document.createElement("th");
      th.className = "room";
      th.textContent = room.number;
      th.title = room.room_type;
      row.append(th);
      for (const cell of room.cells) {
        const td = row.insertCell();
        td.className = `cell ${cell.state}` + (cell.night === data.today ? " today" : "");
        td.dataset.night = cell.night;
        td.dataset.state = cell.state;
        td.title = `${room.number} · ${App.dayLabel(cell.night)} · ${t(`state_${cell.state}`)}`;
        if (cell.reservation_id) {
          td.dataset.reservation = cell.reservation_id;
          const button = document.createElement("button");
          button.type = "button";
          button.setAttribute("aria-label", td.title);
          const first = cell.night === room.cells.find((c) => c.reservation_id === cell.reservation_id)?.night;
          button.textContent = first ? "●" : "";
          button.addEventListener("click", () => openSheet(cell.reservation_id));
          td.append(button);
        }
      }
    }
  }

  function fact(list, name, value) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    list.append(dt, dd);
  }

  function openSheet(reservationId, again) {
    state.open = reservationId;
    const r = state.data.reservations.find((x) => x.reservation_id === reservationId);
    $("sheet").hidden = false;
    $("sheet-title").textContent = App.code(reservationId);
    const facts = $("sheet-facts");
    facts.textContent = "";
    $("sheet-note").hidden = !!r;
    $("sheet-note").textContent = r ? "" : t("held_note");
    if (!again) {
      $("sheet-message").textContent = "";
      $("reason").value = "";
      $("reason-box").hidden = true;
    }
    if (r) {
      const status = r.status === "placed" ? "awaiting" : r.status;
      fact(facts, t("guest"), `${r.guest_name} · ${r.guests}`);
      fact(facts, t("dates"), `${App.dayLabel(r.check_in)} → ${App.dayLabel(r.check_out)}`);
      fact(facts, t("amount"), money(r.total_price, r.currency));
      fact(facts, t("status"), t(`state_${status}`) + (r.decided_by_name ? ` · ${t("decided_by", { name: r.decided_by_name })}` : ""));
    }
    $("decide").hidden = !(r && r.status === "placed");
    showStayActions(r);
  }

  // Check in from the arrival day until the last night; check out while staying. What this page
  // did itself counts at once (the view follows the hotel's events a moment later).
  function showStayActions(r) {
    const today = state.data.today;
    const stay = r ? state.stays[r.reservation_id] || r.status : "";
    const arriving = stay === "confirmed" && r.check_in <= today && today < r.check_out;
    $("check-in").hidden = !arriving;
    $("check-out").hidden = stay !== "checked_in";
    $("stay-actions").hidden = !(arriving || stay === "checked_in");
  }

  async function markStay(kind) {
    const id = state.open;
    if (!id) return;
    const buttons = $("stay-actions").querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    try {
      const answer = await api("POST", `/manager/reservations/${id}/${kind}`, {});
      state.stays[id] = answer.stay;
      $("sheet-message").textContent = t(kind === "check-in" ? "checked_in_done" : "checked_out_done");
      App.haptic("success");
    } catch (error) {
      $("sheet-message").textContent = error.message;
      App.haptic("error");
    } finally {
      for (const b of buttons) b.disabled = false;
    }
    showStayActions(state.data.reservations.find((x) => x.reservation_id === id));
    await refresh();
  }

  function closeSheet() {
    state.open = null;
    $("sheet").hidden = true;
  }

  async function decide(kind) {
    const id = state.open;
    if (!id) return;
    const body = kind === "reject" ? { reason: $("reason").value.trim() } : undefined;
    if (kind === "reject" && !body.reason) {
      $("sheet-message").textContent = t("reason_needed");
      return;
    }
    for (const b of $("decide").querySelectorAll("button")) b.disabled = true;
    try {
      await api("POST", `/manager/requests/${id}/${kind}`, body ?? {});
      $("sheet-message").textContent = t(kind === "approve" ? "approved" : "rejected");
      App.haptic("success");
      $("decide").hidden = true;
    } catch (error) {
      $("sheet-message").textContent = error.message;
      App.haptic("error");
    } finally {
      for (const b of $("decide").querySelectorAll("button")) b.disabled = false;
    }
    await refresh();
  }

  function shift(days) {
    state.start = iso(addDays(parseDay(state.start), days));
    state.seen = "";
    refresh();
  }

  function poll() {
    stop();
    state.timer = setInterval(() => {
      if (!document.hidden) refresh();
    }, POLL_MS);
  }

  function stop() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }

  async function main() {
    App.start();
    document.title = t("grid_title");
    const session = await App.login((text) => show(text, "error"));
    if (!session) return;
    if (session.role === "guest") {
      show(t("not_manager"), "error");
      return;
    }
    let hotels;
    try {
      hotels = await api("GET", "/manager/hotels");
    } catch (error) {
      show(error.status === 403 ? t("not_manager") : t("unreachable"), "error");
      return;
    }
    const wanted = App.query.get("hotel");
    if (!hotels.length || (wanted && !hotels.some((h) => String(h.id) === wanted))) {
      show(t("not_manager"), "error");
      return;
    }
    const select = $("hotel");
    for (const h of hotels) select.add(new Option(h.name, String(h.id)));
    if (wanted) select.value = wanted;
    $("hotel-row").hidden = hotels.length < 2;
    state.hotel = Number(select.value);
    select.addEventListener("change", () => {
      state.hotel = Number(select.value);
      state.start = null;
      state.seen = "";
      closeSheet();
      refresh();
    });
    $("earlier").addEventListener("click", () => shift(-DAYS));
    $("later").addEventListener("click", () => shift(DAYS));
    $("sheet-close").addEventListener("click", closeSheet);
    $("approve").addEventListener("click", () => decide("approve"));
    $("reject").addEventListener("click", () => {
      $("reason-box").hidden = false;
      $("reason").focus();
    });
    $("reject-send").addEventListener("click", () => decide("reject"));
    $("check-in").addEventListener("click", () => markStay("check-in"));
    $("check-out").addEventListener("click", () => markStay("check-out"));
    await refresh();
    if (state.data) {
      $("content").hidden = false;
      poll();
    }
  }

  main();
})();
