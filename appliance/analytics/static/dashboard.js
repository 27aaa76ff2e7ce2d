// The dashboard: fetches /dashboard/data and draws it with Chart.js. No other script runs.
"use strict";

const COLOURS = ["#1d3557", "#457b9d", "#e63946", "#f4a261", "#2a9d8f", "#8d99ae", "#6a4c93"];
const charts = {};

function percent(value) {
  return value === null ? "-" : (value * 100).toFixed(1) + "%";
}

function shown(name, value) {
  if (value === null || value === undefined) return "-";
  if (name.endsWith("_rate") || name.endsWith("_conversion")) return percent(value);
  if (name === "avg_handle_s") return value.toFixed(1) + " s";
  if (name === "avg_sentiment") return value.toFixed(2);
  return String(value);
}

function draw(id, config) {
  if (charts[id]) charts[id].destroy();
  config.options = Object.assign({ animation: false, responsive: true, aspectRatio: 1.6 }, config.options || {});
  charts[id] = new Chart(document.getElementById(id), config);
}

function bar(id, labels, values, label, horizontal) {
  draw(id, {
    type: "bar",
    data: { labels, datasets: [{ label, data: values, backgroundColor: COLOURS[1] }] },
    options: { indexAxis: horizontal ? "y" : "x", plugins: { legend: { display: false } } },
  });
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
  return td;
}

function fillTable(id, rows, make) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  for (const item of rows) body.appendChild(make(item));
}

async function showLive(sessionId) {
  const reply = await fetch(`/dashboard/sessions/${encodeURIComponent(sessionId)}`);
  const box = document.getElementById("live-transcript");
  const list = box.querySelector("ol");
  list.replaceChildren();
  document.getElementById("live-id").textContent = sessionId;
  if (reply.ok) {
    const session = await reply.json();
    for (const message of session.messages) {
      const li = document.createElement("li");
      li.textContent = `${message.role}: ${message.content}`;
      list.appendChild(li);
    }
  }
  box.hidden = false;
}

async function load() {
  const main = document.getElementById("dashboard");
  main.dataset.loaded = "false";
  const since = document.getElementById("since").value;
  const reply = await fetch(`/dashboard/data?since=${encodeURIComponent(since)}`);
  if (reply.status === 401) { window.location = "/login"; return; }
  const data = await reply.json();
  const kpis = data.kpis;
  main.dataset.periodStart = kpis.period_start;
  main.dataset.periodEnd = kpis.period_end;
  document.getElementById("period-shown").textContent =
    `${kpis.period_start.slice(0, 16)} to ${kpis.period_end.slice(0, 16)} UTC (hours in ${data.timezone})`;
  for (const element of document.querySelectorAll("[data-kpi]")) {
    element.textContent = shown(element.dataset.kpi, kpis[element.dataset.kpi]);
  }
  bar("chart-calls-per-hour", data.calls_per_hour.map((h) => h.hour), data.calls_per_hour.map((h) => h.calls), "calls");
  draw("chart-outcomes", {
    type: "doughnut",
    data: { labels: Object.keys(kpis.outcomes),
            datasets: [{ data: Object.values(kpis.outcomes), backgroundColor: COLOURS }] },
  });
  bar("chart-transfers", Object.keys(kpis.transfers_by_department), Object.values(kpis.transfers_by_department), "transfers");
  draw("chart-latency", {
    type: "line",
    data: { labels: data.latency_days,
            datasets: Object.entries(data.latency_p50_ms).map(([stage, values], i) => (
              { label: stage.replace(/_ms$/, ""), data: values, borderColor: COLOURS[i % COLOURS.length] })) },
  });
  const bins = data.sentiment_histogram.map((_, i) => (-1 + (2 * i) / data.sentiment_histogram.length).toFixed(1));
  bar("chart-sentiment", bins, data.sentiment_histogram, "calls");
  bar("chart-questions", data.top_questions.map((q) => q.topic), data.top_questions.map((q) => q.asked), "asked", true);
  bar("chart-tools", data.top_tools.map((t) => t.tool), data.top_tools.map((t) => t.runs), "runs", true);
  fillTable("active", data.active, (session) => {
    const row = document.createElement("tr");
    row.className = "clickable";
    row.dataset.session = session.session_id;
    cell(row, session.session_id);
    cell(row, session.channel);
    cell(row, session.started_at.slice(11, 19));
    cell(row, String(session.turns));
    row.addEventListener("click", () => showLive(session.session_id));
    return row;
  });
  fillTable("connection", Object.entries(kpis.connection), ([channel, values]) => {
    const row = document.createElement("tr");
    row.dataset.channel = channel;
    cell(row, channel);
    for (const name of ["rtc_jitter_ms", "rtc_packet_loss_pct", "rtc_rtt_ms"]) {
      cell(row, values[name] === undefined ? "-" : values[name].toFixed(1));
    }
    return row;
  });
  fillTable("flagged", data.flagged, (call) => {
    const row = document.createElement("tr");
    cell(row, call.session_id);
    cell(row, call.channel);
    cell(row, call.start_time.slice(0, 16));
    cell(row, call.reason);
    return row;
  });
  fillTable("recordings", data.recordings, (call) => {
    const row = document.createElement("tr");
    cell(row, call.session_id);
    cell(row, call.channel);
    cell(row, call.start_time.slice(0, 16));
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = `/dashboard/recordings/${encodeURIComponent(call.session_id)}`;
    cell(row, "").appendChild(audio);
    return row;
  });
  main.dataset.loaded = "true";
}

document.getElementById("since").addEventListener("change", load);
load();
