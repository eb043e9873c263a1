// Keeps the companion page and the waiting-room board current: the server sends the live part
// of the page, already rendered, through Server-Sent Events; the browser reconnects by itself.
// Without this script the pages are still right on a refresh.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  var words = JSON.parse(document.getElementById("companion-words").textContent);
  var announce = document.getElementById("announce");
  var guide = document.getElementById("guide");

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, k) { return values[k]; });
  }
  // "25 min", "1 h 05": the waiting time moves on between two updates.
  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll(".js-for[data-since]"), function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (isNaN(since)) return;
      var m = Math.max(0, Math.floor((Date.now() - since) / 60000));
      el.textContent = m < 60 ? fmt(words.min, { m: m })
        : fmt(words.h, { h: Math.floor(m / 60), m: ("0" + (m % 60)).slice(-2) });
    });
  }
  setInterval(tick, 30000);

  // The board: as many patients as the screen holds, the pages turning by themselves (a unit
  // with thirty patients a day shows them all within a turn of the pages).
  var PAGE_S = 8, page = 0;
  function paginate() {
    var rows = live.querySelectorAll(".board-table tbody tr"), label = document.getElementById("board-page");
    if (!rows.length || !label) return;
    Array.prototype.forEach.call(rows, function (r) { r.hidden = false; });
    var foot = document.querySelector(".board-foot");
    var bottom = window.innerHeight - (foot ? foot.getBoundingClientRect().height + 16 : 16);
    var top = rows[0].getBoundingClientRect().top, height = rows[0].getBoundingClientRect().height || 1;
    var per = Math.max(1, Math.floor((bottom - top) / height));
    var pages = Math.ceil(rows.length / per);
    page = page % pages;
    Array.prototype.forEach.call(rows, function (r, i) { r.hidden = Math.floor(i / per) !== page; });
    label.textContent = pages > 1 ? fmt(words.page, { p: page + 1, n: pages }) : "";
  }
  if (document.body.classList.contains("board")) {
    setInterval(function () { page++; paginate(); }, PAGE_S * 1000);
    window.addEventListener("resize", paginate);
  }

  function show(html) {
    var before = document.getElementById("stage-now");
    before = before ? before.textContent : null;
    live.innerHTML = html;
    var now = document.getElementById("stage-now");
    if (announce && now && now.textContent !== before) announce.textContent = now.textContent;
    var ready = document.getElementById("ready-box");
    if (guide) guide.hidden = !ready || ready.hidden;
    tick();
    paginate();
  }
  paginate();

  var source = new EventSource(live.getAttribute("data-events"));
  function onData(ev) { show(JSON.parse(ev.data).html); }
  source.addEventListener("status", onData);
  source.addEventListener("rows", onData);
  source.addEventListener("ended", function (ev) {
    onData(ev);
    source.close();
    if (guide) guide.hidden = true;
  });
  source.addEventListener("error", function () {
    // CONNECTING: the browser is already trying again. CLOSED: the server said no (too many
    // requests, link ended): say that updates are paused and load the page again later.
    if (source.readyState === EventSource.CLOSED) {
      var note = document.getElementById("live-note");
      if (note) note.textContent = words.paused;
      setTimeout(function () { window.location.reload(); }, 30000);
    }
  });
})();
