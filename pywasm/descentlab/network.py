"""Training the same small network with several optimizers: the ``"network"`` spec.

Fairness is the point of the comparison, so every optimizer starts from the
same initial weights (drawn once from ``seed``) and sees the same mini-batches
in the same order (epoch ``e`` is shuffled by ``default_rng([seed, e])``, which
does not depend on which optimizers run or in what order).  Runs advance one
epoch at a time in turn, so the page can draw all curves growing together.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from . import budget, datasets, optimizer_spec
from .datasets.limits import (DEFAULT_VAL_FRACTION, MAX_CLASSES, MAX_FEATURES, MAX_SAMPLES,  # noqa: F401
                              MAX_VAL_FRACTION, MIN_SAMPLES, MIN_VAL_FRACTION)
from .datasets.sources import load, read_named, read_points, read_recipe
from .errors import SpecError
from .nn import mlp
from .nn.hvp import hvp
from .nn.activations import ACTIVATIONS
from .nn.init import init_params
from .nn.losses import LOSSES
from .optimizer_spec import read_optimizers
from .fields import Fields, check_number

MAX_SEED = datasets.MAX_SEED
MAX_LAYERS = 6
MAX_WIDTH = 256
MAX_EPOCHS = 1000
MAX_STEPS = 50_000  # optimizer steps per run (epochs x batches)
MAX_PARAMETERS = 100_000  # weights and biases of the network
MAX_SNAPSHOT_FLOATS = 3_000_000  # snapshots x parameters, all runs together (about 170 MB as lists + JSON)
AUTO_SNAPSHOTS = 200  # "snapshot_every": "auto" keeps about this many snapshots per run
DIVERGENCE_BOUND = 1.0e6  # |weight| above this counts as diverged
BOUNDARY_MARGIN = 0.5  # the decision-boundary grid extends past the data by this much
MAX_BOUNDARY = 200
BOUNDARY_UPDATES = 25  # decision boundaries kept (and streamed) per run, for scrubbing epochs
HUTCHINSON_STREAM = 7  # Sophia's draws of u: default_rng([seed, HUTCHINSON_STREAM, step]), apart from the epochs' [seed, epoch]
LOSS_EMA_BETA = 0.9  # the smoothed per-step loss: an exponential moving average with this weight on the past


def read_dataset(fields: Fields) -> dict:
    """The ``dataset`` object: uploaded ``points``, a ``recipe`` or a ``name`` (the shared readers of
    :mod:`descentlab.datasets.sources`, which the ``"dataset"`` spec's previews use too)."""
    d = fields.sub("dataset")
    if d.has("points"):
        data = read_points(d, MIN_SAMPLES)
        out = {"points": data["points"].tolist(), "labels": data["labels"].tolist()}
    elif d.has("recipe"):
        out = read_recipe(d, MIN_SAMPLES)
    else:
        out = read_named(d, "name", MIN_SAMPLES, MAX_SAMPLES)
    out["val_fraction"] = d.number("val_fraction", MIN_VAL_FRACTION, MAX_VAL_FRACTION, DEFAULT_VAL_FRACTION)
    d.done()
    return out


def read_spec(spec: dict) -> dict:
    fields = Fields(spec, "")
    fields.choice("kind", {"network"})
    data = read_dataset(fields)
    m = fields.sub("model", {})
    hidden = m.array("hidden", 0, MAX_LAYERS, [16, 16])
    hidden = [check_number(h, m.field(f"hidden[{i}]"), 1, MAX_WIDTH, integer=True) for i, h in enumerate(hidden)]
    model = {"hidden": hidden, "activation": m.choice("activation", ACTIVATIONS, "tanh")}
    m.done()
    out = {
        "kind": "network", "dataset": data, "model": model,
        "loss": fields.choice("loss", LOSSES, "cross_entropy"),
        "batch_size": fields.number("batch_size", 1, MAX_SAMPLES, 32, integer=True),
        "epochs": fields.number("epochs", 1, MAX_EPOCHS, 50, integer=True),
        "l2": fields.number("l2", 0.0, 1.0, 0.0),
        "seed": fields.number("seed", 0, MAX_SEED, 0, integer=True),
        "snapshot_every": _read_snapshot_every(fields),
        "boundary_size": fields.number("boundary_size", 8, MAX_BOUNDARY, 48, integer=True),
        "optimizers": read_optimizers(fields, fork=True),
    }
    fields.done()
    _check_sizes(out)
    return out


def _read_snapshot_every(fields: Fields):
    if fields.value("snapshot_every", 10) == "auto":
        return "auto"
    return fields.number("snapshot_every", 1, MAX_STEPS, 10, integer=True)


def _check_sizes(spec: dict) -> None:
    """Limits that need several fields at once (they protect a browser tab).

    Resolves ``"snapshot_every": "auto"`` to a number, and refuses a spec over the
    work budget (see :mod:`descentlab.budget`).
    """
    X, y = load(spec["dataset"])
    n_classes = int(y.max()) + 1
    if spec["loss"] == "binary_cross_entropy" and n_classes != 2:
        raise SpecError("loss", f"binary_cross_entropy needs exactly 2 classes; this dataset has {n_classes}")
    steps = run_steps(spec, len(X))
    optimizer_spec.check_run_length(spec["optimizers"], steps)
    optimizer_spec.check_forks(spec["optimizers"], steps)
    if steps > MAX_STEPS:
        raise SpecError("epochs", f"epochs x batches per epoch must be at most {MAX_STEPS}, got {steps}"
                        " (fewer epochs or a larger batch_size)")
    layout = _layout(spec, X.shape[1], n_classes)
    if layout.size > MAX_PARAMETERS:
        raise SpecError("model.hidden", f"the network has {layout.size} parameters; at most {MAX_PARAMETERS}")
    runs = len(spec["optimizers"])
    least = min_snapshot_every(steps, layout.size, runs)
    if least is None:
        raise SpecError("model.hidden", f"{runs} runs of a network with {layout.size} parameters cannot keep"
                        f" even their first and last weights (snapshots x parameters x optimizers at most"
                        f" {MAX_SNAPSHOT_FLOATS}): use a smaller network or fewer optimizers")
    if spec["snapshot_every"] == "auto":
        spec["snapshot_every"] = max(least, -(-steps // AUTO_SNAPSHOTS))
    elif spec["snapshot_every"] < least:
        raise SpecError("snapshot_every", f"must be at least {least} for this network, run length and"
                        f" {runs} optimizers (snapshots x parameters x optimizers at most {MAX_SNAPSHOT_FLOATS})"
                        ', or "auto"')
    budget.check(cost(spec, X.shape, layout))


def run_steps(spec: dict, n_points: int) -> int:
    """Optimizer steps of one run: epochs x mini-batches per epoch."""
    n_train = n_points - int(n_points * spec["dataset"]["val_fraction"])
    return spec["epochs"] * -(-n_train // min(spec["batch_size"], n_train))


def min_snapshot_every(steps: int, n_parameters: int, runs: int) -> int | None:
    """The smallest snapshot interval whose snapshots of all runs fit ``MAX_SNAPSHOT_FLOATS``.

    A run keeps ``steps // every + 1`` snapshots (the first weights too); ``None``
    when not even ``every = steps`` (two snapshots a run) fits.
    """
    per_run = MAX_SNAPSHOT_FLOATS // (n_parameters * runs)  # snapshots a run may keep
    if per_run < 2:
        return None
    # steps // every <= per_run - 1  <=>  every > steps / per_run
    return max(1, steps // per_run + 1)


# Seconds of one optimizer step, by what it touches (measured by bench/bench_budget.py).
STEP_SECONDS = 8.0e-4  # Python and NumPy call overhead of a forward/backward pass and an update
PARAM_SECONDS = 7.0e-8  # per parameter: the optimizer's elementwise update
ROW_PARAM_SECONDS = 3.0e-9  # per row x parameter: the matrix products, forward and backward
ROW_UNIT_SECONDS = 1.2e-7  # per row x unit: activations (built from exp) and the loss
ATOM_SECONDS = 0.2  # one indivisible piece of work (a pass over the data) at most: Stop waits for it


def pass_seconds(rows: int, n_parameters: int, units: int) -> float:
    """Estimated seconds of one forward and backward pass over ``rows`` rows."""
    return STEP_SECONDS + rows * (ROW_PARAM_SECONDS * n_parameters + ROW_UNIT_SECONDS * units)


def cost(spec: dict, shape: tuple, layout) -> budget.Cost:
    """Estimated time and memory of a validated network spec (``shape``: the dataset's)."""
    n, d = shape
    runs = len(spec["optimizers"])
    n_train = n - int(n * spec["dataset"]["val_fraction"])
    batch = min(spec["batch_size"], n_train)
    steps = run_steps(spec, n)
    units = sum(spec["model"]["hidden"]) + layout.n_out
    step = pass_seconds(batch, layout.size, units) + PARAM_SECONDS * layout.size
    evaluate = 2.0 * pass_seconds(n, layout.size, units)  # loss and accuracy, train and validation sets
    grid = spec["boundary_size"] * spec["boundary_size"] if d == 2 else 0
    boundary = pass_seconds(grid, layout.size, units) if grid else 0.0
    boundaries = min(spec["epochs"], BOUNDARY_UPDATES) + 1
    steps_work = math.fsum(steps * step * (1.0 + HVP_PASSES * _hvps_per_step(entry)) for entry in spec["optimizers"])
    seconds = steps_work + runs * (spec["epochs"] * evaluate + boundaries * boundary)
    snapshot_floats = runs * (steps // spec["snapshot_every"] + 1) * layout.size
    kept = snapshot_floats + runs * (steps + boundaries * 2 * grid) + 2 * n * d
    memory = kept * (budget.LIST_FLOAT_BYTES + budget.JSON_FLOAT_BYTES)
    drivers = [("epochs", spec["epochs"]), ("model.hidden", spec["model"]["hidden"]),
               ("optimizers", f"{runs} runs"), ("dataset", f"{n} points x {d} features"),
               ("batch_size", spec["batch_size"])]
    hint = "Lower epochs, use fewer or narrower hidden layers, fewer optimizers or fewer points."
    atom = evaluate / 2.0  # the loss over a whole set is one sum: it cannot be cut into blocks
    if atom > ATOM_SECONDS:
        # Stop and progress wait for a whole pass over the data: keep each one short
        seconds = max(seconds, budget.SECONDS * atom / ATOM_SECONDS)
        drivers = [("model.hidden", spec["model"]["hidden"]), ("dataset", f"{n} points x {d} features")]
        hint = ("One pass over the data would take about {:.1f} s, and Stop waits for it: use a smaller"
                " network or fewer points.".format(atom))
    return budget.Cost(seconds, memory, tuple(drivers), hint)


HVP_PASSES = 2.0  # a Hessian-vector product costs about two gradients (R-forward and R-backward beside them)


def _hvps_per_step(entry: dict) -> float:
    """Hessian-vector products an entry's optimizer asks for per step, on average: Sophia's
    ``num_samples`` every ``update_period`` steps (pytorch_optimizer.SophiaH's names); 0 for the others."""
    if entry.get("name") != "sophia":
        return 0.0
    params = entry.get("params", {})
    return float(params.get("num_samples", 1)) / max(1.0, float(params.get("update_period", 1)))


def _layout(spec, n_in, n_classes):
    n_out = 1 if spec["loss"] == "binary_cross_entropy" else n_classes
    return mlp.make_layout(n_in, spec["model"]["hidden"], n_out)


def _prepare(spec):
    X, y = load(spec["dataset"])
    n_classes = int(y.max()) + 1
    Xtr, ytr, Xva, yva = datasets.train_val_split(X, y, spec["dataset"]["val_fraction"], spec["seed"])
    # standardize with training statistics only, so validation stays unseen
    mean = Xtr.mean(axis=0)
    std = Xtr.std(axis=0)
    std = np.where(std > 0.0, std, 1.0)
    layout = _layout(spec, X.shape[1], n_classes)
    theta0 = init_params(layout, spec["model"]["activation"], np.random.default_rng(spec["seed"]))
    ctx = {"Xtr": (Xtr - mean) / std, "ytr": ytr, "Xva": (Xva - mean) / std, "yva": yva,
           "raw_tr": Xtr, "raw_va": Xva, "mean": mean, "std": std,
           "layout": layout, "theta0": theta0, "n_classes": n_classes}
    ctx["grid"] = _boundary_grid(ctx, spec["boundary_size"])
    return ctx


def _batches(n: int, batch_size: int, seed: int, epoch: int):
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _evaluate(theta, ctx, spec, X, y) -> tuple[float, float]:
    if len(X) == 0:
        return None, None
    act, loss = spec["model"]["activation"], spec["loss"]
    value, _ = mlp.loss_and_grad(theta, ctx["layout"], X, y, act, loss, spec["l2"])
    acc = mlp.accuracy(theta, ctx["layout"], X, y, act)
    return float(value), float(acc)


def _boundary_grid(ctx, size: int) -> dict | None:
    """The grid over the (raw) 2-D data on which decision boundaries are drawn."""
    raw = np.concatenate([ctx["raw_tr"], ctx["raw_va"]])
    if raw.shape[1] != 2:
        return None
    lo = raw.min(axis=0) - BOUNDARY_MARGIN
    hi = raw.max(axis=0) + BOUNDARY_MARGIN
    xs = np.linspace(lo[0], hi[0], size)
    ys = np.linspace(lo[1], hi[1], size)
    gx, gy = np.meshgrid(xs, ys)
    pts = (np.stack([gx.ravel(), gy.ravel()], axis=1) - ctx["mean"]) / ctx["std"]
    return {"x": xs, "y": ys, "points": pts}


def _boundary(theta, ctx, spec, epoch: int, rows: int, done: int, total: int):
    """Predicted class and its probability at every grid point, rows = increasing y.

    A generator: the grid is predicted ``rows`` points at a time, with a progress
    item after each block (every row of the network's output depends on its own
    input row only, so the blocks give the same bits as one pass); it returns the
    boundary dict.
    """
    g = ctx["grid"]
    size = len(g["x"])
    parts = []
    for start in range(0, len(g["points"]), rows):
        parts.append(mlp.predict(theta, ctx["layout"], g["points"][start:start + rows],
                                 spec["model"]["activation"], spec["loss"]))
        yield {"done": done, "total": total, "phase": "train"}
    proba = np.concatenate(parts)
    cls = proba.argmax(axis=1) if proba.shape[1] > 1 else (proba[:, 0] >= 0.5).astype(np.int64)
    conf = proba.max(axis=1) if proba.shape[1] > 1 else np.where(cls == 1, proba[:, 0], 1.0 - proba[:, 0])
    return {"epoch": epoch, "cls": cls.reshape(size, size).tolist(), "prob": conf.reshape(size, size).tolist()}


def _boundary_rows(spec, ctx) -> int:
    """Grid points per block of a boundary pass: about PROGRESS_SECONDS of work, at least two
    (kernels.matmul takes another route for a single row)."""
    layout = ctx["layout"]
    units = sum(spec["model"]["hidden"]) + layout.n_out
    per_row = pass_seconds(1, layout.size, units) - STEP_SECONDS
    return max(2, budget.chunk(per_row))


def layer_blocks(layout) -> list:
    """The network's parameter arrays inside θ as ``[(start, shape), ...]``: W1, b1, W2, b2, ..."""
    return [b for s in layout.layers for b in ((s.w_offset, s.w_shape), (s.b_offset, s.b_shape))]


def init_state(opt, theta, layout):
    """``opt.init(θ)``, given the layer ``blocks`` when its init takes them (LAMB per layer,
    Adafactor factored per matrix, Muon per hidden matrix); θ is one vector for the others."""
    try:
        takes_blocks = "blocks" in inspect.signature(opt.init).parameters
    except (TypeError, ValueError):  # a builtin without a signature takes θ only
        takes_blocks = False
    if takes_blocks:
        return opt.init(theta, blocks=layer_blocks(layout))
    return opt.init(theta)


def _plan(entries: list, entry: dict, field: str, stop) -> list:
    """The optimizers a run steps with: ``[(entry, field, until, fresh), ...]``, in order.

    A run that forks run i at step k replays run i (its own plan: a fork of a fork
    replays its grandparent first) up to step k with run i's settings, over the same
    mini-batches, so its weights, losses and snapshots are run i's bit for bit; from
    step k + 1 it steps with its own optimizer, whose state is run i's when
    :func:`optimizer_spec.keeps_state` says so (the same optimizer), else fresh
    (``init(θ_k)``).  ``until``: the last step of the segment; ``fresh``: whether the
    segment starts from its own ``init``.  As :func:`landscape.fork_carry`.
    """
    fork = entry.get("fork")
    if fork is None:
        return [(entry, field, stop, True)]
    at = next((i for i, e in enumerate(entries) if e is entry), len(entries))
    if not 0 <= fork["run"] < at:  # run alone (a tune's grid run): its parent is not in this spec
        raise SpecError(f"{field}.fork.run", f"must be an earlier run of the same spec, from 0 to {at - 1},"
                        f" got {fork['run']}" if at else "the first optimizer has no earlier run to fork from")
    parent = entries[fork["run"]]
    plan = _plan(entries, parent, f"optimizers[{fork['run']}]", min(fork["step"], stop))
    if fork["step"] >= stop:  # the fork's own steps start after the end: it is its parent
        return plan
    return plan + [(entry, field, stop, not optimizer_spec.keeps_state(parent, entry))]


class _Run:
    """One optimizer's training state, advanced an epoch at a time (following its ``fork``)."""

    def __init__(self, entry, ctx, spec, field):
        self.entry = entry
        self.plan = _plan(spec["optimizers"], entry, field, math.inf)
        self.segment = -1
        self.layout = ctx["layout"]
        self.clipped = 0
        self.theta = ctx["theta0"].copy()
        self.state = None
        self._begin_segment()
        self.step = 0
        self.train_loss: list[float] = []
        self.train_loss_ema: list[float] = []  # the per-step loss smoothed (see _smooth)
        self._ema = 0.0  # m_t of the moving average, before its bias correction
        self._ema_weight = 1.0  # β^t, by repeated multiplication (no float **)
        self.epochs = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
        self.snapshots = [self.theta.tolist()]
        self.snapshot_steps = [0]
        self.diverged_at = None
        self.boundaries = []

    def _begin_segment(self) -> None:
        """Step with the next optimizer of the plan from now on (its state kept or fresh)."""
        self.segment += 1
        entry, field, self.until, fresh = self.plan[self.segment]
        self.opt = optimizer_spec.make(entry, field, clip=False)  # clipped in train, where steps are counted
        self.clip = optimizer_spec.clipper(entry)  # None, or the entry's clip_grad_norm / clip_grad_value
        self.probe = getattr(self.opt, "probe", None)  # SAM's offset to its probe point
        self.wants_hessian = getattr(self.opt, "wants_hessian", None)  # Sophia's: refresh its estimate now?
        self.own = self.segment == len(self.plan) - 1  # the run's own steps (clipped counts those only)
        if fresh:
            self.state = init_state(self.opt, self.theta, self.layout)

    def hessian(self, idx, spec, ctx):
        """The Hessian estimate the loop passes to the next step's update on mini-batch ``idx``.

        Hutchinson's estimate of diag(∇²L(θ)) of the mini-batch loss (with l2), from exact
        Hessian-vector products (:func:`descentlab.nn.hvp.hvp`) and the draws of
        ``default_rng([seed, HUTCHINSON_STREAM, step])``, step the one about to be taken; None
        when the optimizer takes no Hessian or does not refresh it at this step.

        Returns
        -------
        ndarray of float64, shape (layout.size,), or None
        """
        if self.wants_hessian is None or not self.wants_hessian(self.state):
            return None
        X, y = ctx["Xtr"][idx], ctx["ytr"][idx]
        act, loss, l2 = spec["model"]["activation"], spec["loss"], spec["l2"]
        theta, layout = self.theta, ctx["layout"]
        rng = np.random.default_rng([spec["seed"], HUTCHINSON_STREAM, self.step + 1])
        return self.opt.hutchinson(lambda v: hvp(theta, layout, X, y, act, loss, l2, v), theta.size, rng)

    def train(self, spec, ctx, batches) -> None:
        """One optimizer step per mini-batch (a list of row indices) of ``batches``."""
        if self.diverged_at is not None:
            return
        act, loss = spec["model"]["activation"], spec["loss"]
        for idx in batches:
            if self.step >= self.until:  # a fork's own steps begin
                self._begin_segment()
            value, grad = mlp.loss_and_grad(self.theta, ctx["layout"], ctx["Xtr"][idx], ctx["ytr"][idx],
                                            act, loss, spec["l2"])
            if self.probe is not None:  # SAM: the gradient of the same mini-batch at the probe point θ + ε
                grad = mlp.loss_and_grad(self.theta + self.probe(grad, self.theta), ctx["layout"], ctx["Xtr"][idx],
                                         ctx["ytr"][idx], act, loss, spec["l2"])[1]
            if self.clip is not None:  # over all the weights at once, as torch's clip_grad_norm_ over all parameters
                grad, hit = self.clip(grad)
                self.clipped += hit if self.own else 0
            if self.wants_hessian is None:
                updates, new_state = self.opt.update(grad, self.state, self.theta)
            else:  # Sophia: the Hessian at the same θ and mini-batch (the clipped gradient, unclipped curvature)
                updates, new_state = self.opt.update(grad, self.state, self.theta,
                                                     hessian=self.hessian(idx, spec, ctx))
            new_theta = self.theta + updates
            self.step += 1
            if not (np.isfinite(value) and np.all(np.isfinite(new_theta))
                    and np.all(np.abs(new_theta) <= DIVERGENCE_BOUND)):
                self.diverged_at = self.step
                return
            self.train_loss.append(float(value))
            self.train_loss_ema.append(self._smooth(float(value)))
            self.theta, self.state = new_theta, new_state
            if self.step % spec["snapshot_every"] == 0:
                self.snapshots.append(self.theta.tolist())
                self.snapshot_steps.append(self.step)

    def _smooth(self, value: float) -> float:
        """The next point of the smoothed loss: a bias-corrected exponential moving average.

        ``m_t = β m_{t-1} + (1 - β) ℓ_t`` and ``m_t / (1 - β^t)`` (β = ``LOSS_EMA_BETA``), as
        Adam corrects its moments, so the first steps are not pulled towards 0.
        """
        self._ema = LOSS_EMA_BETA * self._ema + (1.0 - LOSS_EMA_BETA) * value
        self._ema_weight = self._ema_weight * LOSS_EMA_BETA
        return self._ema / (1.0 - self._ema_weight)

    def end_epoch(self, spec, ctx) -> None:
        """Loss and accuracy on the training and validation sets after an epoch."""
        if self.diverged_at is not None:
            return
        tl, ta = _evaluate(self.theta, ctx, spec, ctx["Xtr"], ctx["ytr"])
        vl, va = _evaluate(self.theta, ctx, spec, ctx["Xva"], ctx["yva"])
        if not np.isfinite(tl):
            self.diverged_at = self.step
            return
        for key, val in zip(("train_loss", "train_acc", "val_loss", "val_acc"), (tl, ta, vl, va)):
            self.epochs[key].append(val)

    def result(self, spec, ctx) -> dict:
        out = dict(self.entry)
        out.update(train_loss=self.train_loss, train_loss_ema=self.train_loss_ema, epochs=self.epochs,
                   snapshots=self.snapshots,
                   snapshot_steps=self.snapshot_steps, diverged_at=self.diverged_at,
                   steps_run=len(self.train_loss), boundaries=self.boundaries,
                   weights=self.theta.tolist())
        if self.clip is not None:
            out["clipped"] = self.clipped  # optimizer steps whose gradient the clipping changed
        return out


def replay(checked: dict, ctx: dict, run: int, step: int):
    """Run ``run`` of a checked network spec replayed to just before step ``step`` (from 1).

    The replay is :meth:`_Run.train` itself over the same mini-batches, following the
    run's fork, so θ and the optimizer state carry the recorded run's bits.  The
    per-epoch evaluations are skipped: they change neither.

    Parameters
    ----------
    checked : dict
        A validated network spec (:func:`read_spec`).
    ctx : dict
        Its :func:`_prepare` context.
    run : int
        Index into ``checked["optimizers"]``.
    step : int
        The step about to be taken, 1 .. :func:`run_steps`.

    Returns
    -------
    r : _Run
        θ (``r.theta``, shape (layout.size,)) and ``r.state`` after step ``step - 1``;
        ``r.diverged_at`` is set when the run diverged before (θ is then the last finite one).
        ``r.hessian(idx, checked, ctx)`` is the Hessian estimate step ``step`` is given.
    idx : ndarray of int, shape (batch,)
        Step ``step``'s mini-batch: row indices into ``ctx["Xtr"]``.
    """
    n = len(ctx["Xtr"])
    per_epoch = -(-n // checked["batch_size"])  # _batches' mini-batches per epoch
    r = _Run(checked["optimizers"][run], ctx, checked, f"optimizers[{run}]")
    epoch, at = divmod(step - 1, per_epoch)
    for e in range(epoch):
        r.train(checked, ctx, _batches(n, checked["batch_size"], checked["seed"], e))
        if r.diverged_at is not None:
            break
    batches = _batches(n, checked["batch_size"], checked["seed"], epoch)
    r.train(checked, ctx, batches[:at])
    return r, batches[at]


def _stopped_result(spec: dict, runs: list, marks: dict, per_epoch: int) -> dict:
    """What the runs had trained at the end of epoch k = ``marks["epoch"]``, as a projection takes it.

    Every run as :class:`_Run.result` gives it for a training of k epochs with the same
    ``snapshot_every`` (:func:`stopped_spec`): the same mini-batches, so the same bits.

    Returns
    -------
    dict
        ``{"stopped_after_epoch": k, "snapshot_every", "steps_per_epoch", "runs": [{"name",
        "label", "color", "diverged_at", "snapshot_steps", "snapshots" (m, size), "weights"
        (size,)}, ...]}``.
    """
    out = []
    for r, (kept, theta, diverged_at) in zip(runs, marks["runs"]):
        out.append({"name": r.entry["name"], "label": r.entry.get("label"), "color": r.entry.get("color"),
                    "diverged_at": diverged_at, "snapshot_steps": r.snapshot_steps[:kept],
                    "snapshots": r.snapshots[:kept], "weights": theta.tolist()})
    return {"stopped_after_epoch": marks["epoch"], "snapshot_every": spec["snapshot_every"],
            "steps_per_epoch": per_epoch, "runs": out}


def stopped_spec(spec: dict, epochs: int, snapshot_every: int, steps_per_epoch: int) -> dict:
    """The network spec whose training is ``spec``'s run stopped after epoch ``epochs``.

    ``spec`` as the page sent it; the copy trains ``epochs`` epochs with ``spec``'s resolved
    ``snapshot_every`` (``"auto"`` would resolve differently for fewer epochs), and a fork at
    a step past the end forks at the last step instead (it was its parent that far), so it
    validates and its training is the stopped run's, bit for bit.
    """
    last = epochs * steps_per_epoch
    optimizers = [dict(o, fork=dict(o["fork"], step=min(o["fork"]["step"], last)))
                  if isinstance(o, dict) and isinstance(o.get("fork"), dict) and isinstance(o["fork"].get("step"), int)
                  else o for o in spec["optimizers"]]
    return dict(spec, epochs=epochs, snapshot_every=snapshot_every, optimizers=optimizers)


def _step_seconds(spec, ctx) -> float:
    layout = ctx["layout"]
    units = sum(spec["model"]["hidden"]) + layout.n_out
    batch = min(spec["batch_size"], len(ctx["Xtr"]))
    return pass_seconds(batch, layout.size, units) + PARAM_SECONDS * layout.size


def iterate(spec: dict, stopped: list | None = None):
    """Train every optimizer epoch by epoch, yielding progress after each epoch.

    Within an epoch, bare ``{"done", "total", "phase": "train"}`` items (no
    ``runs``) mark every ``budget.PROGRESS_SECONDS`` of estimated work, so a
    caller can report progress and stop between any two of them.  Each epoch's
    item also says ``snapshot_every`` (``"auto"`` resolved) and ``steps_per_epoch``,
    so that a page can name the run stopped there (:func:`stopped_spec`).

    ``stopped``: when a list, ``stopped[0]`` is set to a function giving what the
    runs trained up to the last finished epoch (:func:`_stopped_result`), so a
    caller that closes the generator early (Stop) keeps the run stopped there.
    """
    ctx = _prepare(spec)
    runs = [_Run(entry, ctx, spec, f"optimizers[{i}]") for i, entry in enumerate(spec["optimizers"])]
    per_epoch = -(-len(ctx["Xtr"]) // spec["batch_size"])
    marks = {"epoch": 0, "runs": []}  # at the last finished epoch: each run's (snapshots kept, θ, diverged_at)
    if stopped is not None:
        stopped[:] = [lambda: _stopped_result(spec, runs, marks, per_epoch)]
    total = spec["epochs"]
    every = -(-total // BOUNDARY_UPDATES)
    per_chunk = budget.chunk(_step_seconds(spec, ctx))
    grid_coords = None if ctx["grid"] is None else {"x": ctx["grid"]["x"].tolist(), "y": ctx["grid"]["y"].tolist()}
    rows = _boundary_rows(spec, ctx)
    if ctx["grid"] is not None:
        for r in runs:
            r.boundaries.append((yield from _boundary(r.theta, ctx, spec, 0, rows, 0, total)))
    for epoch in range(total):
        sent = [len(r.train_loss) for r in runs]
        batches = _batches(len(ctx["Xtr"]), spec["batch_size"], spec["seed"], epoch)
        for run in runs:
            for start in range(0, len(batches), per_chunk):
                run.train(spec, ctx, batches[start:start + per_chunk])
                yield {"done": epoch, "total": total, "phase": "train"}
            run.end_epoch(spec, ctx)
        # progress carries only what is new, so streaming stays linear in the run length;
        # boundaries cost a forward pass over a grid, so about BOUNDARY_UPDATES per run
        draw = (epoch + 1) % every == 0 or epoch == 0 or epoch + 1 == total
        if draw and ctx["grid"] is not None:
            for r in runs:
                if r.diverged_at is None:
                    r.boundaries.append((yield from _boundary(r.theta, ctx, spec, epoch + 1, rows, epoch, total)))
        marks.update(epoch=epoch + 1, runs=[(len(r.snapshots), r.theta, r.diverged_at) for r in runs])
        yield {"done": epoch + 1, "total": total, "epoch": epoch + 1, "phase": "train",
               "boundary_grid": grid_coords, "snapshot_every": spec["snapshot_every"], "steps_per_epoch": per_epoch,
               "runs": [{"train_loss_since": n, "train_loss": r.train_loss[n:],
                         "train_loss_ema": r.train_loss_ema[n:],
                         "epochs": {k: v[-1:] for k, v in r.epochs.items()},
                         "diverged_at": r.diverged_at,
                         "boundary": r.boundaries[-1] if draw and r.boundaries else None}
                        for r, n in zip(runs, sent)]}
    layout = ctx["layout"]
    yield {"done": total, "total": total, "result": {
        "kind": "network", "dataset": spec["dataset"] if "points" not in spec["dataset"] else
        {"points": len(spec["dataset"]["points"]), "val_fraction": spec["dataset"]["val_fraction"]},
        "model": spec["model"], "loss": spec["loss"], "n_classes": ctx["n_classes"],
        "layers": [[int(a), int(b)] for a, b in layout.shapes] if hasattr(layout, "shapes") else None,
        "n_parameters": int(layout.size), "loss_ema_beta": LOSS_EMA_BETA, "epochs": spec["epochs"], "batch_size": spec["batch_size"],
        "seed": spec["seed"], "initial_weights": ctx["theta0"].tolist(),
        "data": {"train": {"X": ctx["raw_tr"].tolist(), "y": ctx["ytr"].tolist()},
                 "val": {"X": ctx["raw_va"].tolist(), "y": ctx["yva"].tolist()}},
        "boundary_grid": grid_coords,
        "runs": [r.result(spec, ctx) for r in runs]}}
