"""`train`: one full training iteration in the course's order, zero_grad → forward → loss → backward → update,
then the loss after the step. Some hard problems take a learning rate that overshoots: the loss goes up."""

from ..record import listing
from ..numbers import fmt
from .common import Draft
from .training import (STEP_MISTAKES, check, forward_lines, graph_nodes, grid, model_loss, names, pick, replay, short,
                       step_line, learner_step)

SETUP = {  # input counts, activations, inputs, parameters, targets, learning rates (as many decimals as PLACES allows)
    "easy": ([1], ["linear"], grid(-3, 3, 1), grid(-3, 3, 1), grid(-3, 3, 1), [0.1, 0.2]),
    "medium": ([1, 2], ["linear", "relu"], grid(-2, 2, 0.5), grid(-2, 2, 0.5), grid(-2, 2, 0.5), [0.05, 0.1, 0.2, 0.25]),
    "hard": ([2], ["tanh"], grid(-1.5, 1.5, 0.1), grid(-1, 1, 0.1), grid(-0.9, 0.9, 0.1), [0.1, 0.2, 0.5]),
}
OVERSHOOT = [2.0, 3.0, 5.0]  # hard: a learning rate this big can jump past the minimum
WORDS = {"linear": "o = b + {terms}", "relu": "o = relu(b + {terms})", "tanh": "o = tanh(b + {terms})"}


def draw(rng, difficulty: str):
    counts, acts, x_values, p_values, y_values, rates = SETUP[difficulty]
    nin, act = rng.choice(counts), rng.choice(acts)
    overshoot = difficulty == "hard" and rng.random() < 0.3
    lr = float(rng.choice(OVERSHOOT if overshoot else rates))
    x_names, p_names = names(nin)
    if difficulty == "easy":
        return (nin, act, lr, overshoot) + easy_example(rng, lr, x_values, p_values, y_values)
    inputs = {n: pick(rng, x_values) for n in x_names}
    params = {n: pick(rng, p_values) for n in p_names}
    return nin, act, lr, overshoot, inputs, params, pick(rng, y_values)


def easy_example(rng, lr, x_values, p_values, y_values):
    """x, w, b, y for o = b + w·x at this lr whose step keeps every number to one decimal and lowers the loss.
    In closed form: d = o − y, the grads are 2d·x and 2d, and the step scales d by f = 1 − 2·lr·(x² + 1), so
    the loss after, (f·d)², has one decimal only when f·d is whole (few draws pass: try many cheaply)."""
    for _ in range(400):
        x, w, b, y = (pick(rng, values) for values in (x_values, p_values, p_values, y_values))
        d = w * x + b - y
        f = 1 - 2 * lr * (x * x + 1)
        if x and d and abs(f) < 1 and short([w - lr * 2 * d * x, b - lr * 2 * d, (f * d) ** 2], "easy"):
            break
    else:
        check(False)  # no draw passed: start over
    return {"x": x}, {"w": w, "b": b}, y


def build(rng, difficulty: str) -> Draft:
    nin, act, lr, overshoot, inputs, params, y = draw(rng, difficulty)
    x_names, p_names = names(nin)
    loss, unit = model_loss(params, inputs, y, act)
    # The step as the engine takes it: zero_grad, backward, p.data -= lr * p.grad on a copy of the model.
    probe, model = model_loss(params, inputs, y, act)
    model.zero_grad()
    probe.backward()
    new = {p.label: p.data - lr * p.grad for p in model.parameters()}
    check(all(p.grad != 0 for p in model.parameters()) and short(new.values(), difficulty))
    after_loss, _ = model_loss(new, inputs, y, act)
    after = graph_nodes(after_loss)
    before_value, after_value = probe.data, after_loss.data
    check((after_value > before_value) == overshoot and after_value != before_value)
    check(all(v == 0 or abs(v) >= 0.01 for v in list(new.values()) + [after_value]))  # hand-sized
    check(short([n["data"] for n in after], difficulty))

    def finish(by_name):
        answers = [("loss before", by_name["L"]["data"])]
        answers += [(f"{p}.grad", by_name[p]["grad"]) for p in p_names]
        answers += [(f"{p}.new", new[p]) for p in p_names]
        answers.append(("loss after", after_value))
        steps = [step_line(f"{p}.new", by_name[p]["data"], by_name[p]["grad"], lr, new[p]) for p in p_names]
        steps += forward_lines(after, prefix="after the step: ")
        change = "down" if after_value < before_value else "up"
        steps.append(f"the loss went {change}: {fmt(before_value)} → {fmt(after_value)}")
        asked = (f"the loss L before the step, {listing([f'{p}.grad' for p in p_names])}, the new values of "
                 f"{listing(p_names)}, and the loss after the step")
        return answers, steps, asked

    def evaluate(nodes, r, mistake):
        worked, stepped = learner_step(nodes, p_names, lr, r, mistake)
        redone = replay(nodes, r, None, data=stepped)
        values = {"loss before": worked["L"][0], "loss after": redone["L"][0]}
        values.update({f"{p}.grad": worked[p][1] for p in p_names})
        values.update({f"{p}.new": stepped[p] for p in p_names})
        return values

    def lesson(answers):
        """Every parameter moves and the loss changes: standing still is caught on each of them."""
        return all(any(m["name"] == "no-update" for m in a["mistakes"])
                   for a in answers if a["name"].endswith(".new") or a["name"] == "loss after")

    terms = " + ".join(f"w{i + 1}·x{i + 1}" for i in range(nin)) if nin > 1 else "w·x"
    intro = (
        f"One training iteration of the neuron {WORDS[act].format(terms=terms)} on one example with target y, "
        f"in the course's order: zero the grads, run the forward pass, score it with L = (o − y)², run the "
        f"backward pass, and update every parameter with learning rate lr = {fmt(lr)} (p.data −= lr × p.grad); "
        f"then run the forward pass again for the loss after the step."
    )
    return Draft(loss, p_names, intro, extra={"learning_rate": lr, "after_step": after}, finish=finish,
                 given=x_names + p_names + ["y"], evaluate=evaluate, mistakes=STEP_MISTAKES, lesson=lesson)
