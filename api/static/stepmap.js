// The route page's step map: the current step on a map a phone can read and move (Leaflet 1.9,
// vendored, with a plain metric CRS: one map unit is one metre).
//
// Zoomed to the step's stretch: the whole route on this floor in light blue, the stretch of the
// step in dark blue with its end (the next step) marked, the place the step names outlined, the
// start and the destination; names written at a size read without zooming, the ones that do
// not fit left out (the most useful kept: the step's landmark, the destination, the places the
// route goes through, then the largest). Pan and pinch-zoom are Leaflet's. While the page
// follows the walker (follow.js), a "you are here" dot with its uncertainty, and the map turns
// so that what is ahead of the walker is up; otherwise the step's own way is up (as on the printed
// signs). The plan is turned, not the screen: names stay upright; a mark in the corner shows north.
// Without JavaScript the page shows the floor's SVG instead (north up).
// Data: /api/v1/route/map (routing/route_map.py).
(function () {
  "use strict";
  var RAD = Math.PI / 180;
  var ROUTE = "#0b57d0", ROUTE_LIGHT = "#8ab4f8";

  function StepMap(el, data, words) {
    this.el = el;
    this.d = data;
    this.words = words || {};
    this.theta = 0;          // degrees the plan is turned (counter-clockwise): the walker's heading
    this.floor = null;
    this.step = 0;
    this.hereAt = null;      // the follower's estimate, when following
    this.movedByHand = 0;    // when the visitor last panned or zoomed (ms)
    this.map = window.L.map(el, {
      crs: window.L.CRS.Simple, zoomSnap: 0.25, zoomDelta: 0.5, minZoom: -1, maxZoom: 6,
      attributionControl: false, zoomControl: false, bounceAtZoomLimits: false,
    });
    window.L.control.zoom({
      position: "topright", zoomInTitle: this.words.map_zoom_in || "+", zoomOutTitle: this.words.map_zoom_out || "-",
    }).addTo(this.map);
    this.base = window.L.layerGroup().addTo(this.map);
    this.line = window.L.layerGroup().addTo(this.map);
    this.labels = window.L.layerGroup().addTo(this.map);
    this.dot = window.L.layerGroup().addTo(this.map);
    this.north = document.createElement("div");
    this.north.className = "map-north";
    this.north.setAttribute("aria-hidden", "true");
    this.north.textContent = "N";
    el.appendChild(this.north);
    var self = this;
    this.map.on("zoomend moveend", function () { self._declutter(); });
    // A drag or a pinch by the visitor: the map stops following the dot for a while.
    this.map.on("dragstart zoomstart", function (e) {
      if (!self._moving) self.movedByHand = Date.now();
    });
  }

  // Plan metres -> the map's coordinates, turned by theta around the origin.
  StepMap.prototype.ll = function (x, y) {
    var c = Math.cos(this.theta * RAD), s = Math.sin(this.theta * RAD);
    return window.L.latLng(x * s + y * c, x * c - y * s);
  };

  StepMap.prototype._draw = function () {
    var L = window.L, self = this, floor = this.d.floors[String(this.floor)];
    this.base.clearLayers(); this.line.clearLayers(); this.labels.clearLayers();
    if (!floor) return;
    var ring = function (r) { return r.map(function (p) { return self.ll(p[0], p[1]); }); };
    var landmark = this.d.landmarks[this.step];
    this.units = [];
    var onRoute = this._onRoute();
    floor.units.forEach(function (u) {
      var poly = L.polygon(u[4].map(ring), {
        color: "#404040", weight: 1, fillColor: u[3] ? u[6] : "#d9d9d9", fillOpacity: 1, interactive: false,
      });
      self.base.addLayer(poly);
      if (u[0] === landmark) {
        self.base.addLayer(L.polygon(u[4].map(ring), {
          color: "#b06000", weight: 3, fill: false, interactive: false, className: "map-landmark",
        }));
      }
      if (!u[1]) return;
      var xs = [], ys = [];
      u[4][0].forEach(function (p) { var q = self.ll(p[0], p[1]); xs.push(q.lng); ys.push(q.lat); });
      var rank = u[0] === landmark ? 0 : u[0] === self.d.destination ? 1 : onRoute[u[0]] ? 3 : 4;
      self.units.push({ id: u[0], name: u[1], at: u[5], rank: rank, area: Math.abs(polyArea(u[4][0])),
        w: Math.max.apply(null, xs) - Math.min.apply(null, xs), lift: u[2] === "elevator" });
    });
    floor.doors.forEach(function (o) {
      var a = self.ll(o[0], o[1]), b = self.ll(o[2], o[3]);
      self.base.addLayer(L.polyline([a, b], { color: "#fbfbfb", weight: 5, interactive: false }));
      self.base.addLayer(L.polyline([a, b], { color: o[4] ? "#d00000" : "#e69138", weight: 3, interactive: false }));
    });
    var path = this.d.path.filter(function (p) { return p[0] === self.floor; });
    if (path.length > 1) {
      this.line.addLayer(L.polyline(path.map(function (p) { return self.ll(p[1], p[2]); }), {
        color: ROUTE_LIGHT, weight: 5, lineJoin: "round", interactive: false,
      }));
    }
    var stretch = this._stretch(this.step);
    if (stretch.length > 1) {
      this.line.addLayer(L.polyline(stretch.map(function (p) { return self.ll(p[0], p[1]); }), {
        color: ROUTE, weight: 7, lineJoin: "round", interactive: false, className: "map-stretch",
      }));
    }
    var first = this.d.path[0], last = this.d.path[this.d.path.length - 1];
    if (first[0] === this.floor) {
      this.line.addLayer(L.circleMarker(this.ll(first[1], first[2]), {
        radius: 8, color: "#fff", weight: 2, fillColor: "#188038", fillOpacity: 1, className: "map-start",
      }));
    }
    if (last[0] === this.floor) {
      this.line.addLayer(L.circleMarker(this.ll(last[1], last[2]), {
        radius: 9, color: "#fff", weight: 3, fillColor: "#d00000", fillOpacity: 1, className: "map-end",
      }));
    }
    // Lifts and stairs the route takes on this floor: where the ride starts or ends.
    this.d.vertical.forEach(function (v) {
      [v[0], v[3]].forEach(function (k) {
        var p = self.d.path[k];
        if (p[0] !== self.floor) return;
        self.line.addLayer(L.marker(self.ll(p[1], p[2]), {
          interactive: false, keyboard: false,
          icon: L.divIcon({ className: "map-ride", html: v[1] === "elevator" ? "⇅" : "≡", iconSize: [24, 24] }),
        }));
      });
    });
    // The next step's place: where this step's stretch ends, with the next step's number.
    var n = this.step + 1;
    if (n < this.d.steps.length && this.d.step_floors[n] === this.floor && stretch.length) {
      var end = stretch[stretch.length - 1];
      this.line.addLayer(L.marker(this.ll(end[0], end[1]), {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "map-next", html: String(n + 1), iconSize: [26, 26] }),
      }));
    }
    this.units.forEach(function (u) {
      u.marker = L.marker(self.ll(u.at[0], u.at[1]), {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "map-label" + (u.rank === 0 ? " is-landmark" : ""),
          html: "<span>" + escapeHtml(u.name) + "</span>", iconSize: null }),
      });
      self.labels.addLayer(u.marker);
    });
    this._drawHere();
    var deg = -this.theta;
    this.north.style.transform = "rotate(" + deg.toFixed(0) + "deg)";
  };

  // Which units the route passes through on this floor (their names matter more).
  StepMap.prototype._onRoute = function () {
    var out = {}, self = this, floor = this.d.floors[String(this.floor)];
    this.d.path.forEach(function (p) {
      if (p[0] !== self.floor) return;
      floor.units.forEach(function (u) {
        if (!out[u[0]] && u[4].length && inRing(p[1], p[2], u[4][0])) out[u[0]] = true;
      });
    });
    return out;
  };

  // The route's points from step i's start to the next step's start (same floor).
  StepMap.prototype._stretch = function (i) {
    var from = this.d.steps[i], floor = this.d.step_floors[i];
    var to = i + 1 < this.d.steps.length ? this.d.steps[i + 1] : from;
    var pts = [], path = this.d.path;
    for (var k = 0; k + 1 < path.length; k++) {
      var A = path[k], B = path[k + 1];
      if (A[0] !== floor || B[0] !== floor || B[3] < from || A[3] > to) continue;
      var span = B[3] - A[3];
      var a = span > 0 ? Math.max(0, (from - A[3]) / span) : 0, b = span > 0 ? Math.min(1, (to - A[3]) / span) : 1;
      if (!pts.length) pts.push([A[1] + (B[1] - A[1]) * a, A[2] + (B[2] - A[2]) * a]);
      pts.push([A[1] + (B[1] - A[1]) * b, A[2] + (B[2] - A[2]) * b]);
    }
    if (!pts.length) {  // a lift or stairs step: where it is
      for (var j = 0; j < path.length; j++) if (path[j][0] === floor && path[j][3] >= from) { pts.push([path[j][1], path[j][2]]); break; }
    }
    return pts;
  };

  // Show step i (0-based): its floor, zoomed to its stretch and the place it names.
  StepMap.prototype.show = function (i) {
    var floor = this.d.step_floors[i];
    this.step = i;
    this.floor = floor;
    // Ahead up, as on the printed signs: the step's way points to the top of the map (the
    // frame is taller than wide, so the stretch is drawn larger); north is shown in the corner.
    // A short step (out of a lift, through a door) keeps the way the map was turned.
    var way = this._stretch(i);
    if (!this.hereAt && way.length > 1) {
      var a = way[0], b = way[way.length - 1];
      if (Math.hypot(b[0] - a[0], b[1] - a[1]) >= 6) this.theta = Math.round(Math.atan2(b[0] - a[0], b[1] - a[1]) / RAD);
    }
    this._draw();
    if (this.hereAt && this.hereAt.ordinal === floor) { this._follow(true); return; }
    var pts = this._stretch(i), self = this;
    var lm = this.d.landmarks[i], fl = this.d.floors[String(floor)];
    // The place the step names, and the destination on the last steps, are in the view.
    var dest = i + 2 >= this.d.steps.length ? this.d.destination : null;
    if (fl) fl.units.forEach(function (u) { if (u[0] === lm || u[0] === dest) pts.push(u[5]); });
    var xs = [], ys = [];
    pts.forEach(function (p) { var q = self.ll(p[0], p[1]); xs.push(q.lng); ys.push(q.lat); });
    if (!xs.length) return;
    // At least 24 m across, so that a short step still shows where it is.
    var cx = (Math.min.apply(null, xs) + Math.max.apply(null, xs)) / 2, cy = (Math.min.apply(null, ys) + Math.max.apply(null, ys)) / 2;
    var hw = Math.max(12, (Math.max.apply(null, xs) - Math.min.apply(null, xs)) / 2);
    var hh = Math.max(12, (Math.max.apply(null, ys) - Math.min.apply(null, ys)) / 2);
    this._moving = true;
    // Wide side margins: a name written at a place near the edge still fits in the frame.
    this.map.fitBounds([[cy - hh, cx - hw], [cy + hh, cx + hw]],
      { paddingTopLeft: [56, 36], paddingBottomRight: [56, 36], maxZoom: 4.5, animate: false });
    this._moving = false;
    this._declutter();
  };

  // The follower's estimate (follow.js) and the compass: the dot, the halo, the plan turned.
  StepMap.prototype.here = function (e, heading, lost) {
    this.hereAt = e;
    this.lost = !!lost;
    var turn = heading !== null && heading !== undefined && Math.abs(angleDiff(heading, this.theta)) > 12;
    if (turn) this.theta = Math.round(heading);
    if (e.ordinal !== this.floor || turn) {
      this.floor = e.ordinal;
      this._draw();
    } else this._drawHere();
    this._follow(turn);
  };

  // Following stopped: the step's own view again.
  StepMap.prototype.stopHere = function () {
    this.hereAt = null;
    this.dot.clearLayers();
    this.show(this.step);
  };

  StepMap.prototype._drawHere = function () {
    var L = window.L, e = this.hereAt;
    this.dot.clearLayers();
    if (!e || e.ordinal !== this.floor) return;
    var at = this.ll(e.x, e.y), colour = this.lost ? "#757575" : ROUTE;
    this.dot.addLayer(L.circle(at, { radius: Math.max(1.5, Math.min(12, e.spread || 1.5)), stroke: false,
      fillColor: colour, fillOpacity: 0.18, interactive: false, className: "here-halo" }));
    this.dot.addLayer(L.circleMarker(at, { radius: 8, color: "#fff", weight: 3, fillColor: colour,
      fillOpacity: 1, interactive: false, className: "here-dot" }));
    this.el.setAttribute("data-lost", this.lost ? "true" : "false");
  };

  // Keep the dot in view, unless the visitor moved the map in the last 15 s.
  StepMap.prototype._follow = function (force) {
    var e = this.hereAt;
    if (!e || (!force && Date.now() - this.movedByHand < 15000)) return;
    this._moving = true;
    var z = Math.max(this.map.getZoom() || 3.5, 3);
    this.map.setView(this.ll(e.x, e.y), z, { animate: false });
    this._moving = false;
    this._declutter();
  };

  // Names that fit: in order of use, each kept if it overlaps no kept one and its place is
  // wide enough on screen for it (the step's landmark and the destination always).
  StepMap.prototype._declutter = function () {
    if (!this.units) return;
    var scale = Math.pow(2, this.map.getZoom()), frame = this.el.getBoundingClientRect();
    // The marks come first: a name never hides the next step, the start, the end or the dot.
    var kept = Array.prototype.map.call(this.el.querySelectorAll(".map-next, .map-ride, .map-start, .map-end, .here-dot"), function (m) {
      var r = m.getBoundingClientRect();
      return [r.left, r.top, r.right, r.bottom];
    }), marks = kept.length;
    this.units.slice().sort(function (a, b) { return a.rank - b.rank || b.area - a.area; }).forEach(function (u) {
      var el = u.marker && u.marker.getElement();
      if (!el) return;
      el.style.visibility = "visible";
      var span = el.firstChild;
      span.style.transform = "";
      var r = span.getBoundingClientRect();
      var box = [r.left - 2, r.top - 1, r.right + 2, r.bottom + 1];
      var within = function (b) { return b[0] >= frame.left && b[2] <= frame.right && b[1] >= frame.top && b[3] <= frame.bottom; };
      var clear = function (b, k) { return b[2] < k[0] || b[0] > k[2] || b[3] < k[1] || b[1] > k[3]; };
      // The landmark's or the destination's name on a mark (the end's red dot sits in the
      // destination): written just below, above or beside the mark rather than over it.
      var hit = u.rank <= 1 ? kept.slice(0, marks).filter(function (k) { return !clear(box, k); })[0] : null;
      if (hit) {
        var moves = [[0, hit[3] - box[1] + 2], [0, hit[1] - box[3] - 2], [hit[2] - box[0] + 2, 0], [hit[0] - box[2] - 2, 0]];
        for (var m = 0; m < moves.length; m++) {
          var dx = moves[m][0], dy = moves[m][1], moved = [box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy];
          if (within(moved) && kept.every(function (k) { return clear(moved, k); })) {
            span.style.transform = "translate(calc(-50% + " + dx.toFixed(1) + "px), calc(-50% + " + dy.toFixed(1) + "px))";
            box = moved;
            break;
          }
        }
      }
      var inside = within(box);
      var fits = inside && (u.rank <= 1 || u.w * scale >= r.width * 0.8);
      // The step's landmark and the destination are written even over a mark (their names are
      // what the step says); others give way.
      var free = kept.slice(u.rank <= 1 ? marks : 0).every(function (k) { return clear(box, k); });
      if (fits && free) kept.push(box); else el.style.visibility = "hidden";
    });
  };

  function angleDiff(a, b) { var d = (a - b) % 360; if (d > 180) d -= 360; if (d < -180) d += 360; return d; }
  function polyArea(r) {
    var a = 0;
    for (var i = 0; i < r.length; i++) { var p = r[i], q = r[(i + 1) % r.length]; a += p[0] * q[1] - q[0] * p[1]; }
    return a / 2;
  }
  function inRing(x, y, r) {
    var inside = false;
    for (var i = 0, j = r.length - 1; i < r.length; j = i++) {
      if ((r[i][1] > y) !== (r[j][1] > y) && x < (r[j][0] - r[i][0]) * (y - r[i][1]) / (r[j][1] - r[i][1]) + r[i][0]) inside = !inside;
    }
    return inside;
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }

  window.WFStepMap = StepMap;
})();
