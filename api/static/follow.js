// Following the walker in the page, from the phone's own motion sensors; nothing leaves the phone.
//
// StepDetector: steps from the acceleration's magnitude (gravity included: whatever way the
// phone is held), a low-pass filter and peaks above an adaptive threshold.
// Follower: a particle filter in the walls around the route (routing/follow.py): each particle
// steps along the compass heading less its own bias, with its own step length; a step through
// a wall is all but impossible; the route is a prior while the walker goes its way; corners
// calibrate the step length (the route's metres over the steps counted between the places the
// walker was known to be: the start, corners, the end of a ride), straight stretches the
// compass (docs/follow.md). The estimate gives the route's progress (which step the walker is
// on), the distance to the next step, and whether the walker left the route or walks it the
// wrong way. Lifts and stairs: the page waits for the ride (a stop,
// or steps on the spot) or a tap on "I am on level N".
//
// Runs in the browser (window.WFFollow) and in Node (module.exports) for bench/follow_walks.js.
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.WFFollow = api;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var RAD = Math.PI / 180;
  // A turn is seen about this many steps after the corner (the heading over the last steps).
  var TURN_SEEN_STEPS = 2;
  // Gone this far past the end of a stretch where the route turns: not on that stretch's way.
  var PAST_M = 1;
  // Steps a walker takes on stairs per floor: a floor of 3.4 to 4 m in risers of at most 17 cm
  // (French public buildings' rule), one step a riser: 20 to 24; the lower bound, so that the
  // page is rarely late on a low floor.
  var STAIR_STEPS = 20;
  var OFF_M = 5;
  var ACROSS_STEPS = 4;  // steps across the route's way before "off the route" (about 3 m)  // farther than this from the route for two steps: off it (a wrong turn shows within 10 m)

  function angleDiff(a, b) {  // degrees, -180..180
    var d = (a - b) % 360;
    if (d > 180) d -= 360;
    if (d < -180) d += 360;
    return d;
  }

  function bearing(ax, ay, bx, by) {
    return (Math.atan2(bx - ax, by - ay) / RAD + 360) % 360;
  }

  // A small seeded generator, so that a walk replays the same (tests, bench).
  function rng(seed) {
    var s = (seed >>> 0) || 1;
    return function () {
      s ^= s << 13; s >>>= 0; s ^= s >> 17; s ^= s << 5; s >>>= 0;
      return s / 4294967296;
    };
  }

  function gauss(rand) {
    var u = rand() || 1e-9, v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  // -- steps --------------------------------------------------------------------------------

  function StepDetector() {
    this.mean = 9.81;      // slow average of the magnitude: gravity as this phone reads it
    this.smooth = null;    // low-passed deviation
    this.prev = null;
    this.rising = false;
    this.last = -1e9;
    this.amp = 1.5;        // running amplitude of the peaks, for the threshold
  }
  // Feed one sample (seconds, m/s² with gravity); returns true when a step ends at this sample.
  StepDetector.prototype.push = function (t, ax, ay, az) {
    var m = Math.sqrt(ax * ax + ay * ay + az * az);
    this.mean += (m - this.mean) * 0.01;
    var v = m - this.mean;
    this.smooth = this.smooth === null ? v : this.smooth + (v - this.smooth) * 0.3;
    var f = this.smooth, step = false;
    if (this.prev !== null) {
      if (f > this.prev) this.rising = true;
      else if (this.rising) {
        this.rising = false;
        var peak = this.prev;
        if (peak > Math.max(0.6, 0.35 * this.amp) && t - this.last > 0.3) {
          step = true;
          this.last = t;
          this.amp += (peak - this.amp) * 0.2;
        }
      }
    }
    this.prev = f;
    return step;
  };

  // -- the route and the walls ------------------------------------------------------------

  var CELL = 4;  // metres: walls are kept in a grid of cells this size, to test a step against few

  function Walls(segs) {
    this.cells = {};
    for (var i = 0; i < segs.length; i++) {
      var w = segs[i];
      var x0 = Math.floor(Math.min(w[0], w[2]) / CELL), x1 = Math.floor(Math.max(w[0], w[2]) / CELL);
      var y0 = Math.floor(Math.min(w[1], w[3]) / CELL), y1 = Math.floor(Math.max(w[1], w[3]) / CELL);
      for (var cx = x0; cx <= x1; cx++) for (var cy = y0; cy <= y1; cy++) {
        var key = cx + "," + cy;
        (this.cells[key] = this.cells[key] || []).push(w);
      }
    }
  }
  // Does the step from (ax, ay) to (bx, by) cross a wall?
  Walls.prototype.blocks = function (ax, ay, bx, by) {
    var x0 = Math.floor(Math.min(ax, bx) / CELL), x1 = Math.floor(Math.max(ax, bx) / CELL);
    var y0 = Math.floor(Math.min(ay, by) / CELL), y1 = Math.floor(Math.max(ay, by) / CELL);
    for (var cx = x0; cx <= x1; cx++) for (var cy = y0; cy <= y1; cy++) {
      var list = this.cells[cx + "," + cy];
      if (!list) continue;
      for (var i = 0; i < list.length; i++) if (crosses(ax, ay, bx, by, list[i])) return true;
    }
    return false;
  };

  function crosses(ax, ay, bx, by, w) {
    var d1 = orient(w[0], w[1], w[2], w[3], ax, ay), d2 = orient(w[0], w[1], w[2], w[3], bx, by);
    if (d1 * d2 > 0) return false;
    var d3 = orient(ax, ay, bx, by, w[0], w[1]), d4 = orient(ax, ay, bx, by, w[2], w[3]);
    return d3 * d4 <= 0 && !(d1 === 0 && d2 === 0);
  }
  function orient(ax, ay, bx, by, cx, cy) { return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax); }

  function project(A, B, x, y) {
    var dx = B[0] - A[0], dy = B[1] - A[1], len = Math.sqrt(dx * dx + dy * dy) || 1e-6;
    var s = ((x - A[0]) * dx + (y - A[1]) * dy) / len;
    s = Math.max(0, Math.min(len, s));
    var px = A[0] + dx * s / len, py = A[1] + dy * s / len;
    return { s: s, len: len, dist: Math.sqrt((px - x) * (px - x) + (py - y) * (py - y)) };
  }

  function Follower(data, opts) {
    opts = opts || {};
    this.d = data;
    this.n = opts.particles || 300;
    this.rand = rng(opts.seed || 12345);
    this.stepLength = opts.stepLength || 0.68;
    this.walls = {};
    for (var k in data.walls) this.walls[k] = new Walls(data.walls[k]);
    this.p = [];
    this.progress = 0;
    this.ordinal = data.path[0][0];
    this.offSteps = 0;
    this.wrongSteps = 0;
    this.acrossSteps = 0;
    this.ride = null;       // {i, j, kind, levels, steps, moved}: waiting for a lift or on stairs
    this.rideIndex = 0;     // next vertical link of the route
    this.lastStepT = null;
    this.estimate = null;
    this.turns = [];        // headings of the last steps, to see a turn
    this.anchor = 0;        // distance along the route of the last corner the walker turned at
    // The walker's step length, from the route's known lengths between the places the walker
    // was known to be (the start, corners turned, the end of a ride): metres over steps, summed
    // over every clean stretch (no "off the route" on it).
    this.footSteps = 0;
    this.leg = { along: 0, steps: 0, clean: true };
    this.sumD = 0;
    this.sumS = 0;
    // The phone's compass bias (how it is held, the building's steel): learned from steps taken
    // along straight stretches of the route, where the walking direction is known.
    this.bias = 0;
    this.biasSeen = [];     // compass minus route direction, for steps on the route
    this.biasKnown = false;
    // The route's corners: where its direction, over 2.5 m before and after, turns by 45 degrees
    // or more (doors make short zigzags that are not corners); the sharpest of neighbours.
    this.corners = [];
    var path = data.path;
    for (var i = 1; i + 1 < path.length; i++) {
      var B = path[i], A = null, C = null;
      for (var a = i - 1; a >= 0 && path[a][0] === B[0]; a--) if (B[3] - path[a][3] >= 2.5) { A = path[a]; break; }
      for (var c = i + 1; c < path.length && path[c][0] === B[0]; c++) if (path[c][3] - B[3] >= 2.5) { C = path[c]; break; }
      if (!A || !C) continue;
      var turn = angleDiff(bearing(B[1], B[2], C[1], C[2]), bearing(A[1], A[2], B[1], B[2]));
      if (Math.abs(turn) < 45) continue;
      var last = this.corners[this.corners.length - 1];
      if (last && last[0] === B[0] && B[3] - last[3] < 3) {
        if (Math.abs(turn) > Math.abs(last[4])) this.corners[this.corners.length - 1] = [B[0], B[1], B[2], B[3], turn];
      } else this.corners.push([B[0], B[1], B[2], B[3], turn]);
    }
  }

  // Start at a place (default: the route's start), the particles *spread* metres around it.
  Follower.prototype.start = function (ordinal, x, y, spread) {
    var first = this.d.path[0];
    if (ordinal === undefined || ordinal === null) { ordinal = first[0]; x = first[1]; y = first[2]; }
    spread = spread || 0.7;
    this.ordinal = ordinal;
    this.p = [];
    for (var i = 0; i < this.n; i++) {
      this.p.push({
        o: ordinal, x: x + gauss(this.rand) * spread, y: y + gauss(this.rand) * spread,
        k: 0.78 + 0.44 * this.rand(), bias: gauss(this.rand) * (this.biasKnown ? 6 : 22), w: 1 / this.n,
      });
    }
    this.progress = this._along(ordinal, x, y, 0, 15).along;
    this.anchor = this.progress;
    this._newLeg(this.progress);
    this.offSteps = this.wrongSteps = this.acrossSteps = 0;
    this.ride = null;
    this._estimate();
    return this.estimate;
  };

  // The route's point nearest (x, y) on *ordinal*, searched from *from* - back to + ahead metres.
  Follower.prototype._along = function (ordinal, x, y, back, ahead) {
    var path = this.d.path, best = { along: this.progress, dist: Infinity, dir: null };
    var lo = this.progress - back, hi = this.progress + ahead;
    for (var i = 0; i + 1 < path.length; i++) {
      var A = path[i], B = path[i + 1];
      if (A[0] !== ordinal || B[0] !== ordinal) continue;
      if (B[3] < lo || A[3] > hi) continue;
      var pr = project([A[1], A[2]], [B[1], B[2]], x, y);
      if (pr.dist < best.dist) {
        best = { along: A[3] + pr.s, dist: pr.dist, dir: bearing(A[1], A[2], B[1], B[2]) };
      }
    }
    return best;
  };

  // One step, the phone's compass reading *heading* (degrees), at time *t* (seconds).
  Follower.prototype.step = function (t, heading) {
    this.lastStepT = t;
    if (this.ride) return this._rideStep(t);
    this.footSteps++;
    var rand = this.rand, total = 0, self = this, e0 = this.estimate;
    // The route is a prior only while the walker goes its way: a turn elsewhere is theirs.
    var along = e0 && e0.routeDir !== null && e0.routeDist < 6 &&
      Math.abs(angleDiff(heading - this.bias, e0.routeDir)) < 45;
    var h0 = (heading - this.bias) * RAD, base = this.stepLength * this._kMean();
    this.p.forEach(function (q) {
      var h = (heading - self.bias - q.bias + gauss(rand) * 7) * RAD;
      var len = self.stepLength * q.k * (1 + gauss(rand) * 0.08);
      // The step's length along the walker's way; its turn aside the same whatever the length
      // (else the walls, which stop first the particles that drift sideways fastest, would keep
      // the shortest steps, and the page would fall behind the walker).
      var nx = q.x + len * Math.sin(h0) + base * (Math.sin(h) - Math.sin(h0));
      var ny = q.y + len * Math.cos(h0) + base * (Math.cos(h) - Math.cos(h0));
      var walls = self.walls[String(q.o)];
      if (walls && walls.blocks(q.x, q.y, nx, ny)) {
        q.w *= 0.02;  // through a wall: this particle's heading or place is wrong
      } else {
        q.x = nx; q.y = ny;
        if (along) {
          var on = self._along(q.o, nx, ny, 20, 40).dist;
          if (on > 3) q.w *= Math.exp(-(on - 3) / 25);
        }
      }
      total += q.w;
    });
    this.p.forEach(function (q) { q.w /= total || 1; });
    this._turned(heading);
    this._resample();
    this._estimate();
    this._judge(heading);
    if (this.estimate.off || this.estimate.wrongWay) this.leg.clean = false;
    this._learnBias(heading);
    return this.estimate;
  };

  // A turn of 50 to 130 degrees over the last steps happens at a corner of the route (a U-turn
  // does not: the walker going back after a wrong turn). The cloud moves to that corner, and
  // the distance it was short or long since the last corner corrects the step length: the
  // known length of each straight stretch calibrates the walker's step, turn after turn.
  Follower.prototype._turned = function (heading) {
    var h = this.turns;
    h.push(heading);
    if (h.length > 6) h.shift();
    if (h.length < 6 || !this.estimate) return;
    var now = circMean([h[4], h[5]]), before = circMean([h[0], h[1], h[2]]);
    var signed = angleDiff(now, before), turn = Math.abs(signed);
    if (turn < 50 || turn > 130) return;
    var e = this.estimate, best = null;
    for (var i = 0; i < this.corners.length; i++) {
      var c = this.corners[i];
      if (c[0] !== e.ordinal || c[3] < e.progress - 8 || c[3] > e.progress + 15) continue;
      if (c[3] <= this.anchor + 1) continue;  // that corner was already taken
      if ((c[4] > 0) !== (signed > 0)) continue;  // it turns the other way
      if (best === null || Math.abs(c[3] - e.progress) < Math.abs(best[3] - e.progress)) best = c;
    }
    if (best === null) return;
    var since = e.progress - this.anchor, err = best[3] - e.progress;
    var factor = since > 8 ? Math.max(0.8, Math.min(1.25, 1 + err / since)) : 1;
    this._calibrate(best[3], this.footSteps - TURN_SEEN_STEPS);
    var known = this.sumS > 0 ? this._kMean() : null, k = this._kDraw();
    // The walker turned about two steps ago: they are that far past the corner, give or take
    // a metre (the cloud's spread along the stretch before is forgotten).
    var rand = this.rand, cx = best[1], cy = best[2];
    var out = this._ways(best[0], best[3] + 0.5, best[3] + 4)[0];
    var ahead = out === undefined ? 0 : TURN_SEEN_STEPS * this.stepLength * (known === null ? 1 : known);
    if (out !== undefined) { cx += ahead * Math.sin(out * RAD); cy += ahead * Math.cos(out * RAD); }
    this.p.forEach(function (q) {
      q.x = cx + gauss(rand) * 0.8; q.y = cy + gauss(rand) * 0.8;
      q.k = known === null ? Math.max(0.6, Math.min(1.5, q.k * factor)) : k(q.k);
    });
    this.progress = best[3] + ahead;
    this.anchor = best[3];
    this._newLeg(best[3]);
    this.leg.steps -= TURN_SEEN_STEPS;
    this.turns = [];  // one turn, one correction
  };

  // The walker's step length (times stepLength) the corners have taught, 1 before any.
  Follower.prototype._kMean = function () {
    return this.sumS > 0 ? this.sumD / this.sumS / this.stepLength : 1;
  };

  // The walker is known to be at *along* after *steps* steps: the stretch since the last known
  // place, its length over the steps taken, teaches the step length (unless the walker left
  // the route on it, or it gives a step no one takes).
  Follower.prototype._calibrate = function (along, steps) {
    var dist = along - this.leg.along, st = steps - this.leg.steps;
    if (this.leg.clean && dist >= 6 && st >= 6 && dist / st >= 0.4 && dist / st <= 0.95) {
      this.sumD += dist; this.sumS += st;
    }
  };

  // A particle's step length once the stretches walked have taught it (else its own, kept):
  // around what they taught, less spread the more steps they counted.
  Follower.prototype._kDraw = function () {
    if (this.sumS <= 0) return function (k) { return k; };
    var known = this._kMean(), sd = Math.max(0.03, 2 / this.sumS), rand = this.rand;
    return function () { return Math.max(0.6, Math.min(1.5, known * (1 + gauss(rand) * sd))); };
  };

  Follower.prototype._newLeg = function (along) {
    this.leg = { along: along, steps: this.footSteps, clean: true };
  };

  // On the route, away from its corners, the walker walks along it: the compass's difference
  // from the route's direction is the bias. Off the route nothing is learned (a wrong turn must
  // not teach the compass that the route is where the walker is not).
  Follower.prototype._learnBias = function (heading) {
    var e = this.estimate;
    if (!e || e.off || e.wrongWay || e.routeDist > 2.5 || e.routeDir === null || this.ride) return;
    for (var i = 0; i < this.corners.length; i++) {
      var c = this.corners[i];
      if (c[0] === e.ordinal && Math.abs(c[3] - e.progress) < 4) return;
    }
    var d = angleDiff(heading, e.routeDir);
    if (Math.abs(d) > 60) return;  // not walking along it after all
    this.biasSeen.push(d);
    if (this.biasSeen.length > 30) this.biasSeen.shift();
    if (this.biasSeen.length < 8) return;
    var mean = circMean(this.biasSeen.map(function (x) { return (x + 360) % 360; }));
    var before = this.bias;
    this.bias = angleDiff(mean, 0);
    var delta = this.bias - before;
    // The particles' own biases were measured from the old value: keep them where they point.
    this.p.forEach(function (q) { q.bias = (q.bias - delta) * (this.biasKnown ? 1 : 0.5); }, this);
    this.biasKnown = true;
  };

  function circMean(list) {
    var sx = 0, sy = 0;
    list.forEach(function (d) { sx += Math.sin(d * RAD); sy += Math.cos(d * RAD); });
    return (Math.atan2(sx, sy) / RAD + 360) % 360;
  }

  Follower.prototype._resample = function () {
    var n = this.p.length, ess = 0;
    this.p.forEach(function (q) { ess += q.w * q.w; });
    if (1 / ess > n / 2) return;
    var out = [], u = this.rand() / n, c = this.p[0].w, i = 0;
    for (var m = 0; m < n; m++) {
      var target = u + m / n;
      while (target > c && i < n - 1) { i++; c += this.p[i].w; }
      var q = this.p[i];
      out.push({ o: q.o, x: q.x + gauss(this.rand) * 0.1, y: q.y + gauss(this.rand) * 0.1,
        k: Math.max(0.6, Math.min(1.5, q.k + gauss(this.rand) * 0.015)), bias: q.bias + gauss(this.rand) * 1.5,
        w: 1 / n });
    }
    this.p = out;
  };

  Follower.prototype._estimate = function () {
    var byFloor = {};
    this.p.forEach(function (q) { byFloor[q.o] = (byFloor[q.o] || 0) + q.w; });
    var o = this.ordinal, best = -1;
    for (var k in byFloor) if (byFloor[k] > best) { best = byFloor[k]; o = Number(k); }
    var sx = 0, sy = 0, sw = 0, pts = [];
    this.p.forEach(function (q) {
      if (q.o !== o) return;
      pts.push([q.x, q.y, q.w]);
      sx += q.x * q.w; sy += q.y * q.w; sw += q.w;
    });
    var x = sx / sw, y = sy / sw, v = 0;
    pts.forEach(function (p) { v += p[2] * ((p[0] - x) * (p[0] - x) + (p[1] - y) * (p[1] - y)); });
    // Where most of the weight is (the mean of a cloud split by a wall may sit in the wall, or
    // in the room across the corridor): the heaviest 2.5 m neighbourhood among the heaviest particles.
    var heavy = pts.slice().sort(function (a, b) { return b[2] - a[2]; }).slice(0, 30), bestW = -1;
    heavy.forEach(function (c) {
      var w = 0;
      pts.forEach(function (p) { if ((p[0] - c[0]) * (p[0] - c[0]) + (p[1] - c[1]) * (p[1] - c[1]) < 6.25) w += p[2]; });
      if (w > bestW) { bestW = w; x = c[0]; y = c[1]; }
    });
    this.ordinal = o;
    var on = this._along(o, x, y, 8, 25);
    if (on.dist < 12 && on.along > this.progress - 8) this.progress = on.along;
    this.estimate = {
      ordinal: o, x: x, y: y, spread: Math.sqrt(v / sw), progress: this.progress,
      routeDist: on.dist, routeDir: on.dir, step: this.currentStep(), toNext: this.toNextStep(),
      off: false, wrongWay: false, riding: !!this.ride,
    };
  };

  Follower.prototype._judge = function (heading) {
    var e = this.estimate;
    this.offSteps = e.routeDist > OFF_M ? this.offSteps + 1 : 0;
    var back = e.routeDir !== null && Math.abs(angleDiff(heading, e.routeDir)) > 120 && e.routeDist < 10;
    this.wrongSteps = back ? this.wrongSteps + 1 : 0;
    // A wrong turn shows in the heading before the position has drifted away: the walker's way
    // (less the compass bias) is none of the ways the route takes from 3 m behind to 6 m ahead,
    // step after step (a turn at a corner of the route matches the way after it).
    var ways = this._ways(e.ordinal, this.progress - 3, this.progress + 6, e);
    var limit = this.biasKnown ? 55 : 70, self = this;
    var across = !back && !this.ride && ways.length > 0 &&
      ways.every(function (w) { return Math.abs(angleDiff(heading - self.bias, w)) > limit; });
    this.acrossSteps = across ? this.acrossSteps + 1 : 0;
    e.off = this.offSteps >= 2 || (this.acrossSteps >= ACROSS_STEPS && e.routeDist > 1.5);
    e.wrongWay = this.wrongSteps >= 6;
    // Arrived at a lift or stairs of the route: wait for the ride.
    var vert = this.d.vertical[this.rideIndex];
    if (vert && vert[1] !== "elevator" && this.ordinal === this.d.path[vert[0]][0] &&
        this.progress >= this.d.path[vert[0]][3] - 1.5) this._board(vert, false);
  };

  // The directions of the route's segments on *ordinal* between two distances along it.
  // With *at* (a place): not the ways the walker has gone on past the end of, where the route
  // turns (a missed turn: the corridor goes on straight, the route does not).
  Follower.prototype._ways = function (ordinal, from, to, at) {
    var path = this.d.path, out = [];
    for (var i = 0; i + 1 < path.length; i++) {
      var A = path[i], B = path[i + 1];
      if (A[0] !== ordinal || B[0] !== ordinal || B[3] < from || A[3] > to || B[3] - A[3] < 0.3) continue;
      var dir = bearing(A[1], A[2], B[1], B[2]);
      if (at) {
        var len = B[3] - A[3], t = ((at.x - A[1]) * (B[1] - A[1]) + (at.y - A[2]) * (B[2] - A[2])) / len;
        var C = path[i + 2];
        if (t > len + PAST_M && C && C[0] === ordinal && Math.abs(angleDiff(bearing(B[1], B[2], C[1], C[2]), dir)) > 30) continue;
      }
      out.push(dir);
    }
    return out;
  };

  Follower.prototype._rideStep = function (t) {
    var r = this.ride;
    r.steps++;
    // Stairs: steps on the spot; a lift: a stop of some seconds, then walking out.
    if ((r.kind !== "elevator" && r.steps >= STAIR_STEPS * r.levels) || (r.kind === "elevator" && r.moved)) {
      this.arrive(this.d.path[r.j][0]);
      return this.estimate;
    }
    this._estimateRide();
    return this.estimate;
  };

  // On the route's next lift or stairs: the page shows that step and waits for the ride.
  Follower.prototype._board = function (vert, moved) {
    this.ride = { i: vert[0], j: vert[3], kind: vert[1], levels: vert[2], steps: 0, moved: moved };
    this.progress = this.d.path[vert[0]][3];
    this._estimateRide();
  };

  // No step for a while: near the route's lift, the walker is waiting for it or in it.
  Follower.prototype.still = function (t) {
    if (this.lastStepT === null || t - this.lastStepT < 6) return;
    if (this.ride) { this.ride.moved = true; return; }
    var vert = this.d.vertical[this.rideIndex];
    if (vert && vert[1] === "elevator" && this.ordinal === this.d.path[vert[0]][0] &&
        this.progress >= this.d.path[vert[0]][3] - 10) {
      this._calibrate(this.d.path[vert[0]][3], this.footSteps);  // waiting at the lift's door
      this._board(vert, true);
    }
  };

  // The walker says (or the ride shows) they are on *ordinal*: out of the lift or stairs.
  Follower.prototype.arrive = function (ordinal) {
    var vert = this.d.vertical[this.rideIndex];
    if (!vert) return;
    var out = this.d.path[vert[3]];
    if (ordinal !== undefined && ordinal !== out[0]) return;
    this.rideIndex++;
    this.ride = null;
    this.ordinal = out[0];
    var rand = this.rand, k = this._kDraw();
    this.p.forEach(function (q) {  // out of the cabin or off the stairs; compass bias kept
      q.o = out[0]; q.x = out[1] + gauss(rand) * 1.0; q.y = out[2] + gauss(rand) * 1.0; q.w = 1 / this.n;
      q.k = k(q.k);
    }, this);
    this.progress = out[3];
    this.anchor = out[3];
    this._newLeg(out[3]);
    this.turns = [];
    this._estimate();
  };

  Follower.prototype._estimateRide = function () {
    var r = this.ride;
    if (!r) return;
    var at = this.d.path[r.i];
    this.estimate = {
      ordinal: at[0], x: at[1], y: at[2], spread: 2, progress: this.progress, routeDist: 0, routeDir: null,
      step: this.currentStep(), toNext: 0, off: false, wrongWay: false, riding: true,
    };
  };

  // The visitor moved the step themselves (a button): they know where they are; start from there.
  Follower.prototype.jumpTo = function (stepIndex) {
    var along = this.d.steps[stepIndex], floor = this.d.step_floors[stepIndex], path = this.d.path;
    var at = null;
    for (var i = 0; i + 1 < path.length && at === null; i++) {
      var A = path[i], B = path[i + 1];
      if (A[0] !== floor || B[0] !== floor || B[3] < along || A[3] > along) continue;
      var f = B[3] > A[3] ? (along - A[3]) / (B[3] - A[3]) : 0;
      at = [A[1] + (B[1] - A[1]) * f, A[2] + (B[2] - A[2]) * f];
    }
    if (at === null) {
      for (var j = 0; j < path.length; j++) if (path[j][0] === floor && path[j][3] >= along) { at = [path[j][1], path[j][2]]; break; }
    }
    if (at === null) return;
    var rand = this.rand, n = this.n;
    this.p.forEach(function (q) {
      q.o = floor; q.x = at[0] + gauss(rand) * 1.5; q.y = at[1] + gauss(rand) * 1.5; q.w = 1 / n;
    });
    this.ordinal = floor;
    this.progress = this.anchor = along;
    this._newLeg(along);
    this.ride = null;
    this.turns = [];
    this.rideIndex = 0;
    while (this.rideIndex < this.d.vertical.length) {
      var v = this.d.vertical[this.rideIndex];
      if (path[v[0]][3] > along || (path[v[0]][3] === along && path[v[0]][0] === floor)) break;
      this.rideIndex++;
    }
    this._estimate();
  };

  // The step the walker is on (0-based): the last one begun, on this floor.
  Follower.prototype.currentStep = function () {
    var s = this.d.steps, f = this.d.step_floors, cur = 0;
    for (var i = 0; i < s.length; i++) {
      var reached = i === s.length - 1 ? this.progress >= s[i] - 1 : s[i] <= this.progress + 0.5;
      if (reached && f[i] === this.ordinal) cur = i;
    }
    return cur;
  };

  // Metres to the start of the next step (null at the last).
  Follower.prototype.toNextStep = function () {
    var n = this.currentStep() + 1;
    return n < this.d.steps.length ? Math.max(0, this.d.steps[n] - this.progress) : null;
  };

  return { StepDetector: StepDetector, Follower: Follower, angleDiff: angleDiff, bearing: bearing };
});
