// Dashboard charts (ECharts) and map (Leaflet), drawn from the figures the page embeds (#dash-data) and the map
// endpoint (data-src). Clicking a day opens the cases received that day; clicking an area opens its dashboard.
// Words come translated from the page (data.text), so this script holds no UI text of its own.
(function () {
  var holder = document.getElementById("dash-data");
  if (!holder) return;
  var D = JSON.parse(holder.textContent), T = D.text || {};
  var dark = !!D.screen, ink = dark ? "#cfe3ff" : "#333", grid = dark ? "#23406b" : "#eee";
  var charts = [];
  function chart(id, option, onClick) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var c = echarts.init(el, null, { renderer: "canvas" });
    option.textStyle = { color: ink };
    option.animation = false;
    c.setOption(option);
    if (onClick) c.on("click", onClick);
    charts.push(c);
    el.dataset.ready = "1";
  }
  function axis(data) {
    return { type: "category", data: data, axisLabel: { color: ink }, axisLine: { lineStyle: { color: grid } } };
  }
  var value = { type: "value", axisLabel: { color: ink }, splitLine: { lineStyle: { color: grid } } };
  var pct = { type: "value", min: 0, max: 100, axisLabel: { color: ink, formatter: "{value}%" }, splitLine: { show: false } };
  function rate(v) { return v == null ? null : Math.round(v * 1000) / 10; }
  function label(p) { return D.by === "month" ? p.slice(0, 7) : p.slice(5); }

  if (D.trend) {
    chart("chart-trend", {
      tooltip: { trigger: "axis" }, legend: { data: [T.received, T.resolved, T.satisfaction], textStyle: { color: ink } },
      grid: { left: 48, right: 48, top: 36, bottom: 28 },
      xAxis: axis(D.trend.map(function (p) { return label(p.period); })), yAxis: [value, pct],
      series: [
        { name: T.received, type: "bar", data: D.trend.map(function (p) { return p.received; }), itemStyle: { color: "#2f6fdb" } },
        { name: T.resolved, type: "bar", data: D.trend.map(function (p) { return p.resolved; }), itemStyle: { color: "#2da44e" } },
        { name: T.satisfaction, type: "line", yAxisIndex: 1, data: D.trend.map(function (p) { return rate(p.satisfaction_rate); }), itemStyle: { color: "#c00000" } }
      ]
    }, function (e) {
      if (D.cases && D.by === "day") location.href = D.cases + "&day=" + D.trend[e.dataIndex].period;
    });
  }
  function pie(id, items, dim) {
    if (!items || !items.length) { var el = document.getElementById(id); if (el) el.textContent = T.none; return; }
    chart(id, {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{ type: "pie", radius: ["35%", "65%"], label: { color: ink },
                 data: items.map(function (r) { return { name: r.name, value: r.received, key: r.key }; }) }]
    }, function (e) { if (D.cases) location.href = D.cases + "&dim=" + dim + "&key=" + encodeURIComponent(e.data.key); });
  }
  pie("chart-channel", D.channel, "channel");
  pie("chart-tier", D.tier, "tier");
  if (D.months) {
    chart("chart-months", {
      tooltip: { trigger: "axis" }, grid: { left: 48, right: 40, top: 20, bottom: 28 },
      xAxis: axis(D.months.map(function (p) { return p.period.slice(0, 7); })), yAxis: [value, pct],
      series: [{ name: T.received, type: "bar", data: D.months.map(function (p) { return p.received; }), itemStyle: { color: "#3a8ee6" } },
               { name: T.satisfaction, type: "line", yAxisIndex: 1, data: D.months.map(function (p) { return rate(p.satisfaction_rate); }), itemStyle: { color: "#ffb02e" } }]
    });
  }
  function hbar(id, items, valueOf, fmt) {
    if (!items || !items.length) { var el = document.getElementById(id); if (el) el.textContent = T.none; return; }
    var rows = items.slice(0, 10).reverse();
    chart(id, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, grid: { left: 130, right: 30, top: 10, bottom: 20 },
      xAxis: fmt === "pct" ? pct : value,
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { color: ink, width: 120, overflow: "truncate" } },
      series: [{ type: "bar", data: rows.map(valueOf), itemStyle: { color: "#e8684a" } }]
    });
  }
  if (D.rank) {
    var ranked = D.rank.filter(function (r) { return r.received; }).sort(function (a, b) { return (b.satisfaction_rate || 0) - (a.satisfaction_rate || 0); });
    hbar("chart-rank", ranked, function (r) { return rate(r.satisfaction_rate); }, "pct");
  }
  if (D.top) hbar("chart-top", D.top, function (r) { return r.received; });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  // ---- the map: the drill-down level's areas shaded by appeals received, overdue cases as red dots ----
  var el = document.getElementById("dash-map");
  if (el) {
    var M = JSON.parse(el.dataset.text || "{}");
    if (!window.L) { el.textContent = M.failed; }
    else {
      var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tiles });
      if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
      fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (fc) {
          var counts = fc.features.map(function (f) { return f.properties.received; });
          var top = Math.max.apply(null, counts.concat([1]));
          var shades = dark ? ["#12315e", "#1d4f91", "#2f6fdb", "#5b95f0", "#a9c9ff"] : ["#fde0dd", "#fbb4b9", "#f768a1", "#c51b8a", "#7a0177"];
          function shade(n) { return shades[Math.min(shades.length - 1, Math.floor(n / top * (shades.length - 0.001)))]; }
          var bounds = null;
          if (fc.features.length) {
            var layer = L.geoJSON(fc, {
              style: function (f) { return { color: dark ? "#7fb2ff" : "#fff", weight: 1, fillColor: shade(f.properties.received), fillOpacity: 0.8 }; },
              onEachFeature: function (f, lyr) {
                var p = f.properties;
                lyr.bindTooltip("<b>" + p.name + "</b><br>" + M.received + " " + p.received + "<br>" + M.satisfaction + " " +
                  (p.satisfaction_rate == null ? "—" : (p.satisfaction_rate * 100).toFixed(1) + "%"), { sticky: true });
                lyr.on("click", function () { location.href = "/dashboard?region=" + p.code + location.search.replace(/^\?/, "&").replace(/&region=[^&]*/, ""); });
              }
            }).addTo(map);
            bounds = layer.getBounds();
          } else if (fc.outline) {
            var outline = L.geoJSON(fc.outline, { style: { color: "#c00000", weight: 2, fillOpacity: 0.05 } }).addTo(map);
            bounds = outline.getBounds();
          }
          fc.overdue_points.forEach(function (pt) {
            L.circleMarker([pt.lat, pt.lon], { radius: 5, color: "#fff", weight: 1, fillColor: "#d73a49", fillOpacity: 1 })
              .bindTooltip(M.overdue + " #" + pt.id + " " + pt.title).addTo(map);
          });
          if (fc.features.length) {
            var legend = L.control({ position: "bottomright" });
            legend.onAdd = function () {
              var div = L.DomUtil.create("div", "legend");
              div.innerHTML = "<b>" + M.received + "</b><br>" + M.few + " " + shades.map(function (c) {
                return '<i style="background:' + c + '"></i>'; }).join("") + " " + M.many + " (" + top + ")";
              return div;
            };
            legend.addTo(map);
          }
          if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] }); else el.textContent = M.none;
          el.dataset.ready = String(fc.features.length);
        })
        .catch(function () { el.textContent = M.failed; el.dataset.ready = "failed"; });
    }
  }

  // ---- the big screen: a clock, and the whole page reloads itself ----
  var body = document.body;
  if (body.dataset.refresh) {
    var clock = document.getElementById("clock");
    var tick = function () { if (clock) clock.textContent = new Date().toLocaleString(document.documentElement.lang || "zh-CN", { hour12: false }); };
    tick(); setInterval(tick, 1000);
    setTimeout(function () { location.reload(); }, Number(body.dataset.refresh) * 1000);
  }
})();
