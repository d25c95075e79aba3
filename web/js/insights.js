// The insights page: check-ins over time (uPlot, vendored in web/vendor/uplot), the
// averages and trends from GET /api/v1/me/insights, correlation cards, export and erase.
import {
  ApiError,
  apiRequest,
  clearToken,
  confirmDialog,
  downloadExport,
  el,
  getToken,
  initHelpDialog,
  initLowEnergy,
} from "./common.js";

const $ = (id) => document.getElementById(id);
const DAY = 86400;

const MEASURES = [
  { key: "pain", label: "Pain", color: "#b03a2e", scale: "0 none · 10 as bad as you can imagine" },
  { key: "fatigue", label: "Fatigue", color: "#6a4c93", scale: "0 none · 10 worst imaginable" },
  { key: "sleep_quality", label: "Sleep quality", color: "#1d6fa5", scale: "0 terrible · 10 excellent" },
  { key: "stress", label: "Stress", color: "#8a5a00", scale: "0 none · 10 extreme" },
];
const LABEL = Object.fromEntries(MEASURES.map((m) => [m.key, m.label]));
LABEL.sleep = "Sleep quality";

const DEFAULT_CAVEAT =
  "These are patterns in your own check-ins, not proof that one thing causes another. Many things change together, and a few days of data can mislead.";

function setNotice(text, { error = false } = {}) {
  const notice = $("notice");
  notice.textContent = text || "";
  notice.hidden = !text;
  notice.classList.toggle("notice-error", error);
}

// ---------------------------------------------------------------- data shaping

/** Timestamps without a zone are UTC from the API. */
function parseInstant(value) {
  if (!value) return NaN;
  const s = String(value);
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
}

function checkinTime(checkin) {
  const t = parseInstant(checkin.created_at);
  if (!Number.isNaN(t)) return t / 1000;
  if (checkin.local_date) {
    const [y, m, d] = String(checkin.local_date).split("-").map(Number);
    return new Date(y, m - 1, d, 12).getTime() / 1000;
  }
  return NaN;
}

const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const fmt = (v) => (v === null ? "—" : (Math.round(v * 10) / 10).toLocaleString(undefined, { maximumFractionDigits: 1 }));

function mean(values) {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

function localAverages(points, key, now) {
  const within = (days) => points.filter((p) => p.t >= now - days * DAY && num(p[key]) !== null).map((p) => p[key]);
  return { avg7: mean(within(7)), avg30: mean(within(30)) };
}

/** Pull a measure's numbers out of whatever shape the insights endpoint has. */
function insightFor(insights, key) {
  if (!insights || typeof insights !== "object") return {};
  const pools = [insights.measures, insights.averages, insights.summary, insights];
  let entry = null;
  for (const pool of pools) {
    if (Array.isArray(pool)) entry = pool.find((m) => m && (m.measure === key || m.key === key || m.name === key));
    else if (pool && typeof pool === "object" && pool[key] && typeof pool[key] === "object") entry = pool[key];
    if (entry) break;
  }
  if (!entry) return {};
  const pick = (...names) => {
    for (const name of names) {
      const path = name.split(".");
      let v = entry;
      for (const p of path) v = v && typeof v === "object" ? v[p] : undefined;
      if (v !== undefined && v !== null) return v;
    }
    return null;
  };
  return {
    avg7: num(pick("avg_7d", "average_7d", "mean_7d", "avg7", "last_7_days.average", "last_7_days.mean", "7d.average", "7d.mean", "d7.mean", "d7.average", "week.average")),
    avg30: num(pick("avg_30d", "average_30d", "mean_30d", "avg30", "last_30_days.average", "last_30_days.mean", "30d.average", "30d.mean", "d30.mean", "d30.average", "month.average")),
    trend: pick("trend_7d", "trend", "trend_30d", "direction", "7d.trend", "d7.trend"),
    trendText: pick("trend_text", "trend_description", "summary"),
  };
}

function describeTrend(trend) {
  if (trend === null || trend === undefined) return null;
  if (typeof trend === "object") return describeTrend(trend.direction ?? trend.label ?? trend.slope ?? null);
  if (typeof trend === "number") {
    if (Math.abs(trend) < 0.05) return "steady";
    return trend > 0 ? "up" : "down";
  }
  const s = String(trend).toLowerCase();
  if (/^(up|rising|increas|higher)/.test(s)) return "up";
  if (/^(down|falling|decreas|lower)/.test(s)) return "down";
  if (/^(flat|stable|steady|same|no)/.test(s)) return "steady";
  if (/insufficient|not enough|unknown/.test(s)) return null;
  return String(trend);
}

// ---------------------------------------------------------------- summary

function renderSummary(points, insights) {
  const now = Date.now() / 1000;
  const cards = MEASURES.map((m) => {
    const fromApi = insightFor(insights, m.key);
    const local = localAverages(points, m.key, now);
    const avg7 = fromApi.avg7 ?? local.avg7;
    const avg30 = fromApi.avg30 ?? local.avg30;
    const trend = (typeof fromApi.trendText === "string" && fromApi.trendText) || describeTrend(fromApi.trend);
    const rows = [
      ["7 days", avg7 === null ? "—" : fmt(avg7)],
      ["30 days", avg30 === null ? "—" : fmt(avg30)],
    ];
    if (trend) rows.push(["Trend", trend]);
    const dl = el("dl");
    for (const [dt, dd] of rows) dl.append(el("dt", { text: dt }), el("dd", { text: dd }));
    const card = el("article", { className: "measure", attrs: { "data-measure": m.key } }, [
      el("h3", { text: m.label }),
      dl,
      el("p", { className: "scale-note", text: m.scale }),
    ]);
    card.style.setProperty("--accent", m.color);
    return card;
  });
  $("summary").replaceChildren(...cards);
}

// ---------------------------------------------------------------- charts

const charts = [];

const dayLabel = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });

function chartOptions(measure, width, range) {
  const axisFont = "13px system-ui, sans-serif";
  return {
    width,
    height: 190,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: () => range },
      y: { range: [0, 10] },
    },
    axes: [
      {
        stroke: "#4f5866",
        font: axisFont,
        grid: { stroke: "#e6e8eb" },
        ticks: { stroke: "#d5d9de" },
        space: 64,
        incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY],
        values: (_u, splits) => splits.map((s) => dayLabel.format(new Date(s * 1000))),
      },
      { stroke: "#4f5866", font: axisFont, grid: { stroke: "#e6e8eb" }, ticks: { stroke: "#d5d9de" }, splits: () => [0, 2, 4, 6, 8, 10], size: 36 },
    ],
    series: [
      {},
      {
        label: measure.label,
        stroke: measure.color,
        width: 2.5,
        spanGaps: true,
        points: { show: true, size: 9, fill: measure.color, stroke: measure.color },
      },
    ],
  };
}

function dataTable(measure, points) {
  const table = el("table", { className: "data-table" });
  table.append(
    el("caption", { className: "visually-hidden", text: `${measure.label} check-ins, newest first` }),
    el("thead", {}, [el("tr", {}, [el("th", { text: "When", attrs: { scope: "col" } }), el("th", { text: measure.label, attrs: { scope: "col" } })])]),
  );
  const body = el("tbody");
  const dateFmt = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  for (const p of [...points].reverse()) {
    if (num(p[measure.key]) === null) continue;
    body.append(el("tr", {}, [el("td", { text: dateFmt.format(new Date(p.t * 1000)) }), el("td", { text: String(p[measure.key]) })]));
  }
  table.append(body);
  return el("div", { className: "table-scroll", attrs: { tabindex: "0", role: "region", "aria-label": `${measure.label} data table` } }, [table]);
}

function renderCharts(points) {
  const container = $("charts");
  container.replaceChildren();
  charts.length = 0;
  const now = Date.now() / 1000;
  const first = points.length ? points[0].t : now;
  const start = Math.max(Math.min(first, now - 14 * DAY), now - 90 * DAY) - DAY / 2;
  const range = [start, now + DAY / 2];
  const shown = points.filter((p) => p.t >= start);
  $("charts-note").textContent =
    shown.length === points.length
      ? `Each dot is one check-in (${points.length} so far). Scores are 0 to 10.`
      : `The last 90 days: ${shown.length} of your ${points.length} check-ins. Scores are 0 to 10.`;

  for (const measure of MEASURES) {
    const values = shown.map((p) => num(p[measure.key]));
    const latest = [...values].reverse().find((v) => v !== null) ?? null;
    const canvas = el("div", { className: "chart-canvas", attrs: { "aria-hidden": "true" } });
    const figure = el("figure", {
      className: "chart",
      attrs: {
        "data-measure": measure.key,
        "data-points": String(values.filter((v) => v !== null).length),
        "aria-label": `${measure.label} over time, ${values.length} check-ins${latest === null ? "" : `, latest ${latest} out of 10`}. A table of the values follows.`,
      },
    });
    const caption = el("figcaption", {}, [
      document.createTextNode(measure.label),
      el("span", { text: latest === null ? "" : `latest ${latest}/10` }),
    ]);
    const details = el("details", {}, [el("summary", { text: `Show ${measure.label.toLowerCase()} as a table` }), dataTable(measure, shown)]);
    figure.append(caption, canvas, details);
    container.append(figure);
    if (window.uPlot) {
      const width = Math.max(canvas.clientWidth, 240);
      const plot = new window.uPlot(chartOptions(measure, width, range), [shown.map((p) => p.t), values], canvas);
      charts.push({ plot, canvas });
    }
  }
  if (!window.uPlot) setNotice("Charts could not be drawn; the tables below each chart have the same numbers.");
}

if ("ResizeObserver" in window) {
  let frame = 0;
  new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      for (const { plot, canvas } of charts) {
        const width = Math.max(canvas.clientWidth, 240);
        if (Math.abs(plot.width - width) > 2) plot.setSize({ width, height: 190 });
      }
    });
  }).observe(document.body);
}

// ---------------------------------------------------------------- patterns

function correlationsOf(insights) {
  if (!insights || typeof insights !== "object") return null;
  const list = insights.correlations ?? insights.patterns ?? null;
  if (Array.isArray(list)) return list.filter((c) => c && typeof c === "object");
  if (list && typeof list === "object") return Object.entries(list).map(([name, c]) => ({ name, ...(c || {}) }));
  return null;
}

function strengthOf(r) {
  const a = Math.abs(r);
  if (a < 0.1) return "no clear link";
  return `${a < 0.3 ? "a weak" : a < 0.5 ? "a moderate" : "a strong"} ${r > 0 ? "positive" : "negative"} link`;
}

const PATTERN_TITLES = {
  pain_fatigue: "Pain and fatigue",
  sleep_next_day_pain: "Sleep and next-day pain",
  sleep_next_day_fatigue: "Sleep and next-day fatigue",
};

function humanise(key) {
  const text = String(key).replace(/_/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function pairName(c) {
  if (c.name && PATTERN_TITLES[c.name]) return PATTERN_TITLES[c.name];
  const a = c.a ?? c.x ?? c.measure_a ?? c.first ?? (Array.isArray(c.pair) ? c.pair[0] : null) ?? (Array.isArray(c.measures) ? c.measures[0] : null);
  const b = c.b ?? c.y ?? c.measure_b ?? c.second ?? (Array.isArray(c.pair) ? c.pair[1] : null) ?? (Array.isArray(c.measures) ? c.measures[1] : null);
  if (a && b) return `${LABEL[a] || a} and ${(LABEL[b] || b).toLowerCase()}`;
  return c.title || (c.name ? humanise(c.name) : "A pattern");
}

function renderPatterns(insights, points) {
  const target = $("patterns");
  const correlations = correlationsOf(insights);
  const caveatText = (insights && typeof insights.caveat === "string" && insights.caveat) || DEFAULT_CAVEAT;
  const nodes = [];
  if (!correlations || correlations.length === 0) {
    const needed = num(insights?.min_days) ?? num(insights?.min_days_for_correlations) ?? 7;
    const days = num(insights?.n_days) ?? new Set(points.map((p) => p.local_date || new Date(p.t * 1000).toDateString())).size;
    nodes.push(
      el("p", {
        className: "card",
        text: `Patterns between your measures show here once there are enough days to compare — about ${needed} days of check-ins. You have ${days} so far.`,
      }),
    );
  } else {
    const grid = el("div", { className: "patterns" });
    for (const c of correlations) {
      const r = num(c.r ?? c.coefficient ?? c.rho ?? c.value);
      const nDays = num(c.n_days ?? c.n ?? c.days);
      const text = c.summary ?? c.text ?? c.description ?? c.statement ?? c.message ?? null;
      const card = el("article", { className: "pattern" }, [el("h3", { text: pairName(c) })]);
      if (typeof text === "string" && text) card.append(el("p", { text }));
      else if (r !== null) card.append(el("p", { text: `In your check-ins there is ${strengthOf(r)} between these two.` }));
      const meta = [];
      if (r === null) {
        // Not enough days yet: the message says how many more; "based on 0 days" would not help.
        card.classList.add("pattern-pending");
        grid.append(card);
        continue;
      }
      if (nDays !== null) meta.push(`Based on ${nDays} day${nDays === 1 ? "" : "s"}`);
      if (r !== null) meta.push(`r = ${r.toFixed(2)}`);
      const said = typeof text === "string" ? text.toLowerCase() : "";
      if (typeof c.caveat === "string" && c.caveat && !said.includes(c.caveat.toLowerCase())) meta.push(humanise(c.caveat));
      if (meta.length) card.append(el("p", { className: "meta", text: meta.join(" · ") }));
      grid.append(card);
    }
    nodes.push(grid);
  }
  nodes.push(el("p", { className: "caveat", text: caveatText }));
  target.replaceChildren(...nodes);
}

// ---------------------------------------------------------------- flare, best and worst days

const dateLabel = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });

function localDate(value) {
  const [y, m, d] = String(value || "").split("-").map(Number);
  return y && m && d ? new Date(y, m - 1, d) : null;
}

function dayScores(day) {
  return MEASURES.filter((m) => num(day[m.key]) !== null)
    .map((m) => `${m.label.toLowerCase()} ${fmt(day[m.key])}`)
    .join(", ");
}

function renderHighlights(insights) {
  const target = $("highlights");
  const nodes = [];
  const flare = insights && typeof insights.flare === "object" ? insights.flare : null;
  if (flare) {
    const card = el("section", { className: "flare", attrs: { "aria-labelledby": "flare-title" } }, [
      el("h2", { text: "Your latest day looks like a flare", attrs: { id: "flare-title" } }),
    ]);
    const parts = Object.entries(flare.measures || {}).map(
      ([key, v]) => `${LABEL[key] || humanise(key)} ${fmt(num(v?.value))} (your usual: ${fmt(num(v?.baseline))})`,
    );
    if (parts.length) card.append(el("p", { text: parts.join(" · ") }));
    if (typeof flare.suggestion === "string") card.append(el("p", { text: flare.suggestion }));
    nodes.push(card);
  }
  const peg = insights && typeof insights.peg === "object" ? insights.peg : null;
  if (peg) {
    // Weekly PEG: pain, and how much it gets in the way of enjoyment and activity.
    const card = el("section", { className: "card peg-card", attrs: { "aria-labelledby": "peg-title" } }, [
      el("h3", { text: "Weekly PEG score (pain and how much it gets in the way)", attrs: { id: "peg-title" } }),
    ]);
    if (typeof peg.message === "string") card.append(el("p", { text: peg.message }));
    const weeks = Array.isArray(peg.scores) ? peg.scores.slice(-8) : [];
    if (weeks.length > 1) {
      const list = el("ul", { className: "peg-weeks" });
      for (const week of weeks) {
        const when = localDate(week.local_date);
        list.append(el("li", { text: `${when ? dateLabel.format(when) : week.local_date}: ${fmt(num(week.peg))}` }));
      }
      card.append(list);
    }
    nodes.push(card);
  }
  const best = insights?.best_day;
  const worst = insights?.worst_day;
  if (best && worst) {
    const list = el("dl", { className: "days" });
    for (const [label, day] of [["Your easiest day", best], ["Your hardest day", worst]]) {
      const when = localDate(day.local_date);
      list.append(
        el("dt", { text: label }),
        el("dd", { text: `${when ? dateLabel.format(when) : day.local_date}: ${dayScores(day)}` }),
      );
    }
    nodes.push(el("div", { className: "card days-card" }, [el("h3", { text: "The last 30 days" }), list]));
  }
  target.replaceChildren(...nodes);
  target.hidden = nodes.length === 0;
}

// ---------------------------------------------------------------- export and erase

async function exportData(format, button) {
  if (!getToken()) {
    setNotice("There is nothing to download yet: no check-ins on this device.");
    return;
  }
  button.disabled = true;
  setNotice("Preparing your download…");
  try {
    await downloadExport(`api/v1/me/export?format=${format}`, "cadence-checkins");
    setNotice(`Your ${format.toUpperCase()} download has started.`);
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 0;
    setNotice(
      status === 401
        ? "Your session has ended, so there is nothing to download."
        : status === 404 || status === 501
          ? "Downloads aren't available yet."
          : "The download didn't work just now. Please try again in a moment.",
      { error: true },
    );
  } finally {
    button.disabled = false;
  }
}

async function deleteEverything() {
  const confirmed = await confirmDialog($("delete-dialog"));
  if (!confirmed) return;
  if (getToken()) {
    try {
      await apiRequest("api/v1/me", { method: "DELETE" });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) {
        setNotice(
          typeof err.detail === "string" ? err.detail : "We couldn't delete your data just now. Nothing was deleted; please try again.",
          { error: true },
        );
        return;
      }
    }
  }
  clearToken();
  charts.length = 0;
  $("content").hidden = true;
  $("empty").hidden = true;
  setNotice("All your data has been deleted from Cadence. If you chat again, you start fresh.");
  $("notice").tabIndex = -1;
  $("notice").focus();
}

// ---------------------------------------------------------------- load

async function load() {
  if (!getToken()) {
    $("empty").hidden = false;
    return;
  }
  let checkins;
  let insights = null;
  try {
    const [list, summary] = await Promise.all([
      apiRequest("api/v1/me/checkins"),
      apiRequest("api/v1/me/insights").catch((err) => {
        if (err instanceof ApiError && err.status === 401) throw err;
        return null; // insights are optional: the charts and averages work without them
      }),
    ]);
    checkins = Array.isArray(list) ? list : Array.isArray(list?.checkins) ? list.checkins : [];
    insights = summary;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      $("empty").hidden = false;
      return;
    }
    setNotice("Your check-ins couldn't be loaded just now. Please try again in a moment.", { error: true });
    return;
  }
  const points = checkins
    .map((c) => ({ ...c, t: checkinTime(c) }))
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  if (!points.length) {
    $("empty").hidden = false;
    return;
  }
  $("content").hidden = false;
  renderHighlights(insights);
  renderSummary(points, insights);
  renderCharts(points);
  renderPatterns(insights, points);
}

function wire() {
  initLowEnergy();
  initHelpDialog();
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => exportData(button.dataset.export, button));
  }
  $("delete-all").addEventListener("click", deleteEverything);
}

wire();
load().finally(() => {
  document.body.dataset.ready = "true";
});
