/* Backprop Practice: number boxes on a problem card's front, verdicts on its back.
   Card JavaScript only. The front and the back are separate renders in every client, so what is typed on
   the front is kept in sessionStorage (AnkiDroid reloads the page for the back; Anki desktop and AnkiWeb
   keep it) and, where sessionStorage is missing or refused, on the window, which clients that keep one
   page between the sides carry over. Without scripts the card reads exactly as it did before: the boxes
   and verdicts are made here. Needs verdict.js first. Never write two braces in a row in this file. */
(function () {
  "use strict";
  var KEY = "backprop-practice/typed/";
  var WORDS = {
    intro: "Optional: type your answer, then flip the card to have it checked.",
    flip: "sign",
    flipTitle: "Change the sign"
  };

  var host = document.querySelector(".bp-typed");
  var source = document.querySelector("script.bp-grading");
  var V = window.BackpropVerdict;
  if (!host || !source || !V) return;
  var data;
  try {
    data = JSON.parse(source.textContent);
  } catch (e) {
    return;
  }
  if (!data || !data.answers || !data.id) return;
  var slot = host.getAttribute("data-slot");
  var answers = slot === "all" ? data.answers : data.answers.slice(Number(slot) - 1, Number(slot));
  if (!answers.length) return;
  var key = KEY + data.id + "/" + slot;

  function session() {
    try {
      var s = window.sessionStorage;
      var probe = KEY + "probe";
      s.setItem(probe, "1");
      s.removeItem(probe);
      return s;
    } catch (e) {
      return null;
    }
  }
  function kept() {
    if (!window.backpropPracticeTyped) window.backpropPracticeTyped = {};
    return window.backpropPracticeTyped;
  }
  function save(values) {
    var text = JSON.stringify(values);
    kept()[key] = text;
    var s = session();
    if (s) {
      try {
        s.setItem(key, text);
      } catch (e) { /* full: the window copy stays */ }
    }
  }
  function clear() {
    delete kept()[key];
    var s = session();
    if (s) s.removeItem(key);
  }
  function load() {
    var s = session();
    var text = (s && s.getItem(key)) || kept()[key] || null;
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  function front() {
    clear(); /* a new showing of the front: nothing typed yet */
    var values = {};
    var intro = document.createElement("p");
    intro.className = "bp-intro";
    intro.textContent = WORDS.intro;
    host.appendChild(intro);
    answers.forEach(function (answer, i) {
      var id = "bp-box-" + slot + "-" + i;
      var row = document.createElement("div");
      row.className = "bp-row";
      var label = document.createElement("label");
      label.setAttribute("for", id);
      var code = document.createElement("code");
      code.textContent = answer.name;
      label.appendChild(code);
      label.appendChild(document.createTextNode(" ="));
      var box = document.createElement("input");
      box.id = id;
      box.className = "bp-box";
      box.type = "text";
      box.setAttribute("inputmode", "decimal");
      box.setAttribute("autocomplete", "off");
      box.setAttribute("autocapitalize", "off");
      box.setAttribute("spellcheck", "false");
      box.setAttribute("enterkeyhint", i === answers.length - 1 ? "done" : "next");
      box.setAttribute("data-answer", data.id + "/" + answer.name);
      box.addEventListener("input", function () {
        values[answer.name] = box.value;
        save(values);
      });
      box.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") return;
        event.preventDefault();
        var boxes = host.querySelectorAll(".bp-box");
        if (i + 1 < boxes.length) {
          boxes[i + 1].focus();
        } else {
          box.blur();
          if (typeof window.pycmd === "function") window.pycmd("ans"); /* Anki desktop: show the back */
        }
      });
      var sign = document.createElement("button");
      sign.type = "button";
      sign.className = "bp-sign";
      sign.textContent = "\u00b1";
      sign.title = WORDS.flipTitle;
      sign.setAttribute("aria-label", WORDS.flipTitle);
      sign.setAttribute("tabindex", "-1");
      sign.addEventListener("click", function () {
        var t = box.value.trim();
        box.value = /^[\u2212\-]/.test(t) ? t.replace(/^[\u2212\-]\s*/, "") : "\u2212" + t.replace(/^\+\s*/, "");
        values[answer.name] = box.value;
        save(values);
      });
      var entry = document.createElement("span");
      entry.className = "bp-entry";
      entry.appendChild(box);
      entry.appendChild(sign);
      row.appendChild(label);
      row.appendChild(entry);
      host.appendChild(row);
    });
  }

  function back() {
    var values = load();
    if (!values) return;
    answers.forEach(function (answer) {
      var text = values[answer.name];
      if (text === undefined || String(text).trim() === "") return;
      var out = document.createElement("div");
      out.setAttribute("data-verdict-for", data.id + "/" + answer.name);
      host.appendChild(out);
      V.render(out, answer, text);
    });
  }

  if (host.getAttribute("data-side") === "front") front();
  else back();
})();
