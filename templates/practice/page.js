/* Backprop Practice: the practice page. Deals the problems one at a time; Check gives each box its verdict
   (verdict.js, the same function as the cards), then shows the answer picture and the worked steps; Next
   moves on. Enter in a box checks, then moves on. Right-first-time progress per kind and per op is kept in
   localStorage (in memory where the browser refuses it). Needs verdict.js first. */
(function () {
  "use strict";
  var STORE = "backprop-practice/progress/1";
  var WORDS = {
    none: "Nothing checked yet. Answers right at the first Check count here, kept in this browser.",
    total: function (right, tried) {
      return "Right first time: " + right + " of " + tried + " problem" + (tried === 1 ? "" : "s") + " checked.";
    },
    page: function (done, all) {
      return " On this page: " + done + " of " + all + " done.";
    },
    allDone: " Every problem on this page is done; Next starts again from the first.",
    last: "Start again",
    next: "Next problem"
  };
  /* How each op reads in the summary (the op:: tags of the deck). */
  var OPS = {
    add: "+ (add)", sub: "\u2212 (subtract)", mul: "\u00d7 (multiply)", div: "/ (divide)", pow: "x\u1d4f (power)",
    neg: "\u2212x (negate)", tanh: "tanh", exp: "exp", relu: "relu", log: "log", sigmoid: "\u03c3 (sigmoid)"
  };

  var V = window.BackpropVerdict;
  var data = JSON.parse(document.getElementById("bp-data").textContent);
  var problems = data.problems;
  var sections = document.querySelectorAll("section.problem");
  var controls = document.getElementById("controls");
  var checkButton = controls.querySelector('[data-action="check"]');
  var nextButton = controls.querySelector('[data-action="next"]');
  var current = 0;
  var checked = false;

  /* Night mode for the shared verdict styles (card.css keys them on .nightMode, as Anki does). */
  if (window.matchMedia) {
    var dark = window.matchMedia("(prefers-color-scheme: dark)");
    var setDark = function () {
      document.body.classList.toggle("nightMode", dark.matches);
    };
    setDark();
    if (dark.addEventListener) dark.addEventListener("change", setDark);
  }

  /* ------------------------------------------------------------ progress */
  var memory = null;
  function readProgress() {
    try {
      var text = window.localStorage.getItem(STORE);
      var doc = text ? JSON.parse(text) : null;
      if (doc && doc.problems) return doc;
    } catch (e) {
      if (memory) return memory;
    }
    return memory || { problems: {} };
  }
  function writeProgress(doc) {
    memory = doc;
    try {
      window.localStorage.setItem(STORE, JSON.stringify(doc));
    } catch (e) { /* refused or full: kept in memory for this visit */ }
  }
  function record(problem, right) {
    var doc = readProgress();
    if (!doc.problems[problem.id]) {
      doc.problems[problem.id] = { kind: problem.kind, ops: problem.ops, right: right };
      writeProgress(doc);
    }
  }

  function tally(doc) {
    var kinds = {}, ops = {}, right = 0, tried = 0;
    function add(table, name, ok) {
      if (!table[name]) table[name] = { right: 0, tried: 0 };
      table[name].tried += 1;
      if (ok) table[name].right += 1;
    }
    Object.keys(doc.problems).forEach(function (id) {
      var p = doc.problems[id];
      tried += 1;
      if (p.right) right += 1;
      add(kinds, p.kind, p.right);
      (p.ops || []).forEach(function (op) {
        add(ops, op, p.right);
      });
    });
    return { kinds: kinds, ops: ops, right: right, tried: tried };
  }

  function fillTable(table, counts, label) {
    var body = table.querySelector("tbody");
    body.textContent = "";
    Object.keys(counts).sort(function (a, b) {
      var ra = counts[a].right / counts[a].tried, rb = counts[b].right / counts[b].tried;
      return ra - rb || (a < b ? -1 : a > b ? 1 : 0);
    }).forEach(function (name) {
      var c = counts[name];
      var row = document.createElement("tr");
      row.setAttribute("data-name", name);
      row.setAttribute("data-right", String(c.right));
      row.setAttribute("data-tried", String(c.tried));
      if (c.tried >= 2 && c.right / c.tried < 0.7) row.className = "weak";
      var a = document.createElement("td");
      a.textContent = label(name);
      var b = document.createElement("td");
      b.textContent = c.right + " of " + c.tried;
      row.appendChild(a);
      row.appendChild(b);
      body.appendChild(row);
    });
  }

  function pageDone(doc) {
    var done = 0;
    problems.forEach(function (p) {
      if (doc.problems[p.id]) done += 1;
    });
    return done;
  }

  function showSummary() {
    var doc = readProgress();
    var t = tally(doc);
    var line = document.querySelector('[data-summary="total"]');
    var done = pageDone(doc);
    line.setAttribute("data-right", String(t.right));
    line.setAttribute("data-tried", String(t.tried));
    line.textContent = t.tried
      ? WORDS.total(t.right, t.tried) + WORDS.page(done, problems.length) + (done === problems.length ? WORDS.allDone : "")
      : WORDS.none;
    fillTable(document.querySelector('[data-summary="kind"]'), t.kinds, function (n) {
      return n;
    });
    fillTable(document.querySelector('[data-summary="op"]'), t.ops, function (n) {
      return OPS[n] || n;
    });
  }

  /* ------------------------------------------------------------ one problem at a time */
  function boxes(section) {
    return section.querySelectorAll("input.bp-box");
  }

  function show(index, byKeyboard) {
    sections[current].classList.remove("current");
    current = index;
    var section = sections[current];
    section.classList.add("current");
    section.classList.remove("checked");
    section.querySelector(".controls-slot").appendChild(controls);
    checked = false;
    checkButton.hidden = false;
    nextButton.hidden = true;
    nextButton.textContent = current + 1 < sections.length ? WORDS.next : WORDS.last;
    Array.prototype.forEach.call(boxes(section), function (box) {
      box.readOnly = false;
      box.value = "";
    });
    Array.prototype.forEach.call(section.querySelectorAll(".mark"), function (m) {
      m.textContent = "";
      m.className = "mark";
    });
    Array.prototype.forEach.call(section.querySelectorAll("[data-verdict-for]"), function (v) {
      v.textContent = "";
      v.removeAttribute("data-verdict");
      v.className = "verdict-slot";
    });
    window.scrollTo(0, 0);
    if (byKeyboard) boxes(section)[0].focus({ preventScroll: true });
  }

  function check() {
    if (checked) return;
    var section = sections[current];
    var problem = problems[current];
    var list = boxes(section);
    var hosts = [], marks = [], results = [];
    for (var i = 0; i < list.length; i++) {
      hosts.push(section.querySelector('[data-verdict-for="' + list[i].getAttribute("data-answer").replace(/"/g, '\\"') + '"]'));
      marks.push(list[i].parentNode.querySelector(".mark"));
    }
    for (var j = 0; j < list.length; j++) { /* an empty box or not a number: say how to type one, and wait */
      var typed = V.parse(list[j].value);
      if (typed === undefined || typed === null) {
        hosts.forEach(function (h) {
          h.textContent = "";
          h.removeAttribute("data-verdict");
        });
        marks.forEach(function (m) {
          m.textContent = "";
          m.className = "mark";
        });
        V.render(hosts[j], problem.answers[j], list[j].value);
        marks[j].textContent = "?";
        marks[j].className = "mark off";
        list[j].focus({ preventScroll: true });
        return;
      }
    }
    for (var k = 0; k < list.length; k++) {
      results.push({ v: V.render(hosts[k], problem.answers[k], list[k].value), mark: marks[k] });
    }
    results.forEach(function (r) {
      r.mark.textContent = r.v.kind === "right" ? "\u2713" : "\u2717";
      r.mark.className = "mark " + (r.v.kind === "right" ? "right" : "off");
    });
    Array.prototype.forEach.call(list, function (box) {
      box.readOnly = true;
    });
    checked = true;
    section.classList.add("checked");
    record(problem, results.every(function (r) {
      return r.v.kind === "right";
    }));
    showSummary();
    checkButton.hidden = true;
    nextButton.hidden = false;
    nextButton.focus({ preventScroll: true });
  }

  function next(byKeyboard) {
    show((current + 1) % sections.length, byKeyboard);
  }

  checkButton.addEventListener("click", function () {
    check();
  });
  nextButton.addEventListener("click", function (event) {
    next(event.detail === 0);
  });
  document.querySelector('[data-action="reset"]').addEventListener("click", function () {
    memory = { problems: {} };
    writeProgress(memory);
    showSummary();
  });
  Array.prototype.forEach.call(sections, function (section) {
    Array.prototype.forEach.call(boxes(section), function (box) {
      box.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") return;
        event.preventDefault();
        if (checked) next(true);
        else check();
      });
      var sign = box.parentNode.querySelector(".bp-sign");
      sign.addEventListener("click", function () {
        if (box.readOnly) return;
        var t = box.value.trim();
        box.value = /^[\u2212\-]/.test(t) ? t.replace(/^[\u2212\-]\s*/, "") : "\u2212" + t.replace(/^\+\s*/, "");
      });
    });
  });

<% if variants > 1 %>
<% include "page_variants.js" %>

<% endif %>
  /* Start at the first problem of this page not yet checked in this browser. */
  var doc = readProgress();
  var start = 0;
  while (start < problems.length && doc.problems[problems[start].id]) start += 1;
  if (start >= problems.length) start = 0;
  sections[0].classList.add("current");
  show(start, false);
  showSummary();
})();
