// The call explorer's small script: dashboard charts (Plotly, served locally) and the call
// page's transcript <-> audio link. No framework, no build step.
"use strict";

(function () {
  const COLORS = { brand: "#2f5bd3", good: "#1f8a4c", warn: "#d98e04", bad: "#b42318", grey: "#8a94a6" };
  const LAYOUT = {
    margin: { l: 44, r: 12, t: 8, b: 36 }, height: 250, showlegend: false,
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", size: 12, color: "#1d2330" },
    xaxis: { type: "category", automargin: true }, yaxis: { rangemode: "tozero", automargin: true, gridcolor: "#e3e7ee" },
  };
  const CONFIG = { displayModeBar: false, responsive: true };

  function layout(extra) {
    return Object.assign({}, LAYOUT, extra || {}, { yaxis: Object.assign({}, LAYOUT.yaxis, (extra || {}).yaxis) });
  }

  function series(days, key) { return days.map((d) => d[key]); }
  function label(code) { return String(code).replace(/_/g, " "); }  // think_about_it -> think about it

  // one builder per chart id in dashboard.html: [traces, layout]
  const CHARTS = {
    calls: (b, x) => [[
      { type: "bar", name: "calls", x, y: series(b.days, "calls"), marker: { color: COLORS.brand } },
      { type: "bar", name: "connected", x, y: series(b.days, "connected"), marker: { color: COLORS.good } },
    ], layout({ barmode: "group", showlegend: true, legend: { orientation: "h", y: -0.2 } })],
    connected_rate: (b, x) => [[
      { type: "scatter", mode: "lines+markers", x, y: series(b.days, "connected_rate").map((v) => v == null ? null : v * 100), line: { color: COLORS.good } },
    ], layout({ yaxis: { ticksuffix: "%", range: [0, 100] } })],
    talk_minutes: (b, x) => [[
      { type: "bar", x, y: series(b.days, "talk_minutes"), marker: { color: COLORS.brand } },
    ], layout()],
    avg_quality: (b, x) => [[
      { type: "scatter", mode: "lines+markers", x, y: series(b.days, "avg_quality"), line: { color: COLORS.warn } },
    ], layout({ yaxis: { range: [0, 100] } })],
    booked: (b, x) => [[
      { type: "bar", x, y: series(b.days, "booked"), marker: { color: COLORS.good } },
    ], layout()],
    sentiment: (b, x) => [[
      { type: "bar", name: "positive", x, y: series(b.days, "positive"), marker: { color: COLORS.good } },
      { type: "bar", name: "neutral", x, y: series(b.days, "neutral"), marker: { color: COLORS.grey } },
      { type: "bar", name: "negative", x, y: series(b.days, "negative"), marker: { color: COLORS.bad } },
    ], layout({ barmode: "stack", showlegend: true, legend: { orientation: "h", y: -0.2 } })],
    ai_cost_usd: (b, x) => [[
      { type: "scatter", mode: "lines+markers", x, y: series(b.days, "ai_cost_usd"), line: { color: COLORS.grey } },
    ], layout({ yaxis: { tickprefix: "$" } })],
    objections: (b) => {
      const names = [...new Set(b.objections.map((o) => o.objection))];
      const days = [...new Set(b.objections.map((o) => o.day))].sort();
      return [names.map((name) => ({
        type: "scatter", mode: "lines+markers", name: label(name), x: days,
        y: days.map((d) => (b.objections.find((o) => o.day === d && o.objection === name) || { count: 0 }).count),
      })), layout({ showlegend: true, legend: { orientation: "h", y: -0.2 } })];
    },
    funnel: (b) => [[
      { type: "funnel", y: b.funnel.map((f) => label(f.stage)), x: b.funnel.map((f) => f.count), marker: { color: COLORS.brand } },
    ], layout({ margin: { l: 110, r: 12, t: 8, b: 24 }, xaxis: {}, yaxis: { type: "category" } })],
  };

  function drawCharts() {
    const source = document.getElementById("dashboard-data");
    if (!source || typeof Plotly === "undefined") return;
    const board = JSON.parse(source.textContent);
    const x = board.days.map((d) => d.day);
    document.querySelectorAll("[data-chart]").forEach((el) => {
      const build = CHARTS[el.dataset.chart];
      if (!build) return;
      const [traces, lay] = build(board, x);
      Plotly.newPlot(el, traces, lay, CONFIG);
    });
  }

  // ---- call page: clicking a turn seeks the recording there and plays it --------------------
  function turnAt(turns, seconds) {
    let found = null;
    turns.forEach((t) => { if (t.dataset.start !== "" && Number(t.dataset.start) <= seconds + 0.001) found = t; });
    return found || turns[0] || null;
  }

  function linkTranscript() {
    const list = document.querySelector(".transcript");
    if (!list) return;
    const audio = document.getElementById("recording");
    const turns = [...list.querySelectorAll(".turn")];
    const mark = (turn, scroll) => {
      turns.forEach((t) => t.classList.toggle("current", t === turn));
      if (turn && scroll) turn.scrollIntoView({ block: "center" });
    };
    const seek = (turn, play) => {
      mark(turn, false);
      if (!audio || turn.dataset.start === "") return;
      audio.currentTime = Number(turn.dataset.start);
      if (play) audio.play().catch(() => {});  // a browser may refuse autoplay; the click plays
    };
    turns.forEach((turn) => turn.addEventListener("click", () => {
      history.replaceState(null, "", "#" + turn.id);
      seek(turn, true);
    }));
    if (audio) {
      audio.addEventListener("timeupdate", () => {
        if (!audio.paused) mark(turnAt(turns, audio.currentTime), false);
      });
    }
    // ?t=SECONDS or #turn-N: open at that turn, highlighted (the hash wins: it names the turn)
    const byHash = location.hash.startsWith("#turn-") ? document.getElementById(location.hash.slice(1)) : null;
    const t = Number(new URLSearchParams(location.search).get("t"));
    const start = byHash || (Number.isFinite(t) && t > 0 ? turnAt(turns, t) : null);
    if (start) {
      mark(start, true);
      if (audio && start.dataset.start !== "") {
        const go = () => { audio.currentTime = Number(start.dataset.start); };
        audio.readyState >= 1 ? go() : audio.addEventListener("loadedmetadata", go, { once: true });
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => { drawCharts(); linkTranscript(); });
})();
