// The phone page's little script: suggestions while typing, next/previous without reloading,
// audio in the page, the larger-text switch. Everything works without it, only less smoothly.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  // Larger text, remembered on this phone only.
  var big = document.getElementById("big-toggle");
  if (big) {
    big.setAttribute("aria-pressed", root.classList.contains("big") ? "true" : "false");
    big.addEventListener("click", function () {
      var on = root.classList.toggle("big");
      big.setAttribute("aria-pressed", on ? "true" : "false");
      try { localStorage.setItem("wf-big", on ? "1" : "0"); } catch (e) { /* private mode */ }
    });
  }

  // Suggestions as one types: real buttons under the field.
  var words = document.getElementById("page-words");
  words = words ? JSON.parse(words.textContent) : null;
  var status = document.getElementById("suggest-status");
  Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), function (input) {
    var list = document.getElementById(input.getAttribute("data-suggest"));
    var idField = input.form.querySelector("input[name='" + input.getAttribute("data-id-field") + "']");
    var timer = null, asked = 0;
    var close = function () { asked++; list.innerHTML = ""; if (status) status.textContent = ""; };
    // Leaving the field (for the next one, or anywhere but its own suggestions) closes them.
    input.addEventListener("focusout", function (ev) {
      if (!ev.relatedTarget || !list.contains(ev.relatedTarget)) close();
    });
    list.addEventListener("focusout", function (ev) {
      if (ev.relatedTarget !== input && (!ev.relatedTarget || !list.contains(ev.relatedTarget))) close();
    });
    input.addEventListener("input", function () {
      if (idField) idField.value = "";
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      // Where the visitor starts (this page's place, a chosen suggestion or the typed text):
      // "toilettes" lists the nearest toilets first, as the route will choose them.
      var form = input.form, near = "";
      if (input.name === "to" && form) {
        var f = form.querySelector("input[name='from_id']"), t = form.querySelector("input[name='from']");
        near = (f && f.value) || (t && t.value.trim()) || "";
      }
      var stepFree = form && form.querySelector("input[name='profile'][value='step_free']");
      timer = setTimeout(function () {
        var mine = ++asked;
        var url = "/api/v1/places?limit=6&lang=" + encodeURIComponent(words.lang) + "&q=" + encodeURIComponent(q);
        if (words.site) url += "&site=" + encodeURIComponent(words.site);
        if (near) url += "&near=" + encodeURIComponent(near) + (stepFree && stepFree.checked ? "&profile=step_free" : "");
        fetch(url)
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (places) {
            if (mine !== asked) return;
            list.innerHTML = "";
            places.forEach(function (p) {
              var li = document.createElement("li");
              var b = document.createElement("button");
              b.type = "button";
              b.textContent = p.name;
              var where = document.createElement("span");
              where.className = "where";
              where.textContent = " — " + p.level + (p.building ? ", " + p.building : "") +
                (p.distance_m !== null && p.distance_m !== undefined ? " · " + words.metres.replace("{m}", p.distance_m) : "");
              b.appendChild(where);
              b.addEventListener("click", function () {
                input.value = p.name;
                if (idField) idField.value = p.id;
                list.innerHTML = "";
                if (status) status.textContent = "";
                input.focus();
              });
              li.appendChild(b);
              list.appendChild(li);
            });
            if (status) status.textContent = words.count.replace("{n}", places.length);
          })
          .catch(function () { /* suggestions are a help, not a need */ });
      }, 150);
    });
  });

  // "You are here" signs: the camera reads a sign's QR code in the page (jsQR, loaded only
  // when asked: Chromium on Linux and most phones' browsers have no BarcodeDetector), then the
  // sign form goes as if its code had been typed. Frames never leave the phone.
  var scanButton = document.getElementById("scan-button");
  if (scanButton) {
    var scanner = document.getElementById("scanner");
    var video = document.getElementById("scan-video");
    var scanStatus = document.getElementById("scan-status");
    var signForm = document.getElementById("sign-form");
    var stream = null, canvas = null, timer = null;
    var say = function (text) { scanStatus.textContent = text; };
    var stopScan = function () {
      clearTimeout(timer);
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.srcObject = null;
      scanner.hidden = true;
      scanButton.hidden = false;
    };
    var noCamera = function () {
      stopScan();
      say(scanner.getAttribute("data-no-camera"));
      signForm.elements.at.focus();
    };
    var found = function (text) {
      var code = null;
      try { code = new URL(text, window.location.href).searchParams.get("at"); } catch (e) { code = null; }
      if (!code) { say(scanner.getAttribute("data-not-sign")); return false; }
      stopScan();
      signForm.elements.at.value = code;
      signForm.submit();
      return true;
    };
    var look = function () {
      if (!stream) return;
      if (video.readyState >= 2 && video.videoWidth) {
        var scale = Math.min(1, 640 / video.videoWidth);
        var w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
        canvas = canvas || document.createElement("canvas");
        canvas.width = w; canvas.height = h;
        var ctx = canvas.getContext("2d", { willReadFrequently: true });
        ctx.drawImage(video, 0, 0, w, h);
        var qr = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
        if (qr && qr.data && found(qr.data)) return;
      }
      timer = setTimeout(look, 120);
    };
    var withDecoder = function (then) {
      if (window.jsQR) { then(); return; }
      var tag = document.createElement("script");
      tag.src = "/static/vendor/jsQR.js";
      tag.onload = then;
      tag.onerror = noCamera;
      document.head.appendChild(tag);
    };
    scanButton.addEventListener("click", function () {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { noCamera(); return; }
      scanner.hidden = false;
      scanButton.hidden = true;
      say(scanner.getAttribute("data-looking"));
      withDecoder(function () {
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
          .then(function (s) {
            stream = s;
            video.srcObject = s;
            var playing = video.play();
            if (playing && playing.catch) playing.catch(function () { /* frames still arrive */ });
            look();
          })
          .catch(noCamera);
      });
    });
    document.getElementById("scan-stop").addEventListener("click", function () { stopScan(); say(""); });
    window.addEventListener("pagehide", stopScan);
  }

  // Options on the route page apply at once. Back to a page: its boxes say what its route is
  // (a browser that restores the last ticks would show "step-free" over a route with stairs).
  var optionBoxes = document.querySelectorAll("form.options input[type=checkbox]");
  Array.prototype.forEach.call(optionBoxes, function (box) {
    box.addEventListener("change", function () { box.form.submit(); });
  });
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(optionBoxes, function (box) { box.checked = box.defaultChecked; });
  });

  // The route page: steps, maps, audio.
  var dataEl = document.getElementById("route-data");
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var current = data.current;
  var total = data.steps.length;
  var player = document.getElementById("player");
  var audioStatus = document.getElementById("audio-status");
  var heading = document.getElementById("current-h");
  var text = document.getElementById("current-text");
  var map = document.getElementById("map");
  var caption = document.getElementById("map-caption");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var arrived = document.getElementById("arrived");
  var reportedEnd = data.current === data.steps.length;  // the server counted a last step it served
  var playStep = document.getElementById("play-step");

  function hrefFor(n) {
    var url = new URL(window.location.href);
    url.searchParams.set("step", String(n));
    return url.pathname + url.search;
  }

  function show(n, focus) {
    current = Math.max(1, Math.min(total, n));
    var step = data.steps[current - 1];
    heading.textContent = data.words.current_step.replace("{n}", current).replace("{total}", total);
    text.textContent = step.screen;
    var level = data.levels[String(step.ordinal)];
    var alt = data.words.map_alt.replace("{level}", level);
    if (stepMap) stepMap.show(current - 1);
    else {
      var src = data.maps[String(step.ordinal)];
      if (map.getAttribute("src") !== src) map.setAttribute("src", src);
      map.setAttribute("alt", alt);
    }
    caption.textContent = !stepMap ? alt : (follower ? data.words.follow_map : data.words.map_ahead_up) + " " + alt;
    playStep.setAttribute("href", step.audio);
    prev.hidden = current === 1;
    next.hidden = current === total;
    prev.setAttribute("href", hrefFor(current - 1));
    next.setAttribute("href", hrefFor(current + 1));
    arrived.hidden = current !== total;
    if (current === total && !reportedEnd && navigator.sendBeacon) {
      // Counted as a route followed to the end (no identifier sent: see api/usage.py).
      reportedEnd = true;
      var form = arrived.querySelector("form.arrival");
      if (form) {
        var body = new FormData(form);
        body.set("answer", "end");
        navigator.sendBeacon(form.getAttribute("action"), body);
      }
    }
    Array.prototype.forEach.call(document.querySelectorAll("#steps li"), function (li, i) {
      var on = i + 1 === current;
      li.classList.toggle("is-current", on);
      if (on) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    });
    history.replaceState(null, "", hrefFor(current));
    var wasStep = document.getElementById("was-step");
    if (wasStep) wasStep.value = String(current);  // an option changed: carry on from this step
    // The language links keep the step the visitor is at.
    Array.prototype.forEach.call(document.querySelectorAll("a.lang"), function (a) {
      var url = new URL(a.href);
      url.searchParams.set("step", String(current));
      a.href = url.pathname + url.search;
    });
    if (focus) heading.focus();
  }
  heading.setAttribute("tabindex", "-1");

  // The step map (stepmap.js on Leaflet, both vendored): the current step zoomed, pan and
  // pinch. Loaded after the page is usable; until then, and without JavaScript, the floor's SVG.
  var stepMap = null;
  var loadScript = function (src, then, failed) {
    var tag = document.createElement("script");
    tag.src = src;
    tag.onload = then;
    tag.onerror = failed || function () { /* the SVG stays */ };
    document.head.appendChild(tag);
  };
  if (data.map && window.fetch) {
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "/static/vendor/leaflet.css";
    document.head.appendChild(css);
    var mapData = fetch(data.map).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
    loadScript("/static/vendor/leaflet.js", function () {
      loadScript("/static/stepmap.js", function () {
        mapData.then(function (md) {
          var box = document.createElement("div");
          box.id = "step-map";
          box.className = "step-map";
          box.setAttribute("role", "group");
          box.setAttribute("aria-label", caption.textContent);
          map.parentNode.insertBefore(box, map);
          map.hidden = true;
          stepMap = new window.WFStepMap(box, md, data.words);
          show(current, false);
        }).catch(function () { /* the SVG stays */ });
      });
    });
  }

  var byHand = function (n) {
    show(n, true);
    if (follower) follower.jumpTo(current - 1);  // the visitor knows best: follow on from there
  };
  prev.addEventListener("click", function (e) { e.preventDefault(); byHand(current - 1); });
  next.addEventListener("click", function (e) { e.preventDefault(); byHand(current + 1); });
  Array.prototype.forEach.call(document.querySelectorAll("#steps a[data-step]"), function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      byHand(parseInt(a.getAttribute("data-step"), 10));
      window.scrollTo({ top: 0, behavior: "smooth" });
    });
  });

  // Following the walker with the phone's own sensors (api/static/follow.js, loaded when the
  // visitor presses the button: phones allow sensors and sound only after a tap). The readings
  // stay in this page; nothing is sent. The buttons still work: a tap re-anchors the follower.
  var followStart = document.getElementById("follow-start");
  var follower = null;
  if (followStart) {
    var W = data.words;
    var fOn = document.getElementById("follow-on");
    var fStatus = document.getElementById("follow-status");
    var fOff = document.getElementById("follow-off");
    var fOffText = document.getElementById("follow-off-text");
    var fReroute = document.getElementById("follow-reroute");
    var fRide = document.getElementById("follow-ride");
    var fRideText = document.getElementById("follow-ride-text");
    var fLevel = document.getElementById("follow-level");
    var fHint = document.getElementById("follow-hint");
    var detector = null, headings = [], cued = {}, keepUntil = 0, confident = 0, gotMotion = false;
    var stillTimer = null;
    var query = new URL(window.location.href).searchParams;

    var compass = function () {  // the last 0.4 s of headings, a circular mean (sway cancels)
      if (!headings.length) return null;
      var sx = 0, sy = 0;
      headings.forEach(function (h) { sx += Math.sin(h[1] * Math.PI / 180); sy += Math.cos(h[1] * Math.PI / 180); });
      return (Math.atan2(sx, sy) * 180 / Math.PI + 360) % 360;
    };
    var onOrientation = function (e) {
      var h = typeof e.webkitCompassHeading === "number" ? e.webkitCompassHeading
        : (e.alpha === null || e.alpha === undefined) ? null : (360 - e.alpha) % 360;
      if (h === null) return;
      var t = performance.now() / 1000;
      headings.push([t, h]);
      while (headings.length && headings[0][0] < t - 0.4) headings.shift();
    };
    var onMotion = function (e) {
      var a = e.accelerationIncludingGravity;
      if (!a || a.x === null || !follower) return;
      gotMotion = true;
      var t = performance.now() / 1000;
      if (detector.push(t, a.x, a.y, a.z)) {
        var h = compass();
        if (h !== null) update(follower.step(t, h));
      }
    };
    var say = function (text, n) {
      if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
        var u = new window.SpeechSynthesisUtterance(text);
        u.lang = data.lang;
        window.speechSynthesis.cancel();
        window.speechSynthesis.speak(u);
      } else if (n) {
        player.setAttribute("src", data.steps[n - 1].audio);
        var p = player.play();
        if (p && p.catch) p.catch(function () { /* the written step is there */ });
      }
    };
    var lower = function (text) { return text.charAt(0).toLowerCase() + text.slice(1); };
    var update = function (e) {
      if (!e) return;
      if (e.step + 1 !== current) show(e.step + 1, false);
      var next = e.step + 2;  // 1-based number of the step after the current one
      if (!e.riding && e.toNext !== null && e.toNext <= 5 && next <= total && !cued[next]) {
        cued[next] = true;
        say(W.follow_cue.replace("{m}", String(Math.max(1, Math.round(e.toNext)))).replace("{next}",
          lower(data.steps[next - 1].speech)), next);
      }
      if (e.step + 1 === total && !cued.end) { cued.end = true; say(data.steps[total - 1].speech, total); }
      var off = (e.off || e.wrongWay) && Date.now() > keepUntil;
      fOff.hidden = !off;
      if (off) {
        fOffText.textContent = e.wrongWay ? W.follow_wrong_way : W.follow_off;
        var q = new URLSearchParams({ from: e.ordinal + ":" + e.x.toFixed(1) + "," + e.y.toFixed(1),
          to_id: query.get("to_id") || query.get("to") || "", lang: data.lang, profile: query.get("profile") || "default" });
        if (query.get("slow")) q.set("slow", "true");
        if (query.get("site")) q.set("site", query.get("site"));
        fReroute.setAttribute("href", "/route?" + q.toString());
      }
      fRide.hidden = !e.riding;
      if (e.riding && follower.ride) {
        var to = follower.d.path[follower.ride.j][0], name = (data.level_numbers || {})[String(to)] || String(to);
        fRideText.textContent = W.follow_ride.replace("{level}", name);
        fLevel.textContent = W.follow_on_level.replace("{level}", name);
        fLevel.setAttribute("data-ordinal", String(to));
      }
      if (e.spread < 6) confident = Date.now();
      fStatus.textContent = Date.now() - confident > 30000 ? W.follow_lost : W.follow_on;
      if (stepMap) stepMap.here(e, compass(), Date.now() - confident > 30000);
    };
    var stopFollowing = function () {
      window.removeEventListener("devicemotion", onMotion);
      window.removeEventListener("deviceorientationabsolute", onOrientation);
      window.removeEventListener("deviceorientation", onOrientation);
      clearInterval(stillTimer);
      follower = null;
      if (stepMap) stepMap.stopHere();
      fOn.hidden = true;
      followStart.hidden = false;
      fHint.hidden = false;
    };
    var begin = function () {
      var go = function (walk) {
        follower = new window.WFFollow.Follower(walk);
        detector = new window.WFFollow.StepDetector();
        follower.start();
        if (current > 1) follower.jumpTo(current - 1);
        confident = Date.now();
        window.addEventListener("devicemotion", onMotion);
        window.addEventListener("ondeviceorientationabsolute" in window ? "deviceorientationabsolute" : "deviceorientation", onOrientation);
        stillTimer = setInterval(function () {
          if (!follower) return;
          follower.still(performance.now() / 1000);
          if (follower.estimate) update(follower.estimate);
        }, 1000);
        fOn.hidden = false;
        followStart.hidden = true;
        fHint.hidden = true;  // said once, before the tap
        fStatus.textContent = W.follow_on;
        show(current, false);  // the map's caption says it now turns with the walker
        // Counted as a route followed with the sensors: nothing but that (see api/usage.py).
        var form = arrived.querySelector("form.arrival");
        if (form && navigator.sendBeacon) {
          var body = new FormData(form);
          body.set("answer", "sensors");
          navigator.sendBeacon(form.getAttribute("action"), body);
        }
        update(follower.estimate);
        setTimeout(function () { if (follower && !gotMotion) fStatus.textContent = W.follow_denied; }, 4000);
      };
      var load = function () {
        fetch(data.follow).then(function (r) { return r.json(); }).then(go)
          .catch(function () { fStatus.textContent = W.follow_denied; fOn.hidden = false; });
      };
      if (window.WFFollow) { load(); return; }
      loadScript("/static/follow.js", load);
    };
    followStart.addEventListener("click", function () {
      // iOS asks for the motion sensors' permission, and only from a tap.
      var asks = [window.DeviceMotionEvent, window.DeviceOrientationEvent].filter(function (E) {
        return E && typeof E.requestPermission === "function";
      });
      if (!asks.length) { begin(); return; }
      Promise.all(asks.map(function (E) { return E.requestPermission(); })).then(function (answers) {
        if (answers.every(function (a) { return a === "granted"; })) begin();
        else { fOn.hidden = false; fStatus.textContent = W.follow_denied; }
      }).catch(function () { fOn.hidden = false; fStatus.textContent = W.follow_denied; });
    });
    document.getElementById("follow-stop").addEventListener("click", stopFollowing);
    document.getElementById("follow-keep").addEventListener("click", function () {
      keepUntil = Date.now() + 20000;
      fOff.hidden = true;
    });
    fLevel.addEventListener("click", function () {
      if (!follower) return;
      follower.arrive(Number(fLevel.getAttribute("data-ordinal")));
      update(follower.estimate);
    });
  }

  // Audio plays only when a button is pressed (phones allow no sound otherwise).
  Array.prototype.forEach.call(document.querySelectorAll("a[data-audio]"), function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      var src = a.getAttribute("href");
      if (!player.paused && player.getAttribute("src") === src) { player.pause(); return; }
      player.setAttribute("src", src);
      audioStatus.textContent = "";
      var started = player.play();
      if (started && started.catch) {
        started.catch(function () { audioStatus.textContent = data.audio_unavailable; });
      }
    });
  });
  player.addEventListener("error", function () { audioStatus.textContent = data.audio_unavailable; });
})();
