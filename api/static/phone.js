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
    input.addEventListener("input", function () {
      if (idField) idField.value = "";
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { list.innerHTML = ""; return; }
      timer = setTimeout(function () {
        var mine = ++asked;
        fetch("/api/v1/places?limit=6&lang=" + encodeURIComponent(words.lang) + "&q=" + encodeURIComponent(q))
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
              where.textContent = " — " + p.level + (p.building ? ", " + p.building : "");
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

  // Options on the route page apply at once.
  Array.prototype.forEach.call(document.querySelectorAll("form.options input[type=checkbox]"), function (box) {
    box.addEventListener("change", function () { box.form.submit(); });
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
    var src = data.maps[String(step.ordinal)];
    if (map.getAttribute("src") !== src) map.setAttribute("src", src);
    var alt = data.words.map_alt.replace("{level}", level);
    map.setAttribute("alt", alt);
    caption.textContent = alt;
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
        navigator.sendBeacon("/arrival", body);
      }
    }
    Array.prototype.forEach.call(document.querySelectorAll("#steps li"), function (li, i) {
      var on = i + 1 === current;
      li.classList.toggle("is-current", on);
      if (on) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    });
    history.replaceState(null, "", hrefFor(current));
    // The language links keep the step the visitor is at.
    Array.prototype.forEach.call(document.querySelectorAll("a.lang"), function (a) {
      var url = new URL(a.href);
      url.searchParams.set("step", String(current));
      a.href = url.pathname + url.search;
    });
    if (focus) heading.focus();
  }
  heading.setAttribute("tabindex", "-1");

  prev.addEventListener("click", function (e) { e.preventDefault(); show(current - 1, true); });
  next.addEventListener("click", function (e) { e.preventDefault(); show(current + 1, true); });
  Array.prototype.forEach.call(document.querySelectorAll("#steps a[data-step]"), function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      show(parseInt(a.getAttribute("data-step"), 10), true);
      window.scrollTo({ top: 0, behavior: "smooth" });
    });
  });

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
