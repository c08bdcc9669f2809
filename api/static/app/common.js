// The Mini App's shared part: Telegram's launch parameters (initData, theme), the texts in the
// guest's language, and the API behind a token from the initData exchange. No Telegram script is
// loaded: what Telegram passes in the URL fragment is read here, and window.Telegram.WebApp is
// used when the page was given one.
"use strict";

const App = (() => {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  const webApp = window.Telegram && window.Telegram.WebApp;
  const initData = (webApp && webApp.initData) || fragment.get("tgWebAppData") || "";

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (_) {
      return null;
    }
  }

  const user = parseJson(new URLSearchParams(initData).get("user") || "null") || {};
  const wanted = query.get("lang") || user.language_code || navigator.language || "en";
  const lang = wanted.toLowerCase().startsWith("ko") ? "ko" : "en";
  const locale = lang === "ko" ? "ko-KR" : "en-GB";

  // --- theme: Telegram's theme parameters as CSS variables; light or dark from the background
  function luminance(hex) {
    const m = /^#?([0-9a-f]{6})$/i.exec(String(hex || "").trim());
    if (!m) return 1;
    const n = parseInt(m[1], 16);
    return (0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
  }

  function applyTheme() {
    let theme = webApp && webApp.themeParams;
    if (!theme || !Object.keys(theme).length) theme = parseJson(fragment.get("tgWebAppThemeParams") || "null");
    const root = document.documentElement;
    if (theme) {
      for (const [key, value] of Object.entries(theme)) {
        if (/^#[0-9a-f]{3,8}$/i.test(String(value))) root.style.setProperty(`--tg-theme-${key.replace(/_/g, "-")}`, value);
      }
    }
    const prefersDark = window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches;
    const scheme = theme && theme.bg_color ? (luminance(theme.bg_color) < 0.5 ? "dark" : "light") : prefersDark ? "dark" : "light";
    root.dataset.scheme = scheme;
    root.lang = lang;
  }

  // --- talking to the Telegram client (ready, expand, haptics), without its script
  function postEvent(eventType, eventData) {
    const data = eventData === undefined ? "" : JSON.stringify(eventData);
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(eventType, data);
      else if (window.external && "notify" in window.external) window.external.notify(JSON.stringify({ eventType, eventData }));
      else if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType, eventData }), "*");
    } catch (_) {
      /* outside Telegram: nobody to tell */
    }
  }

  function t(key, params) {
    const table = TEXTS[lang] || TEXTS.en;
    let text = table[key] !== undefined ? table[key] : TEXTS.en[key] !== undefined ? TEXTS.en[key] : key;
    for (const [name, value] of Object.entries(params || {})) text = text.split(`{${name}}`).join(String(value));
    return text;
  }

  function translate(root) {
    for (const el of (root || document).querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  }

  // --- money in minor units, as the API gives it
  function money(amount, currency) {
    try {
      const format = new Intl.NumberFormat(locale, { style: "currency", currency });
      const places = format.resolvedOptions().maximumFractionDigits;
      return format.format(amount / 10 ** places);
    } catch (_) {
      return `${amount} ${currency}`;
    }
  }

  function moneyShort(amount, currency) {
    try {
      const places = new Intl.NumberFormat(locale, { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
      return new Intl.NumberFormat(locale, { style: "currency", currency, notation: "compact" }).format(amount / 10 ** places);
    } catch (_) {
      return money(amount, currency);
    }
  }

  function code(reservationId) {
    return "R-" + String(reservationId).replace(/-/g, "").slice(0, 8).toUpperCase();
  }

  function iso(day) {
    return day.toISOString().slice(0, 10);
  }

  function parseDay(text) {
    return new Date(text + "T00:00:00Z");
  }

  function addDays(day, n) {
    const d = new Date(day.getTime());
    d.setUTCDate(d.getUTCDate() + n);
    return d;
  }

  function dayLabel(text, options) {
    return parseDay(text).toLocaleDateString(locale, { timeZone: "UTC", ...(options || { day: "numeric", month: "short" }) });
  }

  // --- the API
  let token = null;

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.code = (problem && problem.code) || "";
      this.params = (problem && problem.params) || {};
    }
  }

  async function api(method, path, body, headers) {
    let response;
    try {
      response = await fetch(`../api/v1${path}`, {
        method,
        headers: {
          Accept: "application/json",
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
          ...(headers || {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (_) {
      throw new ApiError(0, { code: "network" });
    }
    const text = await response.text();
    const data = text ? parseJson(text) : null;
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /** initData for a token; null (and the reason shown) when the page was not opened by Telegram. */
  async function login(show) {
    if (!initData) {
      show(t("no_init_data"));
      return null;
    }
    try {
      const answer = await api("POST", "/auth/telegram", { init_data: initData });
      token = answer.access_token;
      return answer;
    } catch (error) {
      show(error.status === 401 ? t("bad_init_data") : t("unreachable"));
      return null;
    }
  }

  function start() {
    applyTheme();
    translate();
    postEvent("web_app_ready");
    postEvent("web_app_expand");
  }

  function close() {
    postEvent("web_app_close");
  }

  function haptic(type) {
    postEvent("web_app_trigger_haptic_feedback", { type: "notification", notification_type: type });
  }

  return { lang, locale, user, query, t, translate, money, moneyShort, code, iso, parseDay, addDays, dayLabel, api, login, start, haptic, close, ApiError };
})();
