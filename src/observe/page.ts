/**
 * The status page of `serve`: one HTML document, its style and script
 * inline, whose table is rendered here (it reads without JavaScript); the
 * script keeps it live from `/api/events` and shows a log on a click.
 *
 * @module
 */
import type { StatusReport } from "./status_report.ts";
import type { Point } from "./history.ts";
import { PAGE_SCRIPT } from "./page_script.ts";
import { PAGE_STYLE } from "./page_style.ts";

/** The width and height of one chart (px). */
const CHART = { width: 120, height: 28 } as const;

/** "3d 4h", "5m 3s", "42s" (as the status table shows uptimes). */
function duration(total: number): string {
  const [d, h, m] = [
    Math.floor(total / 86400),
    Math.floor(total / 3600) % 24,
    Math.floor(total / 60) % 60,
  ];
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${total % 60}s`;
  return `${total}s`;
}

/** `text` safe inside HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** "12.3 MB" (or "–"). */
function memory(bytes: number | null): string {
  return bytes === null ? "–" : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * The `points` of a polyline of `value` over `points`, scaled to the chart
 * (`top` at its top), or "" when there are fewer than two.
 */
function line(points: readonly Point[], value: (p: Point) => number | null, top: number): string {
  const known = points.filter((p) => value(p) !== null);
  if (known.length < 2) return "";
  const first = known[0]!.t;
  const span = Math.max(1, known[known.length - 1]!.t - first);
  return known.map((p) => {
    const x = ((p.t - first) / span) * CHART.width;
    const y = CHART.height - 1 - (value(p)! / top) * (CHART.height - 3);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  }).join(" ");
}

/** One small chart of `value` over `points`: its line over a shaded area, titled. */
function spark(
  points: readonly Point[],
  value: (p: Point) => number | null,
  kind: "cpu" | "mem",
  shown: (v: number) => string,
): string {
  const peak = Math.max(0, ...points.map((p) => value(p) ?? 0));
  const top = Math.max(kind === "cpu" ? 1 : 1e6, peak * 1.2);
  const drawn = line(points, value, top);
  const title = `${kind === "cpu" ? "CPU" : "memory"} over the last hour, peak ${shown(peak)}`;
  const { width: w, height: h } = CHART;
  const area = drawn ? `<polygon class="${kind}" points="0,${h} ${drawn} ${w},${h}"/>` : "";
  return `<svg class="chart ${kind}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
    `role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>` +
    area + (drawn ? `<polyline class="${kind}" points="${drawn}"/>` : "") + "</svg>";
}

/** The charts of a daemon's CPU and memory over its points, as SVG. */
export function chartSvg(points: readonly Point[]): string {
  return spark(points, (p) => p.cpu, "cpu", (v) => `${v.toFixed(1)} %`) +
    spark(points, (p) => p.rss, "mem", memory);
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
    `<td class="num">${r.uptimeSeconds === null ? "–" : duration(r.uptimeSeconds)}</td>`,
    `<td class="num">${r.restarts ?? "–"}</td>`,
    `<td class="num">${cpu === null ? "–" : `${cpu.toFixed(1)} %`}</td>`,
    `<td class="num">${memory(r.rssBytes)}</td>`,
    `<td><div class="charts">${chartSvg(points)}</div></td>`,
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
<span class="legend">click a daemon for its log</span></p>
<table id="daemons">
<thead><tr><th>Name</th><th>State</th><th class="num">PID</th><th class="num">Uptime</th>` +
    `<th class="num">Restarts</th><th class="num">CPU</th><th class="num">Memory</th><th>CPU · memory, last hour</th></tr></thead>
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
