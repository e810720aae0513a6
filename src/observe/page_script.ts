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
  var W = 160, H = 32, HOUR = 3600000, EVERY = 10000;
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
    if (points.length < 2) return "";
    var first = points[0].t, span = Math.max(1, points[points.length - 1].t - first), out = [];
    points.forEach(function (p) {
      if (p[key] === null) return;
      out.push(((p.t - first) / span * W).toFixed(1) + "," + (H - 1 - p[key] / top * (H - 2)).toFixed(1));
    });
    return out.join(" ");
  }
  function chart(points) {
    var cpuTop = 1, memTop = 1;
    points.forEach(function (p) { cpuTop = Math.max(cpuTop, p.cpu || 0); memTop = Math.max(memTop, p.rss || 0); });
    var cpu = line(points, "cpu", cpuTop), m = line(points, "rss", memTop);
    var title = "CPU up to " + cpuTop.toFixed(1) + " %, memory up to " + mem(memTop) + ", last hour";
    return '<svg class="chart" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + " " + H +
      '" role="img" aria-label="' + esc(title) + '"><title>' + esc(title) + "</title>" +
      (cpu ? '<polyline class="cpu" points="' + cpu + '"/>' : "") +
      (m ? '<polyline class="mem" points="' + m + '"/>' : "") + "</svg>";
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
      "<td>" + chart(history[r.name] || []) + "</td></tr>";
  }
  function keep(name, point) {
    var points = history[name] || (history[name] = []);
    var last = points[points.length - 1];
    if (!last || point.t - last.t >= EVERY) points.push(point);
    else points[points.length - 1] = { t: last.t, cpu: point.cpu, rss: point.rss };
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
