/*
 * Cadence embed: put Cadence on another site as a floating button that opens the chat.
 *
 *   <script src="https://cadence.example/embed.js" data-cadence-origin="https://cadence.example" async></script>
 *
 * The chat runs in an iframe from the Cadence origin, so the host page never sees the
 * conversation or the token. The Cadence API sends `frame-ancestors 'none'` by default:
 * the embedding site must be allowed in the API's FRAME_ANCESTORS setting (see
 * docs/widget.md), otherwise the browser shows an empty frame.
 *
 * Optional attributes: data-cadence-label (button text, default "Chat with Cadence"),
 * data-cadence-position ("right" | "left").
 */
(function () {
  "use strict";
  if (window.__cadenceEmbed) return;
  window.__cadenceEmbed = true;

  var script =
    document.currentScript || document.querySelector("script[data-cadence-origin]");
  var origin;
  try {
    origin = new URL(
      (script && script.getAttribute("data-cadence-origin")) || (script && script.src) || "",
      window.location.href
    ).origin;
  } catch (e) {
    return;
  }
  if (!/^https?:$/.test(new URL(origin).protocol)) return;
  var label = (script && script.getAttribute("data-cadence-label")) || "Chat with Cadence";
  var side = script && script.getAttribute("data-cadence-position") === "left" ? "left" : "right";

  // Styles go through element.style (CSSOM), which a host page's CSP allows even
  // without 'unsafe-inline'.
  function css(el, rules) {
    for (var key in rules) el.style.setProperty(key, rules[key]);
  }

  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "cadence-embed-panel");
  css(button, {
    position: "fixed",
    bottom: "20px",
    [side]: "20px",
    "z-index": "2147483000",
    "min-height": "48px",
    padding: "0 20px",
    border: "0",
    "border-radius": "999px",
    background: "#1e5b57",
    color: "#ffffff",
    font: "600 16px/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "box-shadow": "0 6px 20px rgba(20, 30, 40, 0.25)",
    cursor: "pointer",
  });

  var panel = document.createElement("div");
  panel.id = "cadence-embed-panel";
  panel.hidden = true;
  css(panel, {
    position: "fixed",
    bottom: "80px",
    [side]: "20px",
    "z-index": "2147483000",
    width: "min(400px, calc(100vw - 24px))",
    height: "min(640px, calc(100dvh - 100px))",
    "border-radius": "16px",
    overflow: "hidden",
    background: "#ffffff",
    "box-shadow": "0 20px 48px rgba(20, 30, 40, 0.3)",
  });

  var frame = null;

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = origin + "/?embed=1";
      frame.title = "Cadence chat";
      frame.setAttribute("allow", "clipboard-write");
      frame.setAttribute("referrerpolicy", "no-referrer");
      css(frame, { width: "100%", height: "100%", border: "0", display: "block" });
      panel.appendChild(frame);
    }
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    button.textContent = "Close Cadence";
    frame.focus();
  }

  function close() {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    button.textContent = label;
    button.focus();
  }

  button.addEventListener("click", function () {
    if (panel.hidden) open();
    else close();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) close();
  });
  if (!reducedMotion) css(panel, { transition: "opacity 150ms ease" });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
