// The region map: children of the node, coloured by grid load; click to drill down.
// Without a tile layer (the default, offline) the polygons stand on a plain background with their names,
// a scale bar and a legend, so the map reads as a schematic rather than a broken web map.
// Its words come translated from the page (data-text), so this script holds no UI text of its own.
(function () {
  var el = document.getElementById("map");
  if (!el) return;
  var T = JSON.parse(el.dataset.text || "{}");
  if (!window.L) { el.classList.add("map-failed"); el.textContent = T.failed; return; }
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
  var LOAD = { overloaded: "#d73a49", normal: "#2da44e", underloaded: "#4c8eda" };
  var SHARE = { high: "#d73a49", some: "#e3883a", low: "#2da44e", none: "#8c959f" };
  function colour(p) {
    if (p.load_status) return LOAD[p.load_status];
    if (!p.grids) return SHARE.none;
    var share = p.overloaded_grids / p.grids;
    return share > 0.3 ? SHARE.high : share > 0.1 ? SHARE.some : SHARE.low;
  }
  // region features carry the region's own "kind" (e.g. 县级市); outline and building are the map's own kinds
  function kindOf(p) {
    if (p.kind === "outline" || p.kind === "building") return p.kind;
    return p.level === "grid" ? "grid" : "area";
  }
  function legendHtml(features) {
    var kinds = {};
    features.forEach(function (f) { kinds[kindOf(f.properties)] = true; });
    var rows = [];
    if (kinds.outline || kinds.building) {
      rows.push('<i class="line" style="border-color:#c00000"></i>' + T.boundary);
      rows.push('<i class="dot"></i>' + T.building);
    }
    if (kinds.grid) {
      rows.push("<b>" + T.load + "</b>");
      rows.push('<i style="background:' + LOAD.overloaded + '"></i>' + T.overloaded);
      rows.push('<i style="background:' + LOAD.normal + '"></i>' + T.normal);
      rows.push('<i style="background:' + LOAD.underloaded + '"></i>' + T.underloaded);
    }
    if (kinds.area) {
      rows.push("<b>" + T.share + "</b>");
      rows.push('<i style="background:' + SHARE.high + '"></i>' + T.high);
      rows.push('<i style="background:' + SHARE.some + '"></i>' + T.some);
      rows.push('<i style="background:' + SHARE.low + '"></i>' + T.low);
      rows.push('<i style="background:' + SHARE.none + '"></i>' + T.none);
    }
    return rows.join("<br>");
  }
  function ready(n) { el.dataset.ready = String(n); }

  fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (fc) {
      var areas = fc.features.filter(function (f) { var k = kindOf(f.properties); return k === "grid" || k === "area"; });
      var labelled = areas.length > 0 && areas.length <= 40;
      var layer = L.geoJSON(fc, {
        style: function (f) {
          var k = kindOf(f.properties);
          if (k === "building") return { radius: 6, color: "#ffffff", weight: 1.5, fillColor: "#c00000", fillOpacity: 0.9 };
          if (k === "outline") return { color: "#c00000", weight: 3, fillColor: "#c00000", fillOpacity: 0.05 };
          return { color: "#ffffff", weight: 1.5, fillColor: colour(f.properties), fillOpacity: 0.6 };
        },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 6, color: "#ffffff", weight: 1.5, fillColor: "#c00000", fillOpacity: 0.9 });
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          var k = kindOf(p);
          if (k === "outline") { l.options.interactive = false; return; }
          if (k === "building") {
            l.bindTooltip(p.name);
            return;
          }
          var text = p.name + "<br>" + T.counts.replace("{households}", (p.households || 0).toLocaleString())
            .replace("{residents}", (p.residents || 0).toLocaleString());
          if (labelled) {
            var label = areas.length <= 6 ? p.name + '<span class="n">' + text.split("<br>")[1] + "</span>" : p.name;
            l.bindTooltip(label, { permanent: true, direction: "center", className: "map-label" });
          }
          else l.bindTooltip(text, { sticky: true });
          l.on("click", function () { window.location = "/regions/" + p.code; });
          l.on("mouseover", function () { l.setStyle({ weight: 3, color: "#1f2328" }); });
          l.on("mouseout", function () { layer.resetStyle(l); });
        }
      }).addTo(map);
      var legend = L.control({ position: "bottomright" });
      legend.onAdd = function () {
        var d = L.DomUtil.create("div", "legend");
        d.innerHTML = legendHtml(fc.features);
        return d;
      };
      if (fc.features.length) legend.addTo(map);
      if (layer.getLayers().length) {
        // keep the shapes clear of the legend (bottom right) and the zoom buttons (top left)
        var below = fc.features.length ? legend.getContainer().offsetHeight + 16 : 12;
        map.fitBounds(layer.getBounds(), { paddingTopLeft: [48, 12], paddingBottomRight: [12, below] });
      } else {
        map.setView([24.92, 102.48], 11);
        el.insertAdjacentHTML("beforeend", '<div class="map-empty">' + T.empty + "</div>");
      }
      ready(layer.getLayers().length);
    })
    .catch(function () {
      el.insertAdjacentHTML("beforeend", '<div class="map-empty">' + T.error + "</div>");
      ready(0);
    });
})();
