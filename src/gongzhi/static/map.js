// The region map: children of the node, coloured by grid load; click to drill down.
(function () {
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  }
  var COLORS = { overloaded: "#d73a49", normal: "#2da44e", underloaded: "#4c8eda" };
  function colour(p) {
    if (p.load_status) return COLORS[p.load_status];
    if (!p.grids) return "#8c959f";
    var share = p.overloaded_grids / p.grids;
    return share > 0.3 ? "#d73a49" : share > 0.1 ? "#e3883a" : "#2da44e";
  }
  fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: function (f) {
          if (f.properties.kind === "outline") return { color: "#c00000", weight: 2, fillOpacity: 0.04 };
          return { color: "#ffffff", weight: 1, fillColor: colour(f.properties), fillOpacity: 0.65 };
        },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 5, color: "#c00000", fillOpacity: 0.8 });
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          if (p.kind === "outline") return;
          if (p.kind === "building") { l.bindTooltip(p.name); return; }
          l.bindTooltip(p.name + "<br>" + (p.households || 0) + " 户 · " + (p.residents || 0) + " 人");
          l.on("click", function () { window.location = "/regions/" + p.code; });
        }
      }).addTo(map);
      if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      else map.setView([24.92, 102.48], 11);
    });
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var d = L.DomUtil.create("div", "legend");
    d.innerHTML = '<i style="background:#d73a49"></i>超负荷<br><i style="background:#2da44e"></i>正常<br>' +
      '<i style="background:#4c8eda"></i>偏少（网格）<br><i style="background:#e3883a"></i>部分网格超负荷';
    return d;
  };
  legend.addTo(map);
})();
