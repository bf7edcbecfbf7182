// dispatch-map.js: the dispatcher's map, drawn with Leaflet on its SVG
// renderer and, unless the deployment set a tile server (HOSO_MAP_TILES,
// data-tiles), no tile layer: the province's and communes' outlines, the
// offices and their H3 zones, and, on the plan page, each courier's route
// (a polyline from the office through the stops and back) with each stop
// labelled by its order number in the courier's colour (round: pickup,
// square: delivery; white when visited; dashed when the point is only the
// commune's centre), unplaced requests ringed in red. Everything on the
// map is also in the list beside it; the map only helps the eye.
(function () {
  "use strict";
  var el = document.getElementById("ban-do");
  if (!el || !window.L) {
    return;
  }
  var colours = ["#0b57d0", "#c2410c", "#047857", "#7e22ce", "#a16207", "#be185d", "#0e7490", "#374151"];
  var fallback = el.querySelector(".dispatch-map__fallback");
  if (fallback) {
    fallback.remove();
  }
  var map = L.map(el, { zoomControl: false, zoomSnap: 0.25, attributionControl: true });
  L.control.zoom({ zoomInTitle: "Phóng to", zoomOutTitle: "Thu nhỏ" }).addTo(map);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Ranh giới: thanglequoc/vietnamese-provinces-database (MIT)");
  map.setView([21.59, 105.83], 10);
  var tiles = el.getAttribute("data-tiles");
  if (tiles) {
    var host = "";
    try { host = new URL(tiles.replace(/[{}]/g, "")).host; } catch (e) { host = ""; }
    L.tileLayer(tiles, { maxZoom: 19, attribution: "Bản đồ nền: " + host }).addTo(map);
  }

  var note = document.createElement("p");
  note.className = "muted";
  note.setAttribute("role", "status");
  el.insertAdjacentElement("afterend", note);

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.json();
    });
  }

  // tip binds a tooltip of plain text: Leaflet puts a string into the page
  // as HTML, and office names and labels are typed by staff, so the text
  // goes in as a text node.
  function tip(layer, text) {
    var span = document.createElement("span");
    (Array.isArray(text) ? text : [text]).forEach(function (line, i) {
      if (i > 0) {
        span.appendChild(document.createElement("br"));
      }
      span.appendChild(document.createTextNode(line));
    });
    layer.bindTooltip(span, { sticky: true });
    return layer;
  }

  // place is a stop's commune and masked address line, and whether the
  // point is only the commune's centre.
  function place(s) {
    var line = (s.commune || "") + (s.address ? " · " + s.address : "");
    return s.approx ? [line, "Vị trí gần đúng: đặt ở tâm xã, phường"] : [line];
  }

  function draw(outlines, data) {
    var bounds = L.latLngBounds([]); // the office's own zone
    var work = L.latLngBounds([]);   // the day's stops, when there are any
    var zones = L.latLngBounds([]);  // every office's zone
    var province = null;
    L.geoJSON(outlines, {
      interactive: false,
      style: function (f) {
        if (f.properties.level === "province") {
          return { color: "#1b1f24", weight: 2, fill: false };
        }
        return { color: "#8b95a1", weight: 1, fill: false };
      },
      onEachFeature: function (f, layer) {
        if (f.properties.level === "province") {
          province = layer.getBounds();
        }
      }
    }).addTo(map);

    (data.zones || []).forEach(function (z) {
      var poly = L.polygon(z.polygons, {
        color: z.own ? "#0b4f8a" : "#6b7280",
        weight: z.own ? 2 : 1,
        fillColor: z.own ? "#0b4f8a" : "#9ca3af",
        fillOpacity: z.own ? 0.14 : 0.08
      });
      tip(poly, "Vùng " + z.office + ": " + z.cells + " ô").addTo(map);
      zones.extend(poly.getBounds());
      if (z.own) {
        bounds.extend(poly.getBounds());
      }
    });

    (data.routes || []).forEach(function (r) {
      var colour = colours[r.colour % colours.length];
      var line = L.polyline(r.path, { color: colour, weight: 3, opacity: 0.85 });
      tip(line, r.courier + (r.name ? " — " + r.name : "") + ": " + r.stops.length + " điểm").addTo(map);
      work.extend(line.getBounds());
      r.stops.forEach(function (s) {
        // The stop's order number in the courier's colour: round for a
        // pickup, square for a result to deliver (legend beside the map).
        var label = document.createElement("span");
        label.className = "stop-label stop-label--" + (s.kind === "delivery" ? "delivery" : "pickup") +
          " stop-label--c" + (r.colour % colours.length) + (s.visited ? " stop-label--visited" : "") + (s.approx ? " stop-label--approx" : "");
        label.textContent = String(s.seq);
        var m = L.marker(s.at, { keyboard: false, riseOnHover: true,
          icon: L.divIcon({ className: "stop-icon", iconSize: [24, 24], iconAnchor: [12, 12], html: label }) });
        var brk = r["break"] && r["break"].after === s.seq ? ["Nghỉ trưa " + r["break"].start + "–" + r["break"].end + " sau điểm này"] : [];
        tip(m, [r.courier + (r.name ? " — " + r.name : "") + " · điểm " + s.seq + ": " + (s.kind === "delivery" ? "trả kết quả " : "nhận hồ sơ ") + s.number,
          "Hẹn " + s.window + " · dự kiến đến " + s.eta + (s.visited ? " · đã đến" : "") + (s.pinned ? " · đã ghim" : "")]
          .concat(place(s), brk)).addTo(map);
      });
    });

    (data.unplaced || []).forEach(function (u) {
      var m = L.circleMarker(u.at, { radius: 7, color: "#b42318", weight: 3, fillColor: "#ffffff", fillOpacity: 1, dashArray: "3 2" });
      if (u.approx) {
        m.setStyle({ dashArray: "1 3" });
      }
      tip(m, ["Chưa xếp được: " + u.number, u.reason].concat(place(u))).addTo(map);
      work.extend(m.getLatLng());
    });

    (data.offices || []).forEach(function (o) {
      var m = L.circleMarker(o.at, {
        radius: o.code === data.office.code ? 9 : 6, color: "#111111", weight: 2, fillColor: "#ffd23f", fillOpacity: 1
      });
      tip(m, "Bưu cục " + o.name + " (" + o.code + ")").addTo(map);
      if (o.code === data.office.code) {
        bounds.extend(m.getLatLng());
        if (work.isValid()) {
          work.extend(m.getLatLng());
        }
      }
    });

    // Show the day's work if there is any; on the zone page every zone,
    // the office's among its neighbours; else the province.
    if (work.isValid()) {
      map.fitBounds(work.pad(0.15), { maxZoom: 15 });
    } else if (el.hasAttribute("data-all-zones") && zones.isValid()) {
      map.fitBounds(zones.pad(0.05));
    } else if (bounds.isValid() && data.zones.some(function (z) { return z.own; })) {
      map.fitBounds(bounds.pad(0.08));
    } else if (province) {
      map.fitBounds(province);
    }
    var stops = (data.routes || []).reduce(function (n, r) { return n + r.stops.length; }, 0);
    note.textContent = data.routes.length > 0
      ? "Bản đồ: " + data.routes.length + " tuyến, " + stops + " điểm dừng, " + data.unplaced.length + " điểm chưa xếp."
      : "Bản đồ: " + data.zones.length + " vùng bưu cục trong tỉnh.";
    el.setAttribute("data-ready", "1");
  }

  Promise.all([getJSON(el.getAttribute("data-outlines-url")), getJSON(el.getAttribute("data-map-url"))])
    .then(function (res) { draw(res[0], res[1]); })
    .catch(function () {
      note.textContent = "Không tải được bản đồ. Danh sách bên dưới vẫn đầy đủ; tải lại trang để thử lại.";
    });
}());
