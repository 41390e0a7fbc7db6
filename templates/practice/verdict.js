/* Backprop Practice: the one verdict function, shared by the Anki cards and the practice page.
   It reads what the record decided (each answer's value, tolerance and catalogued mistakes; see
   practice/grade.py) and never recomputes a tolerance. Plain ES5 in an IIFE, so a client that runs the
   script again on every card (Anki desktop keeps one page) redefines it harmlessly.
   Never write two braces in a row in this file: Anki's card templates would read them as a field. */
(function (root) {
  "use strict";

  /* Every text a learner reads here. */
  var WORDS = {
    right: "Right",
    mistake: "Not right",
    mistakeLead: "That is what a classic mistake gives:",
    wrong: "Not right",
    unreadable: "Not a number I can read",
    typeHint: "Type a number, such as \u22120.41, 2,5 or +3.",
    youTyped: "you typed",
    key: "the key is",
    within: "within \u00b1",
    fromStep: "The right value comes from this step:",
    fromSteps: "The right value is the sum of these contributions (+=):",
    seeSteps: "The worked steps show how the key is made."
  };

  var MINUS = "\u2212";

  /* Typed text to a number, or null. Accepts a true minus (\u2212) or a hyphen, a leading +, a comma as
     the decimal mark and spaces anywhere (1 234,5). An empty box gives undefined: nothing was typed. */
  function parse(text) {
    if (text === null || text === undefined) return undefined;
    var s = String(text).replace(/[\s\u00a0\u2009\u202f]+/g, "");
    if (s === "") return undefined;
    s = s.replace(/[\u2212\u2012\u2013]/g, "-");
    if (s.indexOf(",") >= 0) {
      if (s.indexOf(".") >= 0 || s.split(",").length > 2) return null;
      s = s.replace(",", ".");
    }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
    var x = Number(s);
    return isFinite(x) ? x : null;
  }

  /* The verdict for a typed number against one answer of the record:
     right when |typed - key| <= tolerance; else the first catalogued mistake whose
     |typed - mistake value| <= tolerance; else wrong. */
  function verdict(typed, answer) {
    var tol = Number(answer.tolerance);
    if (Math.abs(typed - answer.value) <= tol) return { kind: "right", hook: "right" };
    var mistakes = answer.mistakes || [];
    for (var i = 0; i < mistakes.length; i++) {
      if (Math.abs(typed - mistakes[i].value) <= tol) {
        return { kind: "mistake", hook: "mistake:" + mistakes[i].name, mistake: mistakes[i] };
      }
    }
    return { kind: "wrong", hook: "wrong" };
  }

  /* A number as people read it: a true minus sign, at most 4 decimals. */
  function show(x) {
    var r = Math.round(x * 10000) / 10000;
    if (r === 0) return "0";
    var t = String(r);
    if (/e/i.test(t)) t = r.toFixed(4).replace(/0+$/, "").replace(/\.$/, "");
    return t.replace("-", MINUS);
  }

  function el(doc, tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* Write one answer's verdict into `host` (an element carrying data-verdict-for): its data-verdict
     hook (right | mistake:<name> | wrong), a headline, and for a mistake its one-line why, for a wrong
     number the worked step(s) that give the right value. `text` is what the learner typed.
     Returns the verdict, or null when the text is not a number (host then shows how to type one). */
  function render(host, answer, text) {
    var doc = host.ownerDocument;
    var typed = parse(text);
    host.textContent = "";
    host.removeAttribute("data-verdict");
    if (typed === undefined || typed === null) {
      host.className = "bp-verdict bp-unreadable";
      var line = el(doc, "p", "bp-verdict-head");
      line.appendChild(el(doc, "span", "bp-verdict-word", typed === null ? WORDS.unreadable : ""));
      if (typed === null) line.appendChild(doc.createTextNode(" (\u201c" + String(text).trim() + "\u201d). "));
      line.appendChild(doc.createTextNode(WORDS.typeHint));
      host.appendChild(line);
      return null;
    }
    var v = verdict(typed, answer);
    host.setAttribute("data-verdict", v.hook);
    host.className = "bp-verdict bp-" + v.kind;
    var head = el(doc, "p", "bp-verdict-head");
    head.appendChild(el(doc, "span", "bp-verdict-word", WORDS[v.kind]));
    head.appendChild(doc.createTextNode(" \u2014 "));
    head.appendChild(el(doc, "code", "bp-answer-name", answer.name));
    head.appendChild(doc.createTextNode(": " + WORDS.youTyped + " "));
    head.appendChild(el(doc, "b", "bp-typed-value", show(typed)));
    head.appendChild(doc.createTextNode("; " + WORDS.key + " "));
    head.appendChild(el(doc, "b", "bp-key", answer.shown));
    if (answer.tolerance_shown) {
      head.appendChild(doc.createTextNode(" (" + WORDS.within + answer.tolerance_shown + ")"));
    }
    head.appendChild(doc.createTextNode("."));
    host.appendChild(head);
    if (v.kind === "mistake") {
      var why = el(doc, "p", "bp-why", WORDS.mistakeLead + " ");
      why.appendChild(el(doc, "span", "bp-mistake-name", v.mistake.name));
      why.appendChild(doc.createTextNode(". " + v.mistake.why));
      host.appendChild(why);
    } else if (v.kind === "wrong" && !(answer.how && answer.how.length)) {
      host.appendChild(el(doc, "p", "bp-how-title", WORDS.seeSteps));
    } else if (v.kind === "wrong") {
      host.appendChild(el(doc, "p", "bp-how-title", answer.how.length > 1 ? WORDS.fromSteps : WORDS.fromStep));
      var list = el(doc, "ul", "bp-how");
      for (var i = 0; i < answer.how.length; i++) list.appendChild(el(doc, "li", "", answer.how[i]));
      host.appendChild(list);
    }
    return v;
  }

  root.BackpropVerdict = { parse: parse, verdict: verdict, render: render, show: show, words: WORDS };
})(window);
