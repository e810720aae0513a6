/**
 * The status page's style sheet, inlined into the page: no file, no CDN.
 *
 * @module
 */

/** The CSS of the status page (light and dark). */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #667; --line: #d8dde3;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --off: #6e7781; --cpu: #0969da; --mem: #8250df; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8b949e;
  --line: #30363d; --ok: #3fb950; --bad: #f85149; --warn: #d29922; --cpu: #58a6ff; --mem: #bc8cff; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1.5rem; font: 14px/1.4 system-ui, sans-serif; color: var(--fg);
  background: var(--bg); }
h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
.meta { color: var(--muted); margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line);
  white-space: nowrap; vertical-align: middle; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr { cursor: pointer; }
tbody tr:hover, tbody tr.open { background: color-mix(in srgb, var(--cpu) 10%, transparent); }
.state { font-weight: 600; }
.state-running { color: var(--ok); }
.state-dead, .state-failed { color: var(--bad); }
.state-restarting { color: var(--warn); }
.state-stopped { color: var(--off); }
div.charts { display: flex; gap: .5rem; }
svg.chart { display: block; border-bottom: 1px solid var(--line); }
svg.chart polyline { fill: none; stroke-width: 1.5; }
svg.chart polyline.cpu { stroke: var(--cpu); }
svg.chart polyline.mem { stroke: var(--mem); }
svg.chart polygon { stroke: none; opacity: .15; }
svg.chart polygon.cpu { fill: var(--cpu); }
svg.chart polygon.mem { fill: var(--mem); }
.legend { font-size: .8rem; color: var(--muted); }
.legend .cpu { color: var(--cpu); }
.legend .mem { color: var(--mem); }
a.log { color: inherit; }
#log pre { margin: 0; padding: .75rem; max-height: 18rem; overflow: auto; border: 1px solid var(--line);
  border-radius: 6px; font: 12px/1.45 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
#log[hidden] { display: none; }
.empty { color: var(--muted); }
`;
