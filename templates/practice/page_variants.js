  /* ------------------------------------------------------------ variants (included into page.js's scope)
     Only on a page whose problems come in variants (practice/page.py: --variants N > 1). Every exercise has
     N sections, variants 1..N, in page order; each variant's data has the exercise's id (progress is kept
     per exercise) and its own answers, so Check judges the shown variant by its own key. The deal: the
     exercises in page order, each shown as its next variant; one answered wrong comes back once AGAIN other
     problems have been shown (sooner when none are left), as its next variant, fresh numbers; variants come
     round again only after all N have been shown. This replaces page.js's show, next and record with
     versions that keep that order, and makes the summary count exercises. */
  var VARIANTS = data.variants;
  var AGAIN = 3;  /* other problems between a wrong answer and the exercise's next variant */
  var exercises = [];  /* exercise -> its sections' indexes, variant 1 first */
  var exerciseOf = [];  /* section index -> exercise */
  problems.forEach(function (p, i) {
    if (!i || p.id !== problems[i - 1].id) exercises.push([]);
    exercises[exercises.length - 1].push(i);
    exerciseOf.push(exercises.length - 1);
  });
  var showings = exercises.map(function () { return 0; });  /* how often each exercise has been shown */
  var fresh = 0;  /* the first exercise not yet dealt in this round */
  var due = [];  /* exercises answered wrong: {exercise, at}, dealt again once `dealt` reaches `at` */
  var dealt = 0;

  /* What Next deals: a wrong one once due; else the next fresh exercise; else the wrong one due soonest;
     else the round starts again from the first. */
  function upcoming() {
    for (var i = 0; i < due.length; i++) {
      if (due[i].at <= dealt) return { exercise: due[i].exercise, due: i, wraps: false };
    }
    if (fresh < exercises.length) return { exercise: fresh, due: -1, wraps: false };
    if (due.length) return { exercise: due[0].exercise, due: 0, wraps: false };
    return { exercise: 0, due: -1, wraps: true };
  }

  var showSection = show;
  show = function (index, byKeyboard) {
    var e = exerciseOf[index];
    showings[e] += 1;
    dealt += 1;
    if (e >= fresh) fresh = e + 1;
    showSection(index, byKeyboard);
    nextButton.textContent = upcoming().wraps ? WORDS.last : WORDS.next;
  };

  next = function (byKeyboard) {
    var u = upcoming();
    if (u.due >= 0) due.splice(u.due, 1);
    if (u.wraps) fresh = 0;
    show(exercises[u.exercise][showings[u.exercise] % VARIANTS], byKeyboard);
  };

  var recordExercise = record;
  record = function (problem, right) {
    recordExercise(problem, right);
    if (!right) due.push({ exercise: exerciseOf[current], at: dealt + AGAIN });
  };

  /* The summary counts exercises: pageDone counts every variant of a done exercise. */
  var pageWords = WORDS.page;
  WORDS.page = function (done, all) {
    return pageWords(done / VARIANTS, all / VARIANTS);
  };
