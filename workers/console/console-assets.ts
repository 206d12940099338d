// The console's stylesheet and its little progressive script, bundled with the Worker and served
// from /console/assets/ (the Content-Security-Policy allows scripts and styles from 'self' only:
// no inline script, nothing from outside; the seed has no egress and the page needs none).

export const CONSOLE_CSS = `
:root{color-scheme:light dark;--fg:#1b1f23;--bg:#fbfbfa;--mute:#5b6470;--line:#d9dde2;--acc:#0b6bcb;--bad:#b42318;--ok:#1a7f37;--warn:#9a6700}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--bg:#14171a;--mute:#9aa4ae;--line:#30363d;--acc:#58a6ff;--bad:#ff7b72;--ok:#3fb950;--warn:#d29922}}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;padding:.5rem 1rem;border-bottom:1px solid var(--line)}
header strong{margin-right:.5rem}nav a{margin-right:.75rem}nav a[aria-current=page]{font-weight:700;text-decoration:none}
main{padding:1rem;max-width:72rem}a{color:var(--acc)}h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--mute)}td.n{text-align:right;font-variant-numeric:tabular-nums}
.who{margin-left:auto;color:var(--mute);display:flex;gap:.5rem;align-items:center}
.stats{display:flex;flex-wrap:wrap;gap:1rem;margin:.5rem 0}.stat{border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;min-width:8rem}
.stat b{display:block;font-size:1.3rem}.bad{color:var(--bad)}.ok{color:var(--ok)}.warn{color:var(--warn)}.mute{color:var(--mute)}
form.inline{display:inline}label{display:block;margin:.4rem 0 .1rem;font-weight:600}
input,select,textarea,button{font:inherit;padding:.3rem .5rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
button{cursor:pointer;background:var(--acc);color:#fff;border-color:var(--acc)}button.danger{background:var(--bad);border-color:var(--bad)}
:focus-visible{outline:3px solid var(--acc);outline-offset:2px}
.note{border-left:4px solid var(--acc);padding:.4rem .8rem;margin:.8rem 0;background:color-mix(in srgb,var(--acc) 8%,transparent)}
.note.bad{border-color:var(--bad)}code,.token{font-family:ui-monospace,monospace;word-break:break-all}
svg.chart{width:100%;max-width:48rem;height:auto;border:1px solid var(--line);border-radius:6px}
svg.chart .line{fill:none;stroke:var(--acc);stroke-width:2}svg.chart .grid{stroke:var(--line)}svg.chart text{fill:var(--mute);font-size:11px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:var(--bg);padding:.3rem}
`;

export const CONSOLE_JS = `"use strict";
// Progressive only: every page works without this script.
document.addEventListener("submit", function (e) {
  var f = e.target;
  var q = f && f.getAttribute && f.getAttribute("data-confirm");
  if (q && !window.confirm(q)) e.preventDefault();
});
document.addEventListener("click", function (e) {
  var b = e.target && e.target.closest && e.target.closest("button[data-copy]");
  if (!b) return;
  var el = document.getElementById(b.getAttribute("data-copy"));
  if (el && navigator.clipboard) navigator.clipboard.writeText(el.textContent || "").then(function () { b.textContent = "Copied"; });
});
`;

/** The tab icon (else the browser asks for /favicon.ico and gets a 404). */
export const CONSOLE_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><ellipse cx="8" cy="9" rx="5" ry="6" fill="#3a7d44"/><path d="M8 3c0-2 2-3 4-3-1 2-2 3-4 3z" fill="#6fbf73"/></svg>`;
