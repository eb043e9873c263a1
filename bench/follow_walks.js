// Replays simulated phone walks through the phone page's own follower (api/static/follow.js),
// as the page does: a step detector on the acceleration, the heading from alpha, cues when
// the next step is near. Reads a JSON file of walks, writes what the page would show.
// Also the simple alternative: steps counted times a fixed length, no map matching.
"use strict";
const fs = require("fs");
const path = require("path");
const { StepDetector, Follower } = require(path.join(__dirname, "..", "api", "static", "follow.js"));

const CUE_M = 5;        // the page's cue distance (phone.js)
const BASE_STEP_M = 0.7;
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = [];
for (const w of input.walks) {
  const f = new Follower(w.data, { seed: w.seed || 1 });
  const det = new StepDetector();
  f.start();
  const hist = [];
  const shown = [], cues = [];
  let cued = -1, steps = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < w.samples.length; i++) {
    const [t, ax, ay, az, _compass, alpha] = w.samples[i];
    const heading = (360 - alpha) % 360;
    hist.push([t, heading]);
    while (hist.length && hist[0][0] < t - 0.4) hist.shift();
    let e = f.estimate;
    if (det.push(t, ax, ay, az)) {
      // The heading over the last 0.4 s (a circular mean: sway averages out).
      let sx = 0, sy = 0;
      for (const [, h] of hist) { sx += Math.sin(h * Math.PI / 180); sy += Math.cos(h * Math.PI / 180); }
      e = f.step(t, (Math.atan2(sx, sy) * 180 / Math.PI + 360) % 360);
      steps++;
    } else f.still(t);
    e = f.estimate;
    const n = e.step;
    if (e.toNext !== null && e.toNext <= CUE_M && cued < n + 1 && !e.riding) {
      cued = n + 1;
      cues.push([i, n + 1]);
    }
    if (i % 5 === 0) {
      const baseAlong = steps * BASE_STEP_M;
      let base = 0;
      for (let k = 0; k < w.data.steps.length; k++) if (w.data.steps[k] <= baseAlong) base = k;
      shown.push([i, n, Math.round(e.progress * 10) / 10, e.off || e.wrongWay ? 1 : 0,
        Math.round(e.x * 10) / 10, Math.round(e.y * 10) / 10, e.ordinal, base, e.riding ? 1 : 0]);
    }
  }
  out.push({ shown, cues, steps, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
}
fs.writeFileSync(process.argv[3], JSON.stringify(out));
