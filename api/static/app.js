// salesflow's pages: the charts (Chart.js, served by salesflow itself) and
// the replay's arrow keys. Every chart has a table beside it with its figures.
(function () {
  "use strict";
  var BLUE = "#1f4e79", ORANGE = "#b35900", GREY = "#6b6b6b", GREEN = "#1b5e20", RED = "#a3001b";

  function day(ms) { return new Date(ms).toISOString().slice(0, 10); }
  function num(x) { return x === null || x === undefined ? null : Number(x); }

  function timeline(data) {
    var bars = data.stays.map(function (s) { return { x: [s.from, s.to], y: s.stage, how: s.how, skipped: s.skipped }; });
    var ticks = data.activities.map(function (t) { return { x: t, y: "activities" }; });
    var times = data.stays.map(function (s) { return s.from; }).concat(data.stays.map(function (s) { return s.to; }), data.activities);
    var pad = 2 * 86400000, lo = Math.min.apply(null, times) - pad, hi = Math.max.apply(null, times) + pad;
    return {
      data: {
        datasets: [
          { type: "bar", label: "stays", data: bars, backgroundColor: bars.map(function (b) { return b.how === "forced" ? RED : BLUE; }), borderSkipped: false },
          { type: "scatter", label: "activities", data: ticks, pointStyle: "line", pointRadius: 8, rotation: 90, borderColor: GREY }
        ]
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, parsing: { xAxisKey: "x", yAxisKey: "y" },
        scales: {
          x: { type: "linear", min: lo, max: hi, beginAtZero: false, ticks: { callback: function (v) { return day(v); }, maxTicksLimit: 6 } },
          y: { type: "category", labels: data.stages.concat(["activities"]) }
        },
        plugins: { tooltip: { callbacks: { label: function (c) {
          var r = c.raw; if (!Array.isArray(r.x)) { return "activity " + day(r.x); }
          var text = r.y + ": " + day(r.x[0]) + " to " + day(r.x[1]) + (r.how ? " (" + r.how + ")" : "");
          return r.skipped && r.skipped.length ? text + ", skipped " + r.skipped.join(", ") : text;
        } } } }
      }
    };
  }

  function funnel(doc) {
    var s = doc.stages;
    return { type: "bar", data: { labels: s.map(function (r) { return r.stage; }), datasets: [
      { label: "entered", data: s.map(function (r) { return r.entered; }), backgroundColor: BLUE },
      { label: "left by advance", data: s.map(function (r) { return r.advanced; }), backgroundColor: GREEN },
      { label: "left by force", data: s.map(function (r) { return r.forced; }), backgroundColor: RED }
    ] }, options: { responsive: true, maintainAspectRatio: false } };
  }

  function winRates(doc) {
    var names = Object.keys(doc.by_milestone), m = doc.by_milestone;
    function rate(side) { return names.map(function (k) { return num(m[k][side].rate); }); }
    function band(side) { return names.map(function (k) { var r = m[k][side]; return r.rate === null ? null : [num(r.low), num(r.high)]; }); }
    return { type: "bar", data: { labels: names, datasets: [
      { label: "met: win rate", data: rate("met"), backgroundColor: BLUE },
      { label: "met: 95 % interval", data: band("met"), backgroundColor: "rgba(31,78,121,.3)" },
      { label: "forced past: win rate", data: rate("forced_past"), backgroundColor: RED },
      { label: "forced past: 95 % interval", data: band("forced_past"), backgroundColor: "rgba(163,0,27,.3)" }
    ] }, options: { responsive: true, maintainAspectRatio: false, scales: { y: { min: 0, max: 1 } } } };
  }

  function timeInStage(doc) {
    var s = doc.stages;
    function col(k) { return s.map(function (r) { return num(r[k]); }); }
    return { type: "bar", data: { labels: s.map(function (r) { return r.stage; }), datasets: [
      { label: "median days", data: col("median_days"), backgroundColor: BLUE },
      { label: "p75 days", data: col("p75_days"), backgroundColor: ORANGE },
      { label: "p90 days", data: col("p90_days"), backgroundColor: GREY }
    ] }, options: { responsive: true, maintainAspectRatio: false } };
  }

  function waterfall(doc) {
    var order = ["start", "new", "reopened", "increased", "decreased", "won", "lost", "nurtured", "end"];
    var sign = { new: 1, reopened: 1, increased: 1, decreased: -1, won: -1, lost: -1, nurtured: -1 };
    var level = 0, bars = [], colours = [];
    order.forEach(function (k) {
      var v = num(doc[k].value);
      if (k === "start" || k === "end") { bars.push([0, v]); colours.push(BLUE); level = v; return; }
      var next = level + sign[k] * v;
      bars.push([level, next]); colours.push(sign[k] > 0 ? GREEN : RED); level = next;
    });
    return { type: "bar", data: { labels: order, datasets: [{ label: "value", data: bars, backgroundColor: colours }] },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } } } };
  }

  function velocity(doc) {
    var rows = doc.owners;
    return { type: "bar", data: { labels: rows.map(function (r) { return r.owner; }), datasets: [
      { label: "velocity per day", data: rows.map(function (r) { return num(r.velocity_per_day); }), backgroundColor: BLUE }
    ] }, options: { responsive: true, maintainAspectRatio: false } };
  }

  function lossesByStage(doc) {
    var stages = doc.totals.map(function (t) { return t.stage; });
    var outcomes = ["lost", "withdrawn", "abandoned"], colours = [RED, ORANGE, GREY];
    return { type: "bar", data: { labels: stages, datasets: outcomes.map(function (o, i) {
      return { label: o, backgroundColor: colours[i], data: stages.map(function (s) {
        return doc.rows.filter(function (r) { return r.stage === s && r.outcome === o; }).reduce(function (a, r) { return a + r.deals; }, 0);
      }) };
    }) }, options: { responsive: true, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true } } } };
  }

  function draw() {
    if (typeof Chart === "undefined") { return; }
    var reports = document.getElementById("report-data");
    var docs = reports ? JSON.parse(reports.textContent) : {};
    var makers = {
      "funnel": function () { return funnel(docs["funnel"]); },
      "win-rates": function () { return winRates(docs["win-rates"]); },
      "time-in-stage": function () { return timeInStage(docs["time-in-stage"]); },
      "waterfall": function () { return waterfall(docs["waterfall"]); },
      "velocity": function () { return velocity(docs["velocity_by_owner"]); },
      "losses-by-stage": function () { return lossesByStage(docs["losses-by-stage"]); },
      "timeline": function (canvas) { return timeline(JSON.parse(document.getElementById(canvas.dataset.source).textContent)); }
    };
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var make = makers[canvas.dataset.chart];
      if (make) { canvas.chart = new Chart(canvas, make(canvas)); canvas.dataset.drawn = "yes"; }
    });
  }

  function steps() {
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey || /INPUT|SELECT|TEXTAREA/.test(e.target.tagName)) { return; }
      var link = e.key === "ArrowLeft" ? document.getElementById("prev") : e.key === "ArrowRight" ? document.getElementById("next") : null;
      if (link) { e.preventDefault(); window.location.assign(link.href); }
    });
  }

  draw();
  steps();
})();
