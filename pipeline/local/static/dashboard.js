// The dashboard view of `pipeline up`: the widgets of pipeline/dashboard.py drawn as SVG line
// charts from CloudWatch's data (GET /dashboard.json, read with GetMetricData), every 3 s.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#2f6fdf", "#1e8e3e", "#c0392b", "#8e44ad", "#e67e22", "#16a085", "#7f8c8d", "#d35400"];
  const W = 360, H = 150, PAD = { l: 44, r: 8, t: 8, b: 18 };

  function svg(tag, attrs) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function fmt(value, unit) {
    if (value === null || value === undefined) return "–";
    if (unit === "Bytes") {
      const units = ["B", "KB", "MB", "GB"];
      let i = 0;
      while (value >= 1024 && i < units.length - 1) { value /= 1024; i++; }
      return value.toFixed(i ? 1 : 0) + " " + units[i];
    }
    if (Math.abs(value) >= 100) return Math.round(value).toString();
    return (Math.round(value * 100) / 100).toString();
  }

  function chart(widget, start, end) {
    const fig = document.createElement("figure");
    fig.className = "chart";
    fig.dataset.widget = widget.key;
    const points = widget.series.reduce((n, s) => n + s.points.length, 0);
    fig.dataset.points = String(points);
    const title = document.createElement("figcaption");
    title.textContent = widget.title;
    fig.append(title);
    const box = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": widget.title });
    const values = widget.series.flatMap((s) => s.points.map((p) => p[1]));
    const max = Math.max(1, ...values);
    const x = (t) => PAD.l + ((t - start) / (end - start)) * (W - PAD.l - PAD.r);
    const y = (v) => H - PAD.b - (v / max) * (H - PAD.t - PAD.b);
    box.append(svg("line", { x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b, class: "axis" }));
    box.append(svg("line", { x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b, class: "axis" }));
    const top = svg("text", { x: PAD.l - 4, y: PAD.t + 8, class: "tick", "text-anchor": "end" });
    top.textContent = fmt(max, widget.unit);
    const zero = svg("text", { x: PAD.l - 4, y: H - PAD.b, class: "tick", "text-anchor": "end" });
    zero.textContent = "0";
    box.append(top, zero);
    const legend = document.createElement("ul");
    legend.className = "legend";
    widget.series.forEach((s, i) => {
      const color = COLORS[i % COLORS.length];
      if (s.points.length) {
        const path = s.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
        box.append(svg("polyline", { points: path, fill: "none", stroke: color, "stroke-width": 1.8, class: "series" }));
        for (const p of s.points) box.append(svg("circle", { cx: x(p[0]), cy: y(p[1]), r: 2.2, fill: color }));
      }
      const item = document.createElement("li");
      item.innerHTML = `<i style="background:${color}"></i>`;
      item.append(`${s.label} `, Object.assign(document.createElement("b"), { textContent: fmt(s.window, widget.unit) }));
      legend.append(item);
    });
    if (!widget.series.length || !points) {
      const empty = svg("text", { x: W / 2, y: H / 2, class: "empty", "text-anchor": "middle" });
      empty.textContent = "no data yet";
      box.append(empty);
    }
    fig.append(box, legend);
    return fig;
  }

  let timer = null;
  async function refresh() {
    clearTimeout(timer);
    const status = document.querySelector("#dashboard-status");
    try {
      const response = await fetch("/dashboard.json", { cache: "no-store" });
      const data = await response.json();
      if (data.error) throw new Error(data.error);
      const charts = document.querySelector("#charts");
      charts.replaceChildren(...data.widgets.map((w) => chart(w, data.start, data.end)));
      const minutes = Math.round((data.end - data.start) / 60000);
      status.textContent = `last ${minutes} min, ${data.period_s} s periods · updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      status.textContent = "metrics unavailable: " + err.message;
    }
    timer = setTimeout(refresh, 3000);
  }
  window.addEventListener("DOMContentLoaded", refresh);
  if (document.readyState !== "loading") refresh();
})();
