"""tg.compile: replayed steps are bit-identical to eager ones (every benchmark model, 100
steps, losses and weights); guards retrace; what cannot be replayed runs eagerly with one
warning naming the cause; the module form, the decorator forms, fit and the CLI."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import bench, nn, optim
from tinygrad_edu.compile import CompiledFunction, CompiledModule

STEPS = {"A": 100, "B": 100, "C": 100, "D": 100, "E": 100, "F": 12, "G": 100}


def _weights(step):
    """The parameters of a benchmark step's model (from its closure: the optimizer)."""
    opt = dict(zip(step.__code__.co_freevars, (c.cell_contents for c in step.__closure__),
                   strict=True))["opt"]
    return [p.detach().numpy().copy() for g in opt.param_groups for p in g["params"]]


@pytest.mark.parametrize("key", sorted(STEPS))
def test_replay_is_bit_identical_to_eager_on_every_benchmark_model(key):
    problem = bench.make_problem(bench.MODELS[key])
    eager = bench.build_steps(problem, None, ("tinygrad_edu",))["tinygrad_edu"]
    plain = bench.build_steps(problem, None, ("tinygrad_edu",))["tinygrad_edu"]
    compiled = tg.compile(plain)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback
        tg.manual_seed(7)
        eager_losses = [eager().detach().numpy().item() for _ in range(STEPS[key])]
        tg.manual_seed(7)  # the same dropout masks, drawn in the same order
        compiled_losses = [compiled().detach().numpy().item() for _ in range(STEPS[key])]
    assert compiled.trace_count == 2 and compiled.replay_count == STEPS[key] - 2
    assert compiled.tape is not None and compiled.tape.source is not None  # the fast form
    assert compiled_losses == eager_losses
    for a, b in zip(_weights(eager), _weights(plain), strict=True):
        np.testing.assert_array_equal(a, b)


def _mlp_step(seed=0, dropout=0.0, batchnorm=False):
    tg.manual_seed(seed)
    layers = [nn.Linear(5, 8)] + ([nn.BatchNorm1d(8)] if batchnorm else [])
    layers += [nn.ReLU(), nn.Dropout(dropout), nn.Linear(8, 3)]
    model = nn.Sequential(*layers)
    opt = optim.Adam(model.parameters(), lr=1e-2)

    def step(x, y):
        opt.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        opt.step()
        return out, loss

    return model, step


def _batches(n, batch=6, seed=1):
    rng = np.random.default_rng(seed)
    return [(tg.tensor(rng.normal(size=(batch, 5)).astype(np.float32)),
             tg.tensor(rng.integers(0, 3, batch))) for _ in range(n)]


def test_arguments_batchnorm_dropout_and_outputs_match_eager():
    data = _batches(20)
    model_a, step_a = _mlp_step(dropout=0.3, batchnorm=True)
    model_b, step_b = _mlp_step(dropout=0.3, batchnorm=True)
    compiled = tg.compile(step_b)
    tg.manual_seed(3)
    ref = [step_a(x, y) for x, y in data]
    tg.manual_seed(3)
    got = [compiled(x, y) for x, y in data]
    for (o1, l1), (o2, l2) in zip(ref, got, strict=True):
        np.testing.assert_array_equal(o1.detach().numpy(), o2.detach().numpy())
        assert l1.item() == l2.item()
    for (n1, a), (n2, b) in zip(model_a.state_dict().items(), model_b.state_dict().items(),
                                strict=True):
        assert n1 == n2
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # running stats too
    assert compiled.replay_count == 18


def test_a_new_shape_or_eval_mode_traces_again_and_stays_exact():
    model_a, step_a = _mlp_step(dropout=0.5)
    model_b, step_b = _mlp_step(dropout=0.5)
    compiled = tg.compile(step_b)
    schedule = [6] * 4 + [4] * 4 + [6] * 2
    for i, batch in enumerate(schedule):
        (x, y), = _batches(1, batch, seed=i)
        if i == 9:
            model_a.eval(), model_b.eval()  # a guard: the Dropout's training flag
        tg.manual_seed(i)
        _, l1 = step_a(x, y)
        tg.manual_seed(i)
        _, l2 = compiled(x, y)
        assert l1.item() == l2.item()
    # shapes 6 and 4 each: two traces, then replays; eval: traced again
    assert compiled.trace_count == 5 and compiled.replay_count == 5


def test_a_compiled_module_records_a_graph_for_backward_outside():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    tg.manual_seed(0)
    twin = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    compiled = tg.compile(model)
    assert isinstance(compiled, CompiledModule) and isinstance(compiled, nn.Module)
    assert list(compiled.state_dict())[0] == "_orig_mod.0.weight"  # as torch.compile's
    assert compiled._orig_mod is model and compiled.training is model.training
    for _ in range(5):
        x = tg.randn(3, 4)
        ((twin(x) ** 2).sum()).backward()
        out = compiled(x)
        assert out.grad_fn is not None
        (out ** 2).sum().backward()
        for p, q in zip(model.parameters(), twin.parameters(), strict=True):
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    assert compiled._compiled.replay_count == 3


def test_an_argument_that_requires_grad_gets_its_gradient():
    w = tg.randn(3, 3, requires_grad=True)

    def f(x):
        return (x @ w).tanh().sum()

    compiled = tg.compile(f)
    for _ in range(4):
        x1 = tg.randn(2, 3, requires_grad=True)
        x2 = tg.tensor(x1.detach().numpy().copy(), requires_grad=True)
        f(x1).backward()
        compiled(x2).backward()
        np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())
    assert compiled.replay_count == 2


@pytest.mark.parametrize("case", ["item", "bool", "numpy_on_data", "numpy_rng", "inplace",
                                  "grad_assignment"])
def test_what_cannot_be_replayed_runs_eagerly_with_one_warning(case):
    w = tg.randn(4, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        y = (x * w).sum()
        if case == "item":
            y = y * 2 if y.item() > 0 else y
        elif case == "bool":
            y = y * 2 if y > 0 else y
        elif case == "numpy_on_data":
            y = y + tg.tensor(w.data.numpy() * 2).sum()
        elif case == "numpy_rng":
            y = y + tg.tensor(np.random.default_rng().random(4)).sum()
        elif case == "inplace":
            z = x * 1.0
            z.add_(1.0)
            y = y + z.sum()
        elif case == "grad_assignment":
            w.grad = tg.zeros(4)
        y.backward()
        opt.step()
        return y

    compiled = tg.compile(step)
    causes = {"item": "item()", "bool": "bool(tensor)", "numpy_on_data": "numpy()",
              "numpy_rng": "changed between the calls", "inplace": "in-place add_",
              "grad_assignment": "assigning .grad"}
    x = tg.ones(4)
    with pytest.warns(RuntimeWarning, match="eagerly") as record:
        for _ in range(5):
            compiled(x)
    assert len(record) == 1 and causes[case] in str(record[0].message)
    assert compiled.replay_count == 0


def test_random_draws_replay_fresh_from_the_library_rng():
    def f(x):
        return x + tg.randn(3) + tg.rand(3) * F.dropout(tg.ones(3), 0.5)

    compiled = tg.compile(f)
    x = tg.zeros(3)
    tg.manual_seed(5)
    eager = [f(x).numpy().copy() for _ in range(6)]
    tg.manual_seed(5)
    replayed = [compiled(x).numpy().copy() for _ in range(6)]
    for a, b in zip(eager, replayed, strict=True):
        np.testing.assert_array_equal(a, b)
    assert compiled.replay_count == 4
    assert not np.array_equal(replayed[-1], replayed[-2])  # fresh numbers every call


def test_decorator_forms_options_and_errors():
    @tg.compile
    def double(x):
        return x * 2

    @tg.compile(mode="reduce-overhead", fullgraph=True)
    def triple(x):
        return x * 3

    assert isinstance(double, CompiledFunction) and double.__name__ == "double"
    for _ in range(3):
        np.testing.assert_array_equal(double(tg.ones(2)).numpy(), [2, 2])
        np.testing.assert_array_equal(triple(tg.ones(2)).numpy(), [3, 3])
    assert double.replay_count == 1
    with pytest.raises(TypeError, match="a function or a Module"):
        tg.compile(3)


def test_the_tape_prints_as_the_calls_it_replays():
    problem = bench.make_problem(bench.MODELS["E"])
    step = tg.compile(bench.build_steps(problem, None, ("tinygrad_edu",))["tinygrad_edu"])
    for _ in range(3):
        step()
    text = repr(step.tape)
    for call in ("Linear.forward", "Sigmoid.forward", "MSELoss.forward", "SGD.zero_grad",
                 "backward(", "SGD.step()"):
        assert call in text
    source = step.tape.source
    assert source.startswith("def replay(")
    # the kernels: NumPy calls into buffers made once, no op called, no node made
    assert "matmul(" in source and "out=buf_linear" in source and "new(" not in source
    assert "Linear_backward" not in source and "Sigmoid_forward" not in source
    assert "._grad = make(dw_" in source  # a leaf takes its new gradient


def test_fit_compile_gives_the_same_history_and_weights():
    from tinygrad_edu.data import DataLoader, TensorDataset
    from tinygrad_edu.train import fit

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    histories, weights = [], []
    for compiled in (False, True):
        model, _ = _mlp_step(seed=2, dropout=0.2, batchnorm=True)
        opt = optim.SGD(model.parameters(), lr=0.1)
        loader = DataLoader(TensorDataset(x, y), batch_size=12, shuffle=True, seed=0)
        tg.manual_seed(9)
        history = fit(model, F.cross_entropy, opt, loader, epochs=3, progress=False,
                      verbose=False, compile=compiled)
        histories.append({k: v for k, v in history.as_dict().items() if k != "time"})
        weights.append([p.detach().numpy().copy() for p in model.parameters()])
    assert histories[0] == histories[1]
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_cli_train_compile_matches_eager(tmp_path):
    from tinygrad_edu.cli import main

    args = ["train", "--dataset", "spiral", "--model", "mlp", "--hidden", "8", "--epochs", "2",
            "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b"), "--compile"]) == 0
    rows = [(tmp_path / d / "metrics.csv").read_text().splitlines() for d in "ab"]
    strip = [[",".join(c for k, c in zip(r[0].split(","), line.split(","), strict=True)
                       if k != "time") for line in r] for r in rows]
    assert strip[0] == strip[1]


def test_a_hook_or_a_new_parameter_group_is_honoured_by_the_replay():
    def build():
        tg.manual_seed(4)
        model = nn.Linear(3, 2)
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(x):
            opt.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        return model, opt, step

    model_a, opt_a, step_a = build()
    model_b, opt_b, step_b = build()
    compiled = tg.compile(step_b)
    x = tg.randn(5, 3)
    for i in range(8):
        if i == 3:  # a hook: the replay runs the backward pass with it
            for m in (model_a, model_b):
                m.weight.register_hook(lambda g: g * 0.5)
        if i == 5:  # a new group: a guard, so it traces again (with the hook inside backward)
            extra_a, extra_b = tg.zeros(2, requires_grad=True), tg.zeros(2, requires_grad=True)
            opt_a.add_param_group({"params": [extra_a]})
            opt_b.add_param_group({"params": [extra_b]})
        assert step_a(x).item() == compiled(x).item()
    np.testing.assert_array_equal(model_a.weight.detach().numpy(),
                                  model_b.weight.detach().numpy())
    assert compiled.trace_count == 4 and compiled.replay_count == 4  # (2 + 2 traces)


def _same_as_eager(make, calls, expect_warning=None):
    """Run ``make()``'s function eagerly and compiled on the same calls (each a (args, before)
    pair: ``before(state)`` changes something between calls); results must be equal, and a
    fallback must have warned with ``expect_warning`` in its message."""
    results = []
    for compiled in (False, True):
        state = make()
        fn = tg.compile(state["fn"]) if compiled else state["fn"]
        out = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for args, before in calls:
                if before is not None:
                    before(state)
                try:
                    value = fn(*args(state))
                    out.append(np.asarray(getattr(value, "_data", value)).tolist())
                except Exception as e:  # the same error both ways
                    out.append((type(e).__name__, str(e)))
        results.append(out)
        messages = [str(w.message) for w in caught if "tg.compile" in str(w.message)]
        if compiled:
            if expect_warning is None:
                assert messages == []
            else:
                assert len(messages) == 1 and expect_warning in messages[0], messages
    assert results[0] == results[1]
    return results


def _linear_state(**extra):
    tg.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    return {"model": model, "opt": opt, **extra}


def _train(state, x, y):
    state["opt"].zero_grad()
    loss = F.mse_loss(state["model"](x), y)
    loss.backward()
    state["opt"].step()
    return loss


X, Y = tg.ones(4, 3), tg.zeros(4, 2)


def test_review_values_computed_outside_ops_are_not_frozen():
    def make():
        state = _linear_state()

        def fn(x, y):
            out = state["model"](x)
            loss = F.mse_loss(out, y)
            accuracy = ((out > 0).float() == (y > 0).float()).float().mean()  # a comparison
            _train(state, x, y)
            return loss, accuracy
        state["fn"] = fn
        return state

    _same_as_eager(make, [(lambda s: (X, Y), None)] * 6, "computed outside the recorded ops")


def test_review_requires_grad_of_a_parameter_is_a_guard():
    def make():
        state = _linear_state()
        state["fn"] = lambda x, y: _train(state, x, y)
        return state

    def freeze(state):
        state["model"].weight.requires_grad_(False)

    calls = [(lambda s: (X, Y), None)] * 4 + [(lambda s: (X, Y), freeze)] + \
        [(lambda s: (X, Y), None)] * 4
    _same_as_eager(make, calls)


def test_review_the_same_tensor_twice_is_another_tape_and_minus_zero_another_key():
    def make():
        return {"fn": lambda a, b: a - 2 * b}

    ones, zeros = tg.ones(2), tg.zeros(2)
    _same_as_eager(make, [(lambda s: (ones, ones), None)] * 3 + [(lambda s: (ones, zeros), None)])

    def make_scaled():
        return {"fn": lambda a, k: a * k}

    _same_as_eager(make_scaled, [(lambda s: (ones, 0.0), None)] * 3 +
                   [(lambda s: (ones, -0.0), None)] * 3)
    assert math.copysign(1, tg.compile(lambda a, k: a * k)(ones, -0.0).numpy()[0]) == -1


def test_review_a_scheduler_inside_the_step_is_replayed():
    def make():
        state = _linear_state()
        sched = optim.lr_scheduler.ExponentialLR(state["opt"], 0.5)

        def fn(x, y):
            loss = _train(state, x, y)
            sched.step()
            return loss
        state["fn"] = fn
        return state

    _same_as_eager(make, [(lambda s: (X, Y), None)] * 8)


def test_review_cross_entropy_targets_are_guarded():
    def make():
        tg.manual_seed(0)
        w = tg.randn(5, 3)
        return {"fn": lambda x, t: F.cross_entropy(x @ w, t)}

    x = tg.ones(4, 5)
    good = tg.tensor([0, 1, 2, 1])
    calls = [(lambda s: (x, good), None)] * 3 + [(lambda s: (x, tg.tensor([7, 1, 2, 0])), None),
                                                  (lambda s: (x, good), None)]
    results = _same_as_eager(make, calls)
    assert results[1][3][0] == "IndexError"
    padded = [(lambda s: (x, good), None)] * 3 + [(lambda s: (x, tg.tensor([-100, 2, 0, 2])),
                                                   None)]
    _same_as_eager(make, padded, "ignore_index")


def test_review_module_attributes_hooks_and_flags_are_guards():
    def make():
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.1), nn.Dropout(0.5))
        return {"model": model, "fn": lambda x: model(x)}

    def slope(state):
        state["model"][1].negative_slope = 0.3

    def hook(state):
        state["model"][0].register_forward_hook(lambda m, i, o: o * 2)

    def flip(state):
        state["model"].train(not state["model"].training)

    x = tg.ones(2, 3)
    calls = ([(lambda s: (x,), None)] * 3 + [(lambda s: (x,), slope)] + [(lambda s: (x,), None)] * 3
             + [(lambda s: (x,), hook)] + [(lambda s: (x,), None)] * 3)
    for i in range(8):
        calls.append((lambda s: (x,), flip if i % 3 == 0 else None))
    tg.manual_seed(1)
    _same_as_eager(make, calls)


def test_review_an_optimizer_that_overrides_step_runs_eagerly():
    class Counting(optim.SGD):
        calls = 0

        def step(self, closure=None):
            Counting.calls += 1
            return super().step(closure)

    def make():
        state = _linear_state()
        state["opt"] = Counting(state["model"].parameters(), lr=0.1)
        state["fn"] = lambda x, y: _train(state, x, y)
        return state

    _same_as_eager(make, [(lambda s: (X, Y), None)] * 4, "an override of Optimizer.step")
    assert Counting.calls == 8
