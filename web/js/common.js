// Shared by the chat (chat.js) and insights (insights.js) pages: the API client and
// session token, safe text rendering, the "Get help now" dialog and the low-energy
// setting. Plain ES module, no dependencies.

const TOKEN_KEY = "cadence.token";
const LOW_ENERGY_KEY = "cadence.lowEnergy";
const COUNTRY_KEY = "cadence.country";

// ---------------------------------------------------------------- storage

function storageGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage blocked (private mode, partitioned iframe): work without it
  }
}

function storageSet(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* ignore */
  }
}

export const getToken = () => storageGet(TOKEN_KEY);
export const setToken = (token) => storageSet(TOKEN_KEY, token);
export const clearToken = () => storageSet(TOKEN_KEY, null);

// ---------------------------------------------------------------- API client

export class ApiError extends Error {
  constructor(status, message, { retryAfter = null, detail = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 = network failure
    this.retryAfter = retryAfter; // seconds, for 429
    this.detail = detail;
  }
}

export function clientMetadata() {
  const meta = {};
  try {
    meta.locale = navigator.language || undefined;
    meta.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    /* ignore */
  }
  return meta;
}

async function rawFetch(path, { method = "GET", body, token, accept = "application/json" } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "network", { detail: String(err) });
  }
  return response;
}

async function errorFrom(response) {
  let detail = null;
  try {
    const data = await response.json();
    detail = data && (data.detail ?? data.error ?? data.message ?? null);
  } catch {
    /* not JSON */
  }
  let retryAfter = null;
  const header = response.headers.get("Retry-After");
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) retryAfter = Math.max(0, Math.ceil(seconds));
    else {
      const when = Date.parse(header);
      if (!Number.isNaN(when)) retryAfter = Math.max(0, Math.ceil((when - Date.now()) / 1000));
    }
  }
  return new ApiError(response.status, `HTTP ${response.status}`, { retryAfter, detail });
}

// A token expires TOKEN_TTL_DAYS after it was issued or renewed, and then the person's
// check-ins can no longer be reached. Renewing once per page load, and daily in a tab left
// open, keeps anyone who uses Cadence on the same data (POST api/v1/sessions/refresh).
const RENEW_EVERY_MS = 24 * 60 * 60 * 1000;
let renewedAt = -Infinity; // performance.now() of this page's last renewal
let renewal = null;

function renewed(token) {
  if (performance.now() - renewedAt < RENEW_EVERY_MS) return Promise.resolve(token);
  renewal ??= rawFetch("api/v1/sessions/refresh", { method: "POST", token })
    .then(async (response) => {
      const data = response.ok ? await response.json() : null;
      if (typeof data?.token !== "string") return token; // the request itself answers 401
      renewedAt = performance.now();
      if (getToken() === token) setToken(data.token);
      return data.token;
    })
    .catch(() => token) // offline: the current token still works until it expires
    .finally(() => {
      renewal = null;
    });
  return renewal;
}

export async function createSession() {
  const response = await rawFetch("api/v1/sessions", { method: "POST", body: {} });
  if (!response.ok) throw await errorFrom(response);
  const data = await response.json();
  if (!data || typeof data.token !== "string") throw new ApiError(500, "no token in session");
  setToken(data.token);
  renewedAt = performance.now();
  return data.token;
}

export async function ensureToken() {
  return getToken() || createSession();
}

/**
 * Call the API with the stored token. `onUnauthorized`:
 *   "renew"  — start a new session and retry once (chat: the user keeps talking);
 *   "clear"  — forget the token and throw (reads: there is nothing to show);
 * `create`: start a session first if there is none.
 * Returns the Response for non-JSON results when `raw` is true.
 */
export async function apiRequest(
  path,
  { method = "GET", body, onUnauthorized = "clear", create = false, raw = false, accept } = {},
) {
  let token = create ? await ensureToken() : getToken();
  if (!token) throw new ApiError(401, "no session");
  token = await renewed(token);
  let response = await rawFetch(path, { method, body, token, accept });
  if (response.status === 401) {
    if (onUnauthorized === "renew") {
      clearToken();
      token = await createSession();
      response = await rawFetch(path, { method, body, token, accept });
    } else {
      clearToken();
    }
  }
  if (!response.ok) throw await errorFrom(response);
  if (raw) return response;
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/**
 * Download one of the user's exports. A link can't carry the Authorization header, so
 * fetch with the token and hand the browser a blob. Only same-origin /api/v1/me/export.
 */
export async function downloadExport(url, fallbackName = "cadence-export") {
  const href = safeHref(url);
  const parsed = href ? new URL(href) : null;
  if (!parsed || parsed.origin !== window.location.origin || !parsed.pathname.endsWith("/api/v1/me/export")) {
    throw new ApiError(400, "not an export link");
  }
  const format = parsed.searchParams.get("format") || "csv";
  const accept = format === "pdf" ? "application/pdf" : "text/csv";
  const response = await apiRequest(parsed.pathname.replace(/^\//, "") + parsed.search, { raw: true, accept });
  const blob = await response.blob();
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = (match ? decodeURIComponent(match[1]).replace(/[^\w.-]+/g, "_") : "") || `${fallbackName}.${format}`;
  const objectUrl = URL.createObjectURL(blob);
  const a = el("a", { attrs: { href: objectUrl, download: name } });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(objectUrl), 30000);
  return name;
}

// ---------------------------------------------------------------- safe text

// Links are made only for these; anything else stays plain text.
export function safeHref(candidate) {
  let url;
  try {
    url = new URL(candidate, window.location.href);
  } catch {
    return null;
  }
  if (url.protocol === "https:" || url.protocol === "tel:" || url.protocol === "sms:") return url.href;
  if (url.origin === window.location.origin && (url.protocol === "http:" || url.protocol === "https:")) {
    return url.href;
  }
  return null;
}

// [label](target) markdown links, bare https:// URLs, and tel:/sms: URIs.
const LINK_PATTERN =
  /\[([^\]\n]{1,200})\]\(([^)\s]{1,2000})\)|(https:\/\/[^\s<>"')\]]+[^\s<>"')\].,;:!?])|((?:tel|sms):\+?[0-9][0-9\-\s]{1,20}[0-9](?:\?body=[A-Za-z0-9%]+)?)|(?<=^|\s)(\/[a-z0-9_-]+\.html(?:#[a-z0-9_-]+)?)/gi;

/** Append `text` to `parent` as text nodes, turning allow-listed links into <a>. */
export function appendRichText(parent, text) {
  const source = String(text ?? "");
  let last = 0;
  for (const match of source.matchAll(LINK_PATTERN)) {
    const [whole, label, target, bareUrl, uri, path] = match;
    const href = safeHref(target ?? bareUrl ?? path ?? uri.replace(/\s+/g, ""));
    if (!href) continue; // leave it as text
    if (match.index > last) parent.append(document.createTextNode(source.slice(last, match.index)));
    const a = document.createElement("a");
    a.href = href;
    a.textContent = label ?? bareUrl ?? path ?? uri;
    if (href.startsWith("https:") && new URL(href).origin !== window.location.origin) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    parent.append(a);
    last = match.index + whole.length;
  }
  if (last < source.length) parent.append(document.createTextNode(source.slice(last)));
}

export function el(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  for (const child of children) if (child) node.append(child);
  return node;
}

// ---------------------------------------------------------------- settings

export function prefersLessMotion() {
  return (
    document.documentElement.classList.contains("low-energy") ||
    window.matchMedia("(prefers-reduced-motion: reduce)").matches
  );
}

export function isLowEnergy() {
  return storageGet(LOW_ENERGY_KEY) === "1";
}

function applyLowEnergy(on) {
  document.documentElement.classList.toggle("low-energy", on);
  for (const toggle of document.querySelectorAll("[data-low-energy-toggle]")) {
    toggle.setAttribute("aria-checked", on ? "true" : "false");
  }
  document.dispatchEvent(new CustomEvent("cadence:low-energy", { detail: { on } }));
}

export function initLowEnergy() {
  applyLowEnergy(isLowEnergy());
  for (const toggle of document.querySelectorAll("[data-low-energy-toggle]")) {
    toggle.addEventListener("click", () => {
      const on = !isLowEnergy();
      storageSet(LOW_ENERGY_KEY, on ? "1" : "0");
      applyLowEnergy(on);
    });
  }
}

// Close an open <details class="menu"> on Escape or a click elsewhere.
export function initMenus() {
  for (const menu of document.querySelectorAll("details.menu")) {
    const summary = menu.querySelector("summary");
    menu.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        summary.focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
    for (const item of menu.querySelectorAll("[data-closes-menu]")) {
      item.addEventListener("click", () => {
        menu.open = false;
      });
    }
  }
}

// ---------------------------------------------------------------- helplines

// Used only if helplines.json cannot be loaded: the CONTENT.md default set.
const FALLBACK_HELPLINES = {
  default: "GB",
  countries: {
    GB: {
      name: "United Kingdom",
      contacts: [
        { name: "Emergency services", call: "999", notes: "If you or someone else is in danger now." },
        { name: "Samaritans", call: "116 123", notes: "Free, 24/7." },
        { name: "Shout", text: "85258", text_body: "SHOUT", notes: "Free, 24/7 support by text." },
      ],
    },
    US: {
      name: "United States",
      contacts: [
        { name: "Emergency services", call: "911", notes: "If you or someone else is in danger now." },
        { name: "988 Suicide & Crisis Lifeline", call: "988", text: "988", notes: "Call or text 988. Free, 24/7." },
        { name: "Crisis Text Line", text: "741741", text_body: "HOME", notes: "Free, 24/7 support by text." },
      ],
    },
    EU: {
      name: "European Union",
      contacts: [{ name: "Emergency services", call: "112", notes: "If you or someone else is in danger now." }],
    },
  },
};

let helplinesPromise = null;

export function loadHelplines() {
  if (!helplinesPromise) {
    helplinesPromise = fetch("helplines.json", { credentials: "omit" })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
      .then((data) => (data && data.countries ? data : FALLBACK_HELPLINES))
      .catch(() => FALLBACK_HELPLINES);
  }
  return helplinesPromise;
}

// Mirrors actions/helplines.py (resolve_country) so the dialog shows the same list as the
// bot: a country the user picked here, then the time zone, then the language tag, then
// the default. The time zone goes first because many people keep an en-US browser
// abroad. The tables come from data/safety/helplines.yml through helplines.json.
const DEFAULT_SET = "default";

function knownCountry(helplines, code) {
  if (!code) return null;
  const countries = helplines.countries || {};
  const trimmed = String(code).trim();
  if (countries[trimmed]) return trimmed;
  let upper = trimmed.toUpperCase();
  upper = (helplines.aliases || {})[upper] || upper;
  return countries[upper] && upper !== DEFAULT_SET ? upper : null;
}

function countryFromLanguage(helplines, tag) {
  if (!tag) return null;
  const clean = String(tag).trim().replace(/_/g, "-");
  const languages = helplines.languages || {};
  const mapped = languages[clean.toLowerCase()];
  if (mapped) return knownCountry(helplines, mapped) || (helplines.countries[mapped] ? mapped : null);
  for (const part of clean.split("-").slice(1)) {
    if (/^[A-Za-z]{2}$/.test(part)) return knownCountry(helplines, part) || (helplines.countries[DEFAULT_SET] ? DEFAULT_SET : null);
  }
  const base = languages[clean.split("-")[0].toLowerCase()];
  return base ? knownCountry(helplines, base) : null;
}

function countryFromZone(helplines, zone) {
  const found = zone ? (helplines.timezones || {})[zone] : null;
  if (found === DEFAULT_SET) return helplines.countries[DEFAULT_SET] ? DEFAULT_SET : null;
  return knownCountry(helplines, found);
}

/** Best guess of the user's country for helplines. */
export function detectCountry(helplines) {
  const saved = storageGet(COUNTRY_KEY);
  if (saved && helplines.countries?.[saved]) return saved;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    /* ignore */
  }
  return (
    countryFromZone(helplines, zone) ||
    countryFromLanguage(helplines, navigator.language) ||
    knownCountry(helplines, helplines.default) ||
    Object.keys(helplines.countries)[0]
  );
}

const digits = (value) => String(value).replace(/[^\d+]/g, "");

/**
 * Normalise one contact. Accepts the helplines.json shape
 * ({name, call, text, text_body, notes}) and what the bot sends, where "text" may be a
 * number or words like "SHOUT to 85258".
 */
export function contactLinks(contact) {
  const links = [];
  if (contact.call) {
    links.push({ kind: "call", label: `Call ${contact.call}`, href: `tel:${digits(contact.call)}` });
  }
  if (contact.text) {
    let number = contact.text;
    let body = contact.text_body || contact.keyword || null;
    const words = /^\s*(?:text\s+)?([A-Za-z]+)\s+to\s+(\+?[\d\s]+)\s*$/i.exec(String(contact.text));
    if (words) {
      body = words[1].toUpperCase();
      number = words[2].trim();
    }
    if (/\d/.test(String(number))) {
      const href = `sms:${digits(number)}${body ? `?body=${encodeURIComponent(body)}` : ""}`;
      links.push({ kind: "text", label: body ? `Text ${body} to ${number}` : `Text ${number}`, href });
    }
  }
  const site = contact.url ? safeHref(contact.url) : null;
  if (site && site.startsWith("https:")) {
    links.push({ kind: "web", label: `Visit ${new URL(site).hostname.replace(/^www\./, "")}`, href: site, external: true });
  }
  return links;
}

export function renderContacts(contacts) {
  const list = el("ul", { className: "contacts" });
  for (const contact of contacts || []) {
    if (!contact || !contact.name) continue;
    const item = el("li", { className: "contact" });
    item.append(el("p", { className: "contact-name", text: contact.name }));
    if (contact.notes) item.append(el("p", { className: "contact-notes", text: contact.notes }));
    const links = el("div", { className: "contact-links" });
    for (const link of contactLinks(contact)) {
      const a = el("a", {
        className: `btn ${link.kind === "call" ? "btn-danger" : ""}`,
        text: link.label,
        attrs: { href: link.href },
      });
      a.setAttribute("aria-label", `${link.label} (${contact.name})`);
      if (link.external) {
        a.target = "_blank";
        a.rel = "noopener noreferrer";
      }
      links.append(a);
    }
    if (links.childElementCount) item.append(links);
    list.append(item);
  }
  return list;
}

/** Wire the "Get help now" button(s) to the #help-dialog, which needs no typing. */
export function initHelpDialog() {
  const dialog = document.getElementById("help-dialog");
  if (!dialog) return;
  const select = dialog.querySelector("#help-country");
  const target = dialog.querySelector("[data-contacts]");
  loadHelplines(); // warm the cache so the dialog opens instantly

  const show = (helplines, code) => {
    target.replaceChildren(renderContacts(helplines.countries[code]?.contacts));
  };

  const open = async () => {
    const helplines = await loadHelplines();
    const code = detectCountry(helplines);
    select.replaceChildren(
      ...Object.entries(helplines.countries).map(([key, country]) =>
        el("option", { text: country.name || key, attrs: { value: key } }),
      ),
    );
    select.value = code;
    show(helplines, code);
    if (!dialog.open) dialog.showModal();
  };

  select.addEventListener("change", async () => {
    storageSet(COUNTRY_KEY, select.value);
    show(await loadHelplines(), select.value);
  });
  for (const button of document.querySelectorAll("[data-open-help]")) button.addEventListener("click", open);
  for (const button of dialog.querySelectorAll("[data-close-dialog]")) {
    button.addEventListener("click", () => dialog.close());
  }
}

/** A native <dialog> used as a yes/no confirmation. Resolves true when confirmed. */
export function confirmDialog(dialog) {
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener("close", done);
      resolve(dialog.returnValue === "confirm");
    };
    dialog.returnValue = "";
    dialog.addEventListener("close", done);
    dialog.showModal();
  });
}
