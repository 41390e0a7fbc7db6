"""`zero_grad`: two training steps of one small model, with zero_grad() before each backward pass and without
it, so the number-one beginner bug is felt in numbers: without zeroing, the second step's grads are the sum of
both passes' grads."""

from ..numbers import fmt
from ..record import Shown, worked_steps
from .common import Draft
from .training import (STEP_MISTAKES, check, forward_lines, forward_only, graph_nodes, grid, loss_of, model_unit, names, pick,
                       replay, short, step_line, step_rule, learner_step)

SETUP = {  # activations, input, parameters, target, learning rates (as many decimals as PLACES allows)
    "easy": (["linear"], grid(-3, 3, 1), grid(-3, 3, 1), grid(-3, 3, 1), [0.1, 0.2]),
    "medium": (["linear", "relu"], grid(-2, 2, 0.5), grid(-2, 2, 0.5), grid(-2, 2, 0.5), [0.05, 0.1, 0.25]),
    "hard": (["tanh"], grid(-1.5, 1.5, 0.1), grid(-1, 1, 0.1), grid(-0.9, 0.9, 0.1), [0.1, 0.2, 0.5]),
}
MISTAKES = ["zero-grad-forgotten", "grads-reset-anyway"] + STEP_MISTAKES
WORDS = {"linear": "o = b + w·x", "relu": "o = relu(b + w·x)", "tanh": "o = tanh(b + w·x)"}
PARAMS = names(1)[1]


def answer_names(p: str) -> tuple[str, str, str, str]:
    """(grad at step 2, value after step 2) with zero_grad, then the same without it."""
    return (f"{p}.grad at step 2", f"{p} after step 2", f"{p}.grad at step 2, no zero_grad",
            f"{p} after step 2, no zero_grad")


def two_steps(params, inputs, y, act, lr, zero: bool):
    """The engine's training loop for two steps on one example: (grads at step 1, params after step 1,
    grads at step 2, params after step 2); zero_grad() before each backward pass when `zero`."""
    unit = model_unit(params, act)
    seen = []
    for _ in range(2):
        loss = loss_of(unit, inputs, y)
        if zero:
            unit.zero_grad()
        loss.backward()
        grads = {p.label: p.grad for p in unit.parameters()}
        for p in unit.parameters():
            p.data -= lr * p.grad
        seen += [grads, {p.label: p.data for p in unit.parameters()}]
    return seen


def build(rng, difficulty: str) -> Draft:
    acts, x_values, p_values, y_values, rates = SETUP[difficulty]
    act = rng.choice(acts)
    # A linear model's second pass in closed form: skip draws whose numbers can't stay short (at easy, few pass:
    # the second loss has one decimal only when d2 is whole) or, at easy, whose first step doesn't lower the loss.
    for _ in range(400 if difficulty == "easy" else 100):
        lr, x, y = float(rng.choice(rates)), pick(rng, x_values), pick(rng, y_values)
        params = {p: pick(rng, p_values) for p in PARAMS}
        d = params["w"] * x + params["b"] - y
        d2 = d * (1 - 2 * lr * (x * x + 1))
        if act != "linear" or (short([d2 * d2, 2 * lr * d * x, 2 * lr * d], difficulty)
                               and (difficulty != "easy" or abs(d2) < abs(d))):
            break
    else:
        check(difficulty != "easy")  # no easy draw passed: start over
    inputs = {"x": x}
    g1, p1, g2, p2 = two_steps(params, inputs, y, act, lr, zero=True)
    g1_, p1_, acc, p2_ = two_steps(params, inputs, y, act, lr, zero=False)
    check(all(g1[p] != 0 and g2[p] != 0 and acc[p] != 0 for p in PARAMS))
    check(all(v == 0 or abs(v) >= 0.01 for step in (g2, p2, acc, p2_) for v in step.values()))  # hand-sized
    second = graph_nodes(loss_of(model_unit(p1, act), inputs, y), backward=True)
    check(short(list(p1.values()) + list(p2.values()) + list(acc.values()) + list(p2_.values())
                + [v for n in second for v in (n["data"], n["grad"])], difficulty))
    loss, _ = loss_of(model_unit(params, act), inputs, y), None

    def finish(by_name):
        answers = []
        for p in PARAMS:
            names_ = answer_names(p)
            answers += [(names_[0], g2[p]), (names_[1], p2[p]), (names_[2], acc[p]), (names_[3], p2_[p])]
        steps = [f"step 1: {line}" for line in
                 (step_line(f"{p}.new", params[p], by_name[p]["grad"], lr, p1[p]) for p in PARAMS)]
        steps.append(f"step 2, with zero_grad(): {' and '.join(f'{p}.grad = 0' for p in PARAMS)} before the backward pass")
        steps += forward_lines(second, prefix="step 2: ")
        steps += [f"step 2: {line}" for line in worked_steps(second)]
        steps += [f"step 2: {step_line(f'{p}.new', p1[p], g2[p], lr, p2[p])}" for p in PARAMS]
        for p in PARAMS:
            total = Shown("{} + {}", (g1[p], g2[p]), lambda a, b: a + b, acc[p]).text()
            steps.append(f"no zero_grad: {p}.grad = step 1's {p}.grad + step 2's = {total} = {fmt(acc[p])}")
        steps += [f"no zero_grad: {step_line(f'{p}.new', p1[p], acc[p], lr, p2_[p])}" for p in PARAMS]
        asked = (f"{', '.join(answer_names('w')[:2])}, {' and '.join(answer_names('b')[:2])} with zero_grad(), "
                 f"and the same four without it ({answer_names('w')[2]}, …)")
        return answers, steps, asked

    def evaluate(nodes, r, mistake):
        rule = step_rule(mistake, lr, r)
        first, after1 = learner_step(nodes, PARAMS, lr, r, mistake)
        again = replay(nodes, r, mistake, data=after1)
        grads2 = {p: again[p][1] for p in PARAMS}
        summed = {p: r(first[p][1] + grads2[p]) for p in PARAMS}
        values = {}
        for p in PARAMS:
            with_zero = (grads2[p], rule(after1[p], grads2[p]))
            without = (summed[p], rule(after1[p], summed[p]))
            if mistake == "zero-grad-forgotten":
                with_zero, without = without, None
            elif mistake == "grads-reset-anyway":
                with_zero, without = None, with_zero
            a, b, c, d = answer_names(p)
            if with_zero:
                values.update({a: with_zero[0], b: with_zero[1]})
            if without:
                values.update({c: without[0], d: without[1]})
        return values

    def lesson(answers):
        """Forgetting zero_grad is caught on every answer of the run that zeroes."""
        return all(any(m["name"] == "zero-grad-forgotten" for m in a["mistakes"])
                   for a in answers if "no zero_grad" not in a["name"])

    intro = (
        f"Train the neuron {WORDS[act]} on one example (x, y) with the loss L = (o − y)² for two steps, each "
        f"a forward pass, a backward pass and the update p.data −= lr × p.grad with lr = {fmt(lr)}. Do it "
        f"twice: once calling zero_grad() (every grad back to 0) before each backward pass, and once forgetting "
        f"it, so the second backward pass adds onto the first one's grads."
    )
    return Draft(loss, PARAMS, intro, extra={"learning_rate": lr, "second_step": forward_only(second)},
                 finish=finish, given=["x", "w", "b", "y"], evaluate=evaluate, mistakes=MISTAKES, lesson=lesson)
