/* Backprop Practice: which numbers set (variant) of a problem note a showing of its card deals.
   Card JavaScript only, run at the card's end, before card.js. A note holds N variants: variant 1 in its
   fields (what a card shows where scripts can't run), variants 2..N in an inert <template>. The card's root
   (.problem) says data-side, data-slot, data-exercise (variant 1's id) and data-variants (N); this script sets
   data-variant (1..N) and fills every [data-field] element with that variant's, and the typed answers'
   grading data with its, so the verdicts judge the numbers shown.
   - The front deals. Where localStorage lasts between reviews, a card shows every variant once before any
     comes back, and never the same one twice running. The choice starts from the time's choice (below) and
     moves round to the next variant this round has not shown, so where storage is wiped the time's choice
     is all there is.
   - The time's choice: buckets of a little under a minute, counted round the N variants, a day being
     N * (q + 0.382) buckets (q whole). Showings 1 to N - 2 minutes apart always differ, and a whole number
     of days moves the count by a golden-ratio turn, so the same time on most following days differs too.
   - The back shows the front's variant: carried in sessionStorage (AnkiDroid reloads the page between the
     sides), on the window (Anki desktop and AnkiWeb keep the page), else the last one dealt in localStorage,
     else the time's choice again.
   Plain ES5; never write two braces in a row in this file (Anki would read them as a field). */
(function () {
  "use strict";
  var KEY = "backprop-practice/variant/";
  var TURN = 0.3819660112501051; /* (3 - sqrt 5) / 2: a day's turn of the count, in variants per N */

  var root = document.querySelector(".problem[data-variants]");
  if (!root) return;
  var n = parseInt(root.getAttribute("data-variants"), 10);
  var box = document.querySelector("template.bp-variants");
  if (!(n > 1) || !box) return;
  var key = KEY + root.getAttribute("data-exercise") + "/" + root.getAttribute("data-slot");

  function storage(name) {
    try {
      var s = window[name];
      var probe = KEY + "probe";
      s.setItem(probe, "1");
      s.removeItem(probe);
      return s;
    } catch (e) {
      return null;
    }
  }
  function kept() {
    if (!window.backpropPracticeVariant) window.backpropPracticeVariant = {};
    return window.backpropPracticeVariant;
  }
  function spread(text) { /* a card's own offset, so the cards of a session don't all show one numbers set */
    var h = 0;
    for (var i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) % 1000003;
    return h;
  }
  function valid(k) {
    return typeof k === "number" && k >= 1 && k <= n && Math.floor(k) === k;
  }

  function byTime(now) {
    var perDay = n * Math.ceil(1440 / n - TURN) + TURN * n;
    var bucket = Math.floor((now / 60000) * perDay / 1440);
    return ((bucket + spread(key)) % n) + 1;
  }

  function deal() {
    var k = byTime(new Date().getTime());
    var local = storage("localStorage");
    if (!local) return k;
    var state = null;
    try {
      state = JSON.parse(local.getItem(key));
    } catch (e) {
      state = null;
    }
    var shown = [];
    var last = 0;
    if (state && state.n === n && state.shown instanceof Array) {
      for (var i = 0; i < state.shown.length; i++) {
        if (valid(state.shown[i]) && shown.indexOf(state.shown[i]) < 0) shown.push(state.shown[i]);
      }
      if (valid(state.last)) last = state.last;
    }
    if (shown.length >= n) shown = []; /* every variant shown: a new round */
    for (var j = 0; j < n; j++) {
      var c = ((k - 1 + j) % n) + 1;
      if (c !== last && shown.indexOf(c) < 0) {
        k = c;
        break;
      }
    }
    shown.push(k);
    try {
      local.setItem(key, JSON.stringify({ n: n, shown: shown, last: k }));
    } catch (e) { /* full or refused: this showing still counts */ }
    return k;
  }

  function carry(k) {
    kept()[key] = k;
    var s = storage("sessionStorage");
    if (s) {
      try {
        s.setItem(key, String(k));
      } catch (e) { /* the window copy stays */ }
    }
  }

  function carried() {
    var s = storage("sessionStorage");
    var k = s ? parseInt(s.getItem(key), 10) : NaN;
    if (!valid(k)) k = kept()[key];
    if (!valid(k)) {
      var local = storage("localStorage");
      try {
        k = JSON.parse(local.getItem(key)).last;
      } catch (e) {
        k = null;
      }
    }
    return valid(k) ? k : byTime(new Date().getTime());
  }

  /* Fill the card with variant k; false (the card left as variant 1) when its data can't be read. */
  function fill(k) {
    if (k === 1) return true;
    var holder = box.content || box;
    var from = holder.querySelector('.bp-variant[data-variant="' + k + '"]');
    var gradings;
    try {
      gradings = JSON.parse(document.querySelector("script.bp-variant-grading").textContent);
    } catch (e) {
      return false;
    }
    if (!from || !(gradings instanceof Array) || !gradings[k - 2]) return false;
    var parts = {};
    for (var i = 0; i < from.childNodes.length; i++) {
      var part = from.childNodes[i];
      if (part.nodeType === 1 && part.getAttribute("data-field")) parts[part.getAttribute("data-field")] = part;
    }
    var targets = root.querySelectorAll("[data-field]");
    for (var j = 0; j < targets.length; j++) {
      var own = parts[targets[j].getAttribute("data-field")];
      if (own) targets[j].innerHTML = own.innerHTML;
    }
    var grading = document.querySelector("script.bp-grading");
    if (grading) grading.textContent = JSON.stringify(gradings[k - 2]);
    return true;
  }

  var back = root.getAttribute("data-side") === "back" || document.querySelector('.problem[data-side="back"]');
  var k = back ? carried() : deal();
  if (!fill(k)) k = 1;
  if (!back) carry(k);
  root.setAttribute("data-variant", String(k));
  var marks = document.querySelectorAll(".bp-variant-number");
  for (var m = 0; m < marks.length; m++) marks[m].textContent = String(k);
})();
