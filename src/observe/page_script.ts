/**
 * The status page's script, inlined into the page: it follows
 * `/api/events` to keep the table and charts live without a reload, and
 * on a click on a daemon shows its log, following it.
 *
 * @module
 */

/** The JavaScript of the status page (plain, no build step). */
export const PAGE_SCRIPT = `
"use strict";
(function () {
  var W = 120, H = 28, HOUR = 3600000;
  var history = {};
  var logStream = null;
  var openName = null;
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  function mem(b) { return b === null || b === undefined ? "\\u2013" : (b / 1e6).toFixed(1) + " MB"; }
  function dur(t) {
    if (t === null || t === undefined) return "\\u2013";
    var d = Math.floor(t / 86400), h = Math.floor(t % 86400 / 3600), m = Math.floor(t % 3600 / 60), s = t % 60;
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + m + "m";
    if (m) return m + "m " + s + "s";
    return s + "s";
  }
  function line(points, key, top) {
    var known = points.filter(function (p) { return p[key] !== null && p[key] !== undefined; });
    if (known.length < 2) return "";
    var first = known[0].t, span = Math.max(1, known[known.length - 1].t - first);
    return known.map(function (p) {
      return ((p.t - first) / span * W).toFixed(1) + "," + (H - 1 - p[key] / top * (H - 3)).toFixed(1);
    }).join(" ");
  }
  function spark(points, key, kind, shown) {
    var peak = 0;
    points.forEach(function (p) { peak = Math.max(peak, p[key] || 0); });
    var top = Math.max(kind === "cpu" ? 1 : 1e6, peak * 1.2), drawn = line(points, key, top);
    var title = (kind === "cpu" ? "CPU" : "memory") + " over the last hour, peak " + shown(peak);
    return '<svg class="chart ' + kind + '" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + " " + H +
      '" role="img" aria-label="' + esc(title) + '"><title>' + esc(title) + "</title>" +
      (drawn ? '<polygon class="' + kind + '" points="0,' + H + " " + drawn + " " + W + "," + H + '"/>' +
        '<polyline class="' + kind + '" points="' + drawn + '"/>' : "") + "</svg>";
  }
  function chart(points) {
    return spark(points, "cpu", "cpu", function (v) { return v.toFixed(1) + " %"; }) +
      spark(points, "rss", "mem", mem);
  }
  function row(r, point) {
    var cpu = point && point.cpu !== null ? point.cpu : r.cpuPercent;
    return '<tr data-name="' + esc(r.name) + '"' + (r.name === openName ? ' class="open"' : "") + ">" +
      '<td><a class="log" href="/api/daemons/' + encodeURIComponent(r.name) + '/logs?lines=100">' + esc(r.name) + "</a></td>" +
      '<td class="state state-' + esc(r.state) + '">' + esc(r.state) + "</td>" +
      '<td class="num">' + (r.pid === null ? "\\u2013" : r.pid) + "</td>" +
      '<td class="num">' + dur(r.uptimeSeconds) + "</td>" +
      '<td class="num">' + (r.restarts === null ? "\\u2013" : r.restarts) + "</td>" +
      '<td class="num">' + (cpu === null || cpu === undefined ? "\\u2013" : cpu.toFixed(1) + " %") + "</td>" +
      '<td class="num">' + mem(r.rssBytes) + "</td>" +
      '<td><div class="charts">' + chart(history[r.name] || []) + "</div></td></tr>";
  }
  function keep(name, point) {
    var points = history[name] || (history[name] = []);
    var last = points[points.length - 1];
    if (!last || point.t > last.t) points.push(point);
    while (points.length && points[0].t < point.t - HOUR) points.shift();
  }
  function show(snapshot) {
    var names = {};
    snapshot.daemons.forEach(function (r) {
      names[r.name] = true;
      var p = snapshot.points[r.name];
      if (p) keep(r.name, p);
    });
    Object.keys(history).forEach(function (n) { if (!names[n]) delete history[n]; });
    var body = document.querySelector("#daemons tbody");
    body.innerHTML = snapshot.daemons.length
      ? snapshot.daemons.map(function (r) { return row(r, snapshot.points[r.name]); }).join("")
      : '<tr class="empty"><td colspan="8">No daemons known yet.</td></tr>';
    var n = snapshot.daemons.length;
    document.getElementById("count").textContent = n + " daemon" + (n === 1 ? "" : "s");
    document.getElementById("updated").textContent = "as of " + new Date(snapshot.at).toISOString().slice(11, 19) + " UTC";
  }
  function openLog(name) {
    if (logStream) logStream.close();
    openName = name;
    var section = document.getElementById("log"), pre = document.getElementById("log-lines");
    document.getElementById("log-name").textContent = name;
    pre.textContent = "";
    section.hidden = false;
    document.querySelectorAll("#daemons tbody tr").forEach(function (tr) {
      tr.classList.toggle("open", tr.getAttribute("data-name") === name);
    });
    logStream = new EventSource("/api/daemons/" + encodeURIComponent(name) + "/logs?lines=200&follow=1");
    logStream.addEventListener("lines", function (e) {
      var lines = JSON.parse(e.data);
      if (!lines.length) return;
      var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.textContent += lines.join("\\n") + "\\n";
      if (pre.textContent.length > 500000) pre.textContent = pre.textContent.slice(-400000);
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    });
  }
  document.querySelector("#daemons tbody").addEventListener("click", function (e) {
    var tr = e.target.closest("tr[data-name]");
    if (!tr) return;
    e.preventDefault();
    openLog(tr.getAttribute("data-name"));
  });
  var events = new EventSource("/api/events");
  events.addEventListener("history", function (e) { history = JSON.parse(e.data); });
  events.addEventListener("daemons", function (e) { show(JSON.parse(e.data)); });
})();
`;
