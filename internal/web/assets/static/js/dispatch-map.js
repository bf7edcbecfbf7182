// dispatch-map.js: the dispatcher's map, drawn with Leaflet on its SVG
// renderer and no tile layer: the province's and communes' outlines, the
// offices and their H3 zones, and, on the plan page, each courier's route
// (a polyline from the office through the stops and back) with stops as
// circle markers in the courier's colour, visited stops hollow, unplaced
// requests ringed in red. Everything on the map is also in the tables
// below it; the map only helps the eye.
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
    span.textContent = text;
    layer.bindTooltip(span, { sticky: true });
    return layer;
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
        // Pickups are round, results to deliver square (legend below the
        // map); visited stops hollow.
        var m;
        if (s.kind === "delivery") {
          var sq = document.createElement("span");
          sq.className = "stop-delivery__square";
          sq.style.borderColor = colour; // CSSOM, allowed by the page's CSP
          sq.style.backgroundColor = s.visited ? "#ffffff" : colour;
          m = L.marker(s.at, { keyboard: false, icon: L.divIcon({ className: "stop-delivery", iconSize: [13, 13], html: sq }) });
        } else {
          m = L.circleMarker(s.at, {
            radius: 6, color: colour, weight: 2,
            fillColor: s.visited ? "#ffffff" : colour, fillOpacity: 1
          });
        }
        var brk = r["break"] && r["break"].after === s.seq ? " · nghỉ trưa " + r["break"].start + "–" + r["break"].end + " sau điểm này" : "";
        tip(m, r.courier + " · " + s.seq + ". " + (s.kind === "delivery" ? "Trả kết quả " : "Nhận hồ sơ ") + s.number +
          " · đến " + s.eta + " (hẹn " + s.window + ")" + (s.visited ? " · đã đến" : "") + (s.pinned ? " · đã ghim" : "") + brk).addTo(map);
      });
    });

    (data.unplaced || []).forEach(function (u) {
      var m = L.circleMarker(u.at, { radius: 7, color: "#b42318", weight: 3, fillColor: "#ffffff", fillOpacity: 1, dashArray: "3 2" });
      tip(m, u.number + ": " + u.reason).addTo(map);
      work.extend(m.getLatLng());
    });

    (data.offices || []).forEach(function (o) {
      var m = L.circleMarker(o.at, {
        radius: o.code === data.office.code ? 9 : 6, color: "#111111", weight: 2, fillColor: "#ffd23f", fillOpacity: 1
      });
      tip(m, o.name + " (" + o.code + ")").addTo(map);
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
