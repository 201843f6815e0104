"""Where each optimizer went in weight space: the ``"projection"`` spec.

A network spec is trained (deterministically, so the CLI and the page get the
same snapshots), then the weight snapshots of *all* optimizers are stacked and
mapped to 2-D together, so that paths can be compared in one picture:

* the PCA plane of all snapshots, with the training loss evaluated on a grid
  over that plane and drawn as contours (Li, Xu, Taylor, Studer & Goldstein,
  2018, "Visualizing the Loss Landscape of Neural Nets", NeurIPS, section 7),
  and the share of the paths' variance the plane explains, which says how far
  the picture can be trusted;
* a joint t-SNE map of the same snapshots (van der Maaten & Hinton, 2008).

With ``"target": "activations"`` it instead embeds the last hidden layer's
activations of one trained run (or the raw data with ``"data"``), coloured by
class: what the network has learned to separate.

The network may already have been trained: the browser worker keeps the Network view's
last training, finished or stopped after epoch k (then as the training of its spec cut to k
epochs), (``worker_glue``) and lends it through :data:`TRAINED`; the progress item then says
``"reused"`` (and ``"stopped_after_epoch": k``). Training is
deterministic, so its snapshots and weights are those a new training would give, bit for
bit, and the projection (and its digest) is the same either way; only the time differs.
"""

from __future__ import annotations

import numpy as np

from . import budget, contours, network, tsne
from .errors import SpecError
from .nn import mlp
from .pca import cost_seconds as pca_cost_seconds, pca_steps
from .fields import Fields

MAX_GRID = 41  # loss evaluations per side of the PCA plane
GRID_MARGIN = 0.25  # the grid extends past the paths by this fraction of their extent
CONTOUR_LEVELS = 16
MAX_TSNE_ITER = 2000
TARGETS = ("trajectories", "activations", "data")
PCA_COPIES = 4  # copies of the stacked snapshots alive during PCA

#: Networks already trained: ``TRAINED.get(net)`` gives ``{"runs": [...]}`` for exactly the
#: validated network spec ``net`` (each run with ``snapshots``, ``snapshot_steps``,
#: ``weights``, ``diverged_at``, ``name``, ``label``, ``color``) or None, and
#: ``TRAINED.put(net, result)`` keeps a training made here. None: always train. The browser
#: worker sets it (``worker_glue.TRAINED``); natively the network is trained each time.
TRAINED = None


def read_spec(spec: dict) -> dict:
    fields = Fields(spec, "")
    fields.choice("kind", {"projection"})
    try:
        net = network.read_spec(_with_kind(fields.value("network"), "network"))
    except SpecError as e:  # name the field where it sits in this spec
        raise SpecError(e.field if e.field.startswith("network") else f"network.{e.field}", e.message) from None
    out = {
        "kind": "projection", "network": net,
        "target": fields.choice("target", TARGETS, "trajectories"),
        "perplexity": fields.number("perplexity", tsne.MIN_PERPLEXITY, tsne.MAX_PERPLEXITY, 30.0),
        "max_iter": fields.number("max_iter", 250, MAX_TSNE_ITER, 500, integer=True),
        "seed": fields.number("seed", 0, tsne.MAX_SEED, 0, integer=True),
        "grid": fields.number("grid", 5, MAX_GRID, 21, integer=True),
        "run": fields.number("run", 0, len(net["optimizers"]) - 1, 0, integer=True),
        "layer": fields.number("layer", -len(net["model"]["hidden"]) or -1, max(len(net["model"]["hidden"]) - 1, 0), -1,
                               integer=True),
    }
    if out["target"] == "activations" and not net["model"]["hidden"]:
        raise SpecError("target", "activations need a network with at least one hidden layer")
    fields.done()
    sizes = _sizes(net)
    if out["target"] == "trajectories":
        if net["snapshot_every"] > sizes["steps"]:
            raise SpecError("network.snapshot_every", f"must be at most {sizes['steps']}, the steps of one run,"
                            " so that every run keeps at least two snapshots to draw a path")
        if sizes["snapshots"] < tsne.MIN_POINTS:
            raise SpecError("network.snapshot_every", f"keeps {sizes['snapshots']} snapshots in all; the projection"
                            f" needs at least {tsne.MIN_POINTS}: lower snapshot_every, or train longer")
    budget.check(cost(out, sizes))
    return out


def _sizes(net: dict) -> dict:
    """What a validated network spec's dataset and model make (read once): ``shape`` of the data,
    ``layout``, ``steps`` of one run, training rows ``n_train`` and ``snapshots`` of all runs."""
    X, y = network.load(net["dataset"])
    layout = network._layout(net, X.shape[1], int(y.max()) + 1)
    steps = network.run_steps(net, len(X))
    return {"shape": X.shape, "layout": layout, "steps": steps,
            "n_train": len(X) - int(len(X) * net["dataset"]["val_fraction"]),
            "snapshots": len(net["optimizers"]) * (steps // net["snapshot_every"] + 1)}


def cost(spec: dict, sizes: dict | None = None) -> budget.Cost:
    """Estimated time and memory: training, then the loss plane, PCA and t-SNE of the snapshots."""
    net = spec["network"]
    sizes = sizes or _sizes(net)
    layout, (n, d) = sizes["layout"], sizes["shape"]
    train = network.cost(net, sizes["shape"], layout)
    units = sum(net["model"]["hidden"]) + layout.n_out
    if spec["target"] == "trajectories":
        points, dims = sizes["snapshots"], layout.size
        plane = spec["grid"] * spec["grid"] * network.pass_seconds(sizes["n_train"], layout.size, units)
        analysis = plane + pca_cost_seconds(points, dims)
        drivers = (("network.snapshot_every", net["snapshot_every"]), ("network.epochs", net["epochs"]),
                   ("network.optimizers", f"{len(net['optimizers'])} runs"), ("max_iter", spec["max_iter"]),
                   ("grid", spec["grid"]))
        hint = ("Keep fewer snapshots (a larger snapshot_every, fewer epochs or optimizers), or fewer"
                " t-SNE iterations.")
    else:
        points, dims = n, d
        analysis = 0.0
        drivers = (("network.dataset", f"{n} points"), ("max_iter", spec["max_iter"]))
        hint = "Use fewer points or fewer t-SNE iterations."
    embed = tsne.exact_cost(points, dims, spec["max_iter"])
    seconds = train.seconds + analysis + embed.seconds
    memory = max(train.memory, embed.memory + points * dims * budget.FLOAT_BYTES * PCA_COPIES)
    if train.seconds > budget.SECONDS or train.memory > budget.MEMORY_BYTES:
        return budget.Cost(seconds, memory, tuple(("network." + f, v) for f, v in train.drivers), train.hint)
    return budget.Cost(seconds, memory, drivers, hint)


def _with_kind(obj, kind):
    if not isinstance(obj, dict):
        raise SpecError("network", "must be a network spec (an object)")
    return {**obj, "kind": kind}


def _perplexity_for(n: int, asked: float) -> float:
    """sklearn requires perplexity < n / 3 (n - 1 neighbours); smaller sets get a smaller one."""
    return float(min(asked, max(tsne.MIN_PERPLEXITY, (n - 1) / 3.0 - 1.0)))


def _tsne(X, perplexity, seed, max_iter, offset, total, extra=None):
    """Exact t-SNE of the rows of X, yielding progress; returns (embedding, info)."""
    n = X.shape[0]
    perp = _perplexity_for(n, perplexity)
    steps = tsne.conditional_probabilities(X, perp)
    while True:  # affinities: one progress item per block of rows
        try:
            next(steps)
        except StopIteration as stop:
            P = stop.value[0]
            break
        yield {"done": offset, "total": total, "phase": "tsne", "heartbeat": True}
    P = tsne.symmetrize(P)
    yield {"done": offset, "total": total, "phase": "tsne", "heartbeat": True}
    objective = tsne.ExactObjective(P)
    yield {"done": offset, "total": total, "phase": "tsne", "heartbeat": True}
    # a PCA start needs two directions; 1-D data (or a hidden layer one unit wide) starts at random
    beat = {"done": offset, "total": total, "phase": "tsne", "heartbeat": True}
    Y = yield from budget.beats(tsne.initial_embedding_steps(X, "pca" if X.shape[1] >= 2 else "random", seed), beat)
    lr = tsne.learning_rate_auto(n, tsne.EARLY_EXAGGERATION)
    step = {"done": 0, "Y": Y, "kl": None}
    for step in tsne.descend(objective, Y, max_iter=max_iter, learning_rate=lr,
                             early_exaggeration=tsne.EARLY_EXAGGERATION,
                             early_exaggeration_iter=min(tsne.EARLY_EXAGGERATION_ITER, max_iter),
                             beat_every=budget.chunk(tsne.exact_iteration_seconds(n))):
        if step.get("heartbeat"):
            yield {"done": offset + step["done"], "total": total, "phase": "tsne", "heartbeat": True}
            continue
        yield {"done": offset + step["done"], "total": total, "phase": "tsne", "embedding": step["Y"].tolist(),
               "kl": step["kl"], **(extra or {})}
    return step["Y"], {"method": "exact", "perplexity": perp, "kl": step["kl"], "iterations": step["done"],
                       "n": n}


def _loss_plane(ctx, spec, basis, mean, extent, size, offset, total):
    """Training loss at theta = mean + a c1 + b c2 on a size x size grid; yields after every few cells."""
    net = spec["network"]
    xs = np.linspace(extent[0][0], extent[0][1], size)
    ys = np.linspace(extent[1][0], extent[1][1], size)
    z = np.empty((size, size))
    units = sum(net["model"]["hidden"]) + ctx["layout"].n_out
    per_chunk = budget.chunk(network.pass_seconds(len(ctx["Xtr"]), ctx["layout"].size, units))
    for cell in range(size * size):
        i, j = divmod(cell, size)
        theta = mean + xs[j] * basis[0] + ys[i] * basis[1]
        z[i, j], _ = mlp.loss_and_grad(theta, ctx["layout"], ctx["Xtr"], ctx["ytr"],
                                       net["model"]["activation"], net["loss"], net["l2"])
        if (cell + 1) % per_chunk == 0 or j == size - 1:
            yield {"done": offset + i + (j == size - 1), "total": total, "phase": "loss plane"}
    return xs, ys, z


def _spread(X) -> float:
    """The largest range of any column: 0 when all rows are identical."""
    return float((X.max(axis=0) - X.min(axis=0)).max()) if len(X) else 0.0


def iterate(spec: dict):
    """Train the network spec, then project: progress items, and last ``{"result": ...}``."""
    net = spec["network"]
    grid_rows = spec["grid"] if spec["target"] == "trajectories" else 0
    total = net["epochs"] + grid_rows + spec["max_iter"]
    trained = TRAINED
    result = trained.get(net) if trained is not None else None
    if result is not None:  # the same snapshots a training would make: nothing to train
        stopped = result.get("stopped_after_epoch")
        yield {"done": net["epochs"], "total": total, "phase": "train", "reused": True,
               **({"stopped_after_epoch": stopped} if stopped else {})}
    else:
        for item in network.iterate(net):
            if "result" in item:
                result = item["result"]
            else:
                yield {"done": item["done"], "total": total, "phase": "train"}
        if trained is not None:
            trained.put(net, result)
    ctx = network._prepare(net)
    runs = [{"name": r["name"], "label": r.get("label"), "color": r.get("color"), "diverged_at": r["diverged_at"],
             "snapshot_steps": r["snapshot_steps"]} for r in result["runs"]]
    out = {"kind": "projection", "target": spec["target"], "runs": runs}
    project = _trajectories if spec["target"] == "trajectories" else _points
    yield from project(spec, ctx, result, out, total)
    yield {"done": total, "total": total, "result": out}


def _trajectories(spec, ctx, result, out, total):
    """The PCA plane with the loss over it, and the joint t-SNE map, of every run's snapshots (into ``out``)."""
    epochs, runs = spec["network"]["epochs"], out["runs"]
    stacked = np.array([s for r in result["runs"] for s in r["snapshots"]], dtype=np.float64)
    owner = np.concatenate([np.full(len(r["snapshots"]), i) for i, r in enumerate(result["runs"])])
    if len(stacked) < tsne.MIN_POINTS or not _spread(stacked) > 0.0:
        # every run diverged before it moved: nothing to spread over a plane or a map
        out["note"] = ("The runs kept too few distinct snapshots to project (each diverged or stopped"
                       " before its weights changed). Lower the learning rates, or train longer.")
        return
    plane = yield from budget.beats(pca_steps(stacked, 2, seed=spec["seed"]),
                                   {"done": epochs, "total": total, "phase": "pca", "heartbeat": True})
    P = plane["projected"]
    lo, hi = P.min(axis=0), P.max(axis=0)
    pad = GRID_MARGIN * np.maximum(hi - lo, 1e-12)
    extent = [[float(lo[0] - pad[0]), float(hi[0] + pad[0])], [float(lo[1] - pad[1]), float(hi[1] + pad[1])]]
    xs, ys, z = yield from _loss_plane(ctx, spec, plane["components"], plane["mean"], extent, spec["grid"],
                                       epochs, total)
    levels, base, offset = contours.log_levels(z, CONTOUR_LEVELS)
    out["pca"] = {
        "explained_variance_ratio": plane["explained_variance_ratio"].tolist(),
        "explained": float(plane["explained_variance_ratio"].sum()),
        "grid": {"x": xs.tolist(), "y": ys.tolist(), "loss": z.tolist(), "shade": contours.shade(z, base, offset).tolist(),
                 "levels": levels.tolist(),
                 "contours": [contours.segments(xs, ys, z, lv).ravel().tolist() for lv in levels]},
    }
    for i, run in enumerate(runs):
        run["pca_path"] = P[owner == i].tolist()
    counts = {"counts": [len(r["snapshots"]) for r in result["runs"]]}  # to split the streamed map by run
    Y, info = yield from _tsne(stacked, spec["perplexity"], spec["seed"], spec["max_iter"],
                               epochs + spec["grid"], total, counts)
    for i, run in enumerate(runs):
        run["tsne_path"] = Y[owner == i].tolist()
    out["tsne"] = info


def _points(spec, ctx, result, out, total):
    """The t-SNE map of the data, or of one trained run's hidden activations, coloured by class (into ``out``)."""
    net = spec["network"]
    X = np.concatenate([ctx["Xtr"], ctx["Xva"]])
    labels = np.concatenate([ctx["ytr"], ctx["yva"]])
    if spec["target"] == "activations":
        theta = np.array(result["runs"][spec["run"]]["weights"])
        X = mlp.hidden_activations(theta, ctx["layout"], X, net["model"]["activation"], spec["layer"])
    if not _spread(X) > 0.0:
        out["note"] = ("Every point has the same " + ("activations" if spec["target"] == "activations"
                       else "coordinates") + ": there is nothing to map. A layer whose units are all"
                       " saturated or dead (relu) gives this; try another run, layer or activation.")
        return
    Y, info = yield from _tsne(X, spec["perplexity"], spec["seed"], spec["max_iter"], net["epochs"], total,
                               {"labels": labels.tolist()})
    out["tsne"] = info
    out["points"] = {"embedding": Y.tolist(), "labels": labels.tolist(), "run": spec["run"],
                     "layer": spec["layer"], "dimensions": int(X.shape[1])}
