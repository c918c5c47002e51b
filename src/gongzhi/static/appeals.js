// The appeal pages: the location picker and photo previews of the report form, the small map of an appeal,
// the action forms (htmx swaps refused posts back into their box), the console's bulk selection.
// Every word shown comes translated from the page (data-text, data-* attributes): no UI text here.
(function () {
  "use strict";

  function text(el) {
    try { return JSON.parse(el.dataset.text || "{}"); } catch (e) { return {}; }
  }
  function json(value) {
    try { return JSON.parse(value || "null"); } catch (e) { return null; }
  }
  function baseMap(el, T) {
    if (!window.L) { el.textContent = T.failed || ""; return null; }
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
      el.classList.add("has-tiles");
    }
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    return map;
  }
  function outline(map, geometry) {
    if (!geometry) return null;
    return L.geoJSON(geometry, { interactive: false,
      style: { color: "#c00000", weight: 2.5, fillColor: "#c00000", fillOpacity: 0.04 } }).addTo(map);
  }

  // ---- the report form: pick the place on a map, or ask the phone where it is ----------------------------
  function initPicker() {
    var el = document.getElementById("pick-map");
    if (!el || el.dataset.ready) return;
    var T = text(el);
    var lat = document.getElementById("in-lat"), lon = document.getElementById("in-lon");
    var status = document.getElementById("loc-status");
    var map = baseMap(el, T);
    if (!map) return;
    var shape = outline(map, json(el.dataset.outline));
    var center = json(el.dataset.center);
    if (shape && shape.getLayers().length) map.fitBounds(shape.getBounds(), { padding: [16, 16] });
    else if (center) map.setView(center, 16);
    else map.setView([24.92, 102.48], 12);
    var marker = null;
    var asked = 0;

    function say(message, tone) {
      status.textContent = message;
      status.className = tone || "muted";
    }
    function place(latlng, pan) {
      lat.value = latlng.lat.toFixed(7);
      lon.value = latlng.lng.toFixed(7);
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, title: T.here, autoPan: true }).addTo(map);
        marker.on("dragend", function () { place(marker.getLatLng(), false); });
      } else {
        marker.setLatLng(latlng);
      }
      if (pan) map.panTo(latlng);
      var mine = ++asked;
      fetch("/api/v1/regions/locate?lat=" + lat.value + "&lon=" + lon.value + "&crs=wgs84",
            { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (found) {
          if (mine !== asked) return;
          if (found && found.grid) {
            var names = [found.community && found.community.name, found.grid.name].filter(Boolean).join(" · ");
            say(T.inside.replace("{name}", names), "ok");
          } else {
            say(T.outside, "bad");
          }
          el.dataset.located = found && found.grid ? found.grid.code : "none";
        })
        .catch(function () { if (mine === asked) say("", "muted"); });
    }
    map.on("click", function (e) { place(e.latlng, false); });
    if (lat.value && lon.value) {
      var start = L.latLng(parseFloat(lat.value), parseFloat(lon.value));
      place(start, false);
      map.setView(start, Math.max(map.getZoom(), 16));
    }
    var button = document.getElementById("use-location");
    if (button) {
      button.addEventListener("click", function () {
        if (!navigator.geolocation) { say(T.unsupported, "bad"); return; }
        say(T.locating, "muted");
        // browsers report WGS-84, which is what the grids are drawn in
        navigator.geolocation.getCurrentPosition(function (pos) {
          var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
          map.setView(here, Math.max(map.getZoom(), 17));
          place(here, false);
        }, function () { say(T.denied, "bad"); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
    el.dataset.ready = "1";
  }

  // ---- photos: previews, and never more than the limit -----------------------------------------------------
  function previews(input) {
    var max = parseInt(input.dataset.max || "9", 10);
    var box = document.getElementById(input.dataset.previews || "photo-previews");
    var files = Array.prototype.slice.call(input.files || []);
    if (files.length > max && window.DataTransfer) {
      var keep = new DataTransfer();
      files.slice(0, max).forEach(function (f) { keep.items.add(f); });
      input.files = keep.files;
      files = files.slice(0, max);
      var form = document.getElementById("pick-map");
      var T = form ? text(form) : {};
      if (T.too_many) window.alert(T.too_many);
    }
    var name = input.parentNode.querySelector(".file-name");
    if (name) name.textContent = files.length ? (input.dataset.count || "{n}").replace("{n}", files.length) : "";
    if (!box) return;
    box.innerHTML = "";
    files.forEach(function (f) {
      var fig = document.createElement("figure");
      var img = document.createElement("img");
      img.alt = f.name;
      img.src = URL.createObjectURL(f);
      img.onload = function () { URL.revokeObjectURL(img.src); };
      fig.appendChild(img);
      box.appendChild(fig);
    });
  }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("input[type=file][data-max]")) previews(t);
    if (t.matches && t.matches("select[data-tier-select]")) tiers(t);
    if (t.id === "check-all") {
      document.querySelectorAll("#bulk-form input[name=ids]").forEach(function (c) { c.checked = t.checked; });
    }
  });

  // ---- dispatch target: show the region box for region tiers, the department list for departments ----------
  function tiers(select) {
    var form = select.form || document;
    form.querySelectorAll("[data-tier-only]").forEach(function (el) {
      var show = select.value && el.dataset.tierOnly.split(" ").indexOf(select.value) >= 0;
      el.hidden = !show;
    });
  }
  function initTiers(root) {
    (root || document).querySelectorAll("select[data-tier-select]").forEach(tiers);
  }

  // ---- the small map of one appeal -----------------------------------------------------------------------
  function initAppealMap() {
    var el = document.getElementById("appeal-map");
    if (!el || el.dataset.ready) return;
    var T = text(el);
    var map = baseMap(el, T);
    if (!map) return;
    var shape = outline(map, json(el.dataset.outline));
    var point = json(el.dataset.point);
    if (point) {
      L.marker(point, { title: T.here, keyboard: false }).addTo(map);
      map.setView(point, 17);
      if (shape) {
        var b = shape.getBounds().extend(point);
        map.fitBounds(b, { padding: [14, 14], maxZoom: 17 });
      }
    } else if (shape) {
      map.fitBounds(shape.getBounds(), { padding: [14, 14] });
    }
    el.dataset.ready = "1";
  }

  // ---- forms -----------------------------------------------------------------------------------------------
  // A refused action (409 stale or wrong state, 413, 422) comes back as its form with the reason: show it.
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    var target = e.detail.target;
    if ([400, 403, 409, 413, 422].indexOf(status) >= 0 && target && target.id && target.id.indexOf("act-") === 0) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (e) { initTiers(e.detail.target); });
  if (!window.htmx) {  // without htmx, dangerous actions still ask first
    document.addEventListener("submit", function (e) {
      var message = e.target.dataset && e.target.dataset.confirm;
      if (message && !window.confirm(message)) e.preventDefault();
    });
  }
  // a second tap on "submit" while photos upload must not file the appeal twice
  var report = document.getElementById("appeal-form");
  if (report) {
    report.addEventListener("submit", function () {
      var b = report.querySelector("button[type=submit]");
      if (b) { setTimeout(function () { b.disabled = true; }, 0); }
    });
  }

  initPicker();
  initAppealMap();
  initTiers(document);
})();
