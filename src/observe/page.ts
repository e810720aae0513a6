/**
 * The status page of `serve`: one HTML document, its style and script
 * inline, whose table is rendered here (it reads without JavaScript); the
 * script keeps it live from `/api/events` and shows a log on a click.
 *
 * @module
 */
import type { StatusReport } from "./status_report.ts";
import { formatDuration } from "../cli/format.ts";
import type { Point } from "./history.ts";
import { PAGE_SCRIPT } from "./page_script.ts";
import { PAGE_STYLE } from "./page_style.ts";

/** The width and height of one chart (px). */
const CHART = { width: 160, height: 32 } as const;

/** `text` safe inside HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** "12.3 MB" (or "–"). */
function memory(bytes: number | null): string {
  return bytes === null ? "–" : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The `points` attribute of a polyline of `values` scaled to the chart, or "". */
function line(points: readonly Point[], value: (p: Point) => number | null, top: number): string {
  if (points.length < 2) return "";
  const first = points[0]!.t;
  const span = Math.max(1, points[points.length - 1]!.t - first);
  return points.flatMap((p) => {
    const v = value(p);
    if (v === null) return [];
    const x = ((p.t - first) / span) * CHART.width;
    const y = CHART.height - 1 - (v / top) * (CHART.height - 2);
    return [`${x.toFixed(1)},${y.toFixed(1)}`];
  }).join(" ");
}

/** The chart of a daemon's CPU and memory over its points, as SVG. */
export function chartSvg(points: readonly Point[]): string {
  const cpuTop = Math.max(1, ...points.map((p) => p.cpu ?? 0));
  const memTop = Math.max(1, ...points.map((p) => p.rss ?? 0));
  const cpu = line(points, (p) => p.cpu, cpuTop);
  const mem = line(points, (p) => p.rss, memTop);
  const title = `CPU up to ${cpuTop.toFixed(1)} %, memory up to ${memory(memTop)}, last hour`;
  return `<svg class="chart" width="${CHART.width}" height="${CHART.height}" ` +
    `viewBox="0 0 ${CHART.width} ${CHART.height}" role="img" aria-label="${escapeHtml(title)}">` +
    `<title>${escapeHtml(title)}</title>` +
    (cpu ? `<polyline class="cpu" points="${cpu}"/>` : "") +
    (mem ? `<polyline class="mem" points="${mem}"/>` : "") + "</svg>";
}

/** One row of the table. */
function row(r: StatusReport, points: readonly Point[], now: Point | undefined): string {
  const cpu = now?.cpu ?? r.cpuPercent;
  const name = escapeHtml(r.name);
  const cells = [
    `<td><a class="log" href="/api/daemons/${
      encodeURIComponent(r.name)
    }/logs?lines=100">${name}</a></td>`,
    `<td class="state state-${r.state}">${r.state}</td>`,
    `<td class="num">${r.pid ?? "–"}</td>`,
    `<td class="num">${r.uptimeSeconds === null ? "–" : formatDuration(r.uptimeSeconds)}</td>`,
    `<td class="num">${r.restarts ?? "–"}</td>`,
    `<td class="num">${cpu === null ? "–" : `${cpu.toFixed(1)} %`}</td>`,
    `<td class="num">${memory(r.rssBytes)}</td>`,
    `<td>${chartSvg(points)}</td>`,
  ];
  return `<tr data-name="${name}">${cells.join("")}</tr>`;
}

/** The page: the table of `daemons` with their `history`, and the script that keeps it live. */
export function renderPage(
  daemons: readonly StatusReport[],
  history: Readonly<Record<string, readonly Point[]>>,
  now: Readonly<Record<string, Point>>,
): string {
  const rows = daemons.map((r) => row(r, history[r.name] ?? [], now[r.name])).join("\n");
  const empty = `<tr class="empty"><td colspan="8">No daemons known yet.</td></tr>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>daemonize: status</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<h1>daemonize</h1>
<p class="meta"><span id="count">${daemons.length} daemon${daemons.length === 1 ? "" : "s"}</span> ·
<span id="updated">as of ${new Date().toISOString().slice(11, 19)} UTC</span> ·
<span class="legend"><span class="cpu">━ CPU</span> <span class="mem">━ memory</span>, last hour</span></p>
<table id="daemons">
<thead><tr><th>Name</th><th>State</th><th class="num">PID</th><th class="num">Uptime</th>` +
    `<th class="num">Restarts</th><th class="num">CPU</th><th class="num">Memory</th><th>Last hour</th></tr></thead>
<tbody>
${rows || empty}
</tbody>
</table>
<section id="log" hidden>
<h2>Log of <span id="log-name"></span></h2>
<pre id="log-lines"></pre>
</section>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
