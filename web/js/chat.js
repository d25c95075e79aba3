// The chat widget. Talks to POST /api/v1/chat, rebuilds itself from
// GET /api/v1/me/conversation after a reload, and never renders bot text as HTML.
import {
  ApiError,
  apiRequest,
  appendRichText,
  clientMetadata,
  clearToken,
  confirmDialog,
  downloadExport,
  el,
  getToken,
  initHelpDialog,
  initLowEnergy,
  initMenus,
  prefersLessMotion,
  renderContacts,
  safeHref,
} from "./common.js";

const $ = (id) => document.getElementById(id);
const scroller = $("chat-scroll");
const log = $("log");
const typing = $("typing");
const statusLine = $("status");
const notice = $("notice");
const form = $("composer");
const input = $("message");
const sendButton = $("send");
const quickStarts = $("quick-starts");
const tapBar = $("tap-bar");

const SCORE_PAYLOAD = /^\/inform\s*\{\s*"score"\s*:\s*(\d{1,2})\s*\}\s*$/;
// Severity bands, for scales whose 0 is the absence of a symptom (pain, fatigue).
const BANDS = [
  [0, 0, "none"],
  [1, 3, "mild"],
  [4, 6, "moderate"],
  [7, 10, "severe"],
];
// What the question says its ends mean: "0 = terrible, 10 = excellent",
// "0 is no pain, 10 is …", "from 0 (none) to 10 (worst imaginable)".
const ANCHORS = [
  /\b0\s*(?:=|is)\s*([^,.;?!]+?)\s*[,;]\s*(?:and\s+)?10\s*(?:=|is)\s*([^.;?!]+)/i,
  /\b0\s*\(([^)]+)\)\s*to\s*10\s*\(([^)]+)\)/i,
];

let pending = false;
let lastSpeaker = null;
let noticeTimer = null;

// ---------------------------------------------------------------- layout helpers

function trackVisualViewport() {
  const vv = window.visualViewport;
  if (!vv) return;
  const update = () => {
    const nearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    document.documentElement.style.setProperty("--vvh", `${Math.round(vv.height)}px`);
    // iOS scrolls the layout viewport when the keyboard opens; keep the page pinned.
    if (vv.offsetTop > 0 && document.activeElement === input) window.scrollTo(0, 0);
    if (nearBottom) scrollToEnd();
  };
  vv.addEventListener("resize", update);
  vv.addEventListener("scroll", update);
  update();
}

function scrollToEnd() {
  scroller.scrollTop = scroller.scrollHeight;
}

function revealTurn(node) {
  // Show the start of a long reply rather than its end; keep the composer in view.
  const top = node.offsetTop - scroller.offsetTop - 12;
  const bottom = scroller.scrollHeight - scroller.clientHeight;
  scroller.scrollTo({ top: Math.min(Math.max(top, scroller.scrollTop), bottom), behavior: prefersLessMotion() ? "auto" : "smooth" });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function autosize() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight + 3, 144)}px`;
}

function setNotice(text, { timeout = 0 } = {}) {
  clearTimeout(noticeTimer);
  notice.textContent = text || "";
  notice.hidden = !text;
  if (text && timeout) noticeTimer = setTimeout(() => setNotice(""), timeout);
}

function announce(text) {
  statusLine.textContent = text;
}

function refreshEmptyState() {
  const empty = log.childElementCount === 0;
  quickStarts.hidden = !empty;
}

// ---------------------------------------------------------------- rendering

function whoLabel(speaker) {
  const label = el("p", { className: "who", text: speaker === "user" ? "You" : "Cadence" });
  if (lastSpeaker === speaker) label.classList.add("visually-hidden");
  lastSpeaker = speaker;
  return label;
}

function addUserTurn(text) {
  const turn = el("div", { className: "turn turn-user" }, [whoLabel("user"), el("p", { className: "bubble", text })]);
  log.append(turn);
  refreshEmptyState();
  return turn;
}

/**
 * How a 0–10 scale is labelled, read from the question that carries its buttons (never
 * from other messages in the reply: a sleep answer before the fatigue question must not
 * turn fatigue into a sleep scale). Scales whose 0 is "no <symptom>" get the severity
 * bands; the others (sleep quality runs the other way round, PEG, stress) name their
 * two ends as the question does and the rest "N out of 10".
 */
function scaleFor(question) {
  const text = String(question || "");
  const match = ANCHORS.map((pattern) => pattern.exec(text)).find(Boolean);
  if (!match) return { banded: true };
  const [low, high] = [match[1].trim(), match[2].trim()];
  return { banded: /^(?:no|none)\b/i.test(low), low, high };
}

function scaleLabel(score, scale) {
  if (scale.banded) {
    const band = BANDS.find(([lo, hi]) => score >= lo && score <= hi);
    return band ? `${score} – ${band[2]}` : String(score);
  }
  if (score === 0) return `0 – ${scale.low}`;
  if (score === 10) return `10 – ${scale.high}`;
  return `${score} out of 10`;
}

function scoreOf(button) {
  const match = SCORE_PAYLOAD.exec(String(button?.payload ?? ""));
  return match ? Number(match[1]) : null;
}

/**
 * Only a full 0–10 set of score buttons is a scale. Other score buttons (the weekly mood
 * screens: "Not at all" … "Nearly every day", scored 0–3) are ordinary choices.
 */
function isScale(buttons) {
  const scores = buttons.map(scoreOf);
  if (scores.length !== 11 || scores.includes(null)) return false;
  const seen = new Set(scores);
  return seen.size === 11 && [...seen].every((score) => score <= 10);
}

function renderChoices(buttons, { question, labelledBy }) {
  const scale = isScale(buttons) ? scaleFor(question) : null;
  const group = el("div", {
    className: scale ? "choices choices-scale" : "choices",
    attrs: { role: "group", "aria-labelledby": labelledBy },
  });
  for (const button of buttons) {
    if (!button || typeof button.title !== "string") continue;
    const choice = el("button", { className: "btn choice", text: button.title, attrs: { type: "button" } });
    choice.dataset.payload = String(button.payload ?? "");
    choice.dataset.title = button.title;
    if (scale) {
      const label = scaleLabel(scoreOf(button), scale);
      if (label !== button.title) choice.setAttribute("aria-label", label);
      choice.title = label;
    }
    group.append(choice);
  }
  const wrapper = el("div", { className: "choice-set" }, [group]);
  if (scale) {
    const legend = scale.banded
      ? [el("span", { text: "0 none · 1–3 mild · 4–6 moderate · 7–10 severe" })]
      : [el("span", { text: `0 = ${scale.low}` }), el("span", { text: `10 = ${scale.high}` })];
    wrapper.append(el("div", { className: "scale-legend", attrs: { "aria-hidden": "true" } }, legend));
  }
  return wrapper;
}

/** The bot's `custom` payloads: helplines, export links, a link, and "erased". */
function renderCustom(custom) {
  switch (custom.type) {
    case "helplines": {
      const card = el("section", { className: "contacts-card", attrs: { "aria-label": "Crisis contacts" } });
      const where = typeof custom.country_name === "string" && custom.country_name ? ` (${custom.country_name})` : "";
      card.append(el("h3", { text: `People you can contact now${where}` }), renderContacts(custom.contacts));
      return card;
    }
    case "export": {
      const links = Array.isArray(custom.links) ? custom.links : [];
      const group = el("div", { className: "choices" });
      for (const link of links) {
        if (!link || typeof link.url !== "string") continue;
        const button = el("button", { className: "btn", text: String(link.title || "Download"), attrs: { type: "button" } });
        button.dataset.exportUrl = link.url;
        group.append(button);
      }
      return group.childElementCount ? group : null;
    }
    case "link": {
      const href = typeof custom.url === "string" ? safeHref(custom.url) : null;
      if (!href) return null;
      const a = el("a", { className: "btn", text: String(custom.title || custom.url), attrs: { href } });
      if (document.documentElement.classList.contains("embedded") || new URL(href).origin !== window.location.origin) {
        a.target = "_blank";
        a.rel = "noopener noreferrer";
      }
      return el("div", { className: "choices" }, [a]);
    }
    case "erase":
    case "erased":
      // The API has erased this user; the token is dead. A new session starts on the
      // next message, and a reload shows the welcome again.
      clearToken();
      return null;
    default:
      return null;
  }
}

let bubbleCounter = 0;

/**
 * Render one bot message. `previous` is the last message with text earlier in the same
 * reply ({text, id}): buttons sent without text of their own belong to that question.
 * Returns the turn and, when the message has text, its {text, id} for the next one.
 */
function addBotMessage(message, previous = null) {
  if (!message || typeof message !== "object") return { node: null, question: previous };
  const hasText = typeof message.text === "string" && message.text.trim() !== "";
  const buttons = Array.isArray(message.buttons) ? message.buttons : [];
  const custom = message.custom && typeof message.custom === "object" ? message.custom : null;
  const customNode = custom ? renderCustom(custom) : null;
  if (!hasText && !buttons.length && !customNode) return { node: null, question: previous };

  const turn = el("div", { className: "turn turn-bot" }, [whoLabel("bot")]);
  const id = `bot-${++bubbleCounter}`;
  const question = hasText ? { text: message.text, id } : previous;
  if (hasText) {
    const bubble = el("p", { className: "bubble", attrs: { id } });
    appendRichText(bubble, message.text);
    turn.append(bubble);
  }
  if (customNode) turn.append(customNode);
  if (buttons.length) {
    turn.append(renderChoices(buttons, { question: question?.text, labelledBy: question?.id }));
  }
  log.append(turn);
  refreshEmptyState();
  return { node: turn, question };
}

function enabledChoices() {
  return [...log.querySelectorAll("button.choice:not([disabled])")];
}

function disableChoices() {
  for (const choice of enabledChoices()) choice.disabled = true;
}

// ---------------------------------------------------------------- sending

function setPending(on) {
  pending = on;
  typing.hidden = !on;
  log.setAttribute("aria-busy", on ? "true" : "false");
  sendButton.disabled = on;
  if (on) {
    announce("Cadence is replying…");
    scrollToEnd();
  }
}

function markFailed(turn, retry) {
  turn.classList.add("turn-failed");
  const retryButton = el("button", { className: "btn", text: "Try again", attrs: { type: "button" } });
  const note = el("div", { className: "turn-note" }, [
    el("span", { text: "Cadence can’t answer right now, your message was kept." }),
    retryButton,
  ]);
  retryButton.addEventListener("click", () => {
    note.remove();
    turn.classList.remove("turn-failed");
    retry();
  });
  turn.append(note);
}

/**
 * Send typed text ({text}) or a button ({payload, title, choice}). The user's side is
 * shown at once; the reply is appended message by message.
 */
async function send({ text, payload, title, choice, viaButton = false }, existingTurn = null) {
  if (pending) return;
  const shown = payload !== undefined ? title : text;
  setNotice("");
  let turn = existingTurn;
  if (!turn) {
    turn = addUserTurn(shown);
    if (choice) {
      choice.classList.add("chosen");
      choice.setAttribute("aria-pressed", "true");
    }
  }
  const offered = enabledChoices();
  for (const b of offered) b.disabled = true; // no double answers while waiting
  const byButton = payload !== undefined;
  const focusAfter = byButton || viaButton;
  setPending(true);

  const body = byButton ? { payload } : { message: text };
  body.metadata = clientMetadata();
  let data;
  try {
    data = await apiRequest("api/v1/chat", { method: "POST", body, create: true, onUnauthorized: "renew" });
  } catch (err) {
    setPending(false);
    announce("");
    const status = err instanceof ApiError ? err.status : 0;
    if (choice && status !== 422) {
      for (const b of offered) b.disabled = false;
    }
    if (status === 429) {
      turn.remove();
      lastSpeaker = log.lastElementChild?.classList.contains("turn-user") ? "user" : "bot";
      if (choice) choice.classList.remove("chosen");
      if (!byButton && !input.value) input.value = text;
      autosize();
      const wait = err.retryAfter ? ` Please wait ${err.retryAfter} second${err.retryAfter === 1 ? "" : "s"} and try again.` : " Please wait a moment and try again.";
      setNotice(`You’re sending messages quickly — slow down a little.${wait}`);
    } else if (status === 422 && byButton) {
      setNotice("That option has expired. You can type your answer instead.", { timeout: 8000 });
    } else if (status === 422) {
      turn.remove();
      input.value = text;
      autosize();
      setNotice(typeof err.detail === "string" ? err.detail : "That message couldn’t be sent. Try a shorter message.");
    } else {
      markFailed(turn, () => send({ text, payload, title, choice, viaButton }, turn));
    }
    refreshEmptyState();
    return;
  }

  disableChoices(); // a newer bot turn exists now
  const messages = Array.isArray(data?.messages) ? data.messages : [];
  const stagger = !prefersLessMotion();
  let question = null;
  let first = null;
  for (const [index, message] of messages.entries()) {
    if (stagger && index > 0) {
      typing.hidden = false;
      scrollToEnd();
      await sleep(Math.min(300 + String(messages[index - 1]?.text || "").length * 4, 900));
    }
    const added = addBotMessage(message, question);
    question = added.question;
    if (added.node && !first) first = added.node;
  }
  setPending(false);
  announce("");
  if (first) revealTurn(first);
  const next = enabledChoices();
  // A tap or keypress on a button moves focus to the next question's buttons, so a
  // keyboard user can answer a whole check-in without hunting for them.
  if (focusAfter && next.length) next[0].focus({ preventScroll: true });
  else if (focusAfter) input.focus({ preventScroll: true });
}

// ---------------------------------------------------------------- history

async function restore() {
  if (!getToken()) return;
  let data;
  try {
    data = await apiRequest("api/v1/me/conversation", { onUnauthorized: "clear" });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) {
      setNotice("Your earlier conversation couldn’t be loaded. You can carry on here.", { timeout: 8000 });
    }
    return;
  }
  const turns = Array.isArray(data?.turns) ? data.turns : [];
  let question = null;
  let previousBot = [];
  for (const turn of turns) {
    if (turn?.role === "user") {
      const text = typeof turn.text === "string" ? turn.text : "";
      // The transcript keeps a chosen button's title as the user's turn: mark it.
      for (const node of previousBot) {
        const match = [...node.querySelectorAll("button.choice")].find((b) => b.dataset.title === text);
        if (match) {
          match.classList.add("chosen");
          match.setAttribute("aria-pressed", "true");
        }
      }
      previousBot = [];
      question = null;
      const node = addUserTurn(text);
      if (turn.undelivered) markFailed(node, () => send({ text }, node));
    } else if (turn?.role === "bot") {
      const added = addBotMessage(turn, question);
      question = added.question;
      if (added.node) previousBot.push(added.node);
    }
  }
  // Only the bot's latest turn (the messages after the last user turn) stays answerable.
  const live = new Set(previousBot);
  for (const choice of log.querySelectorAll("button.choice")) {
    if (!live.has(choice.closest(".turn"))) choice.disabled = true;
  }
}

async function startOver() {
  const confirmed = await confirmDialog($("start-over-dialog"));
  if (!confirmed) return;
  if (getToken()) {
    try {
      await apiRequest("api/v1/me/conversation", { method: "DELETE", onUnauthorized: "clear" });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) {
        setNotice("Couldn’t clear the conversation just now. Please try again in a moment.");
        return;
      }
    }
  }
  log.replaceChildren();
  lastSpeaker = null;
  setNotice("");
  announce("The conversation was cleared.");
  await restore(); // the bot may have said hello again after the restart
  refreshEmptyState();
  scroller.scrollTop = 0;
  input.focus();
}

// ---------------------------------------------------------------- wiring

function wire() {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || pending) return;
    input.value = "";
    autosize();
    send({ text });
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", autosize);

  log.addEventListener("click", async (event) => {
    const exporter = event.target.closest("button[data-export-url]");
    if (exporter) {
      exporter.disabled = true;
      try {
        const name = await downloadExport(exporter.dataset.exportUrl);
        setNotice(`Downloading ${name}.`, { timeout: 6000 });
      } catch {
        setNotice("That download didn't work just now. You can also download from Your insights and data.", { timeout: 10000 });
      } finally {
        exporter.disabled = false;
      }
      return;
    }
    const choice = event.target.closest("button.choice");
    if (!choice || choice.disabled || pending) return;
    send({ payload: choice.dataset.payload, title: choice.dataset.title, choice });
  });

  // Arrow keys move between the buttons of one question (Tab still works too).
  log.addEventListener("keydown", (event) => {
    const choice = event.target.closest?.("button.choice");
    if (!choice) return;
    const siblings = [...choice.parentElement.querySelectorAll("button.choice:not([disabled])")];
    const at = siblings.indexOf(choice);
    const moves = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: siblings.length - 1 };
    if (!(event.key in moves) || at < 0) return;
    const target = siblings[Math.min(Math.max(moves[event.key], 0), siblings.length - 1)];
    event.preventDefault();
    target.focus();
  });

  for (const starter of document.querySelectorAll("[data-say]")) {
    starter.addEventListener("click", () => {
      if (!pending) send({ text: starter.dataset.say, viaButton: true });
    });
  }
  for (const button of document.querySelectorAll("[data-start-over]")) button.addEventListener("click", startOver);

  document.addEventListener("cadence:low-energy", (event) => {
    tapBar.hidden = !event.detail.on;
  });

  if (new URLSearchParams(window.location.search).has("embed")) {
    document.documentElement.classList.add("embedded");
    for (const link of document.querySelectorAll("[data-insights-link]")) {
      link.target = "_blank";
      link.rel = "noopener";
    }
  }
}

async function main() {
  wire();
  initLowEnergy();
  initMenus();
  initHelpDialog();
  trackVisualViewport();
  autosize();
  // History is put in before the log becomes a live region, so a screen reader
  // announces only what is new, not the whole conversation again.
  log.setAttribute("aria-busy", "true");
  await restore();
  log.setAttribute("role", "log");
  log.setAttribute("aria-label", "Conversation with Cadence");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.setAttribute("aria-busy", "false");
  refreshEmptyState();
  scrollToEnd();
  document.body.dataset.ready = "true";
}

main();
