"""pykan's own runs for nonlin's comparisons, on this machine (pykan is not part of nonlin).

Two workloads (REFERENCES.md §5), each printing one JSON line on stdout:
  hello      hello KAN, KAN [2, 5, 1], grid 3: LBFGS 50 (λ 1e-3) → prune → LBFGS 50 →
             refine(10) → LBFGS 50 → auto_symbolic → LBFGS 50; wall time per stage and test RMSE
  grid       grid extension, KAN [2, 1, 1]: grids 3 → 10 → 20 → 50 → 100, LBFGS 200 steps each;
             test RMSE, parameter count and wall time per grid

Run with Debian's python3 (torch) and a pykan checkout (never committed here):
  /usr/bin/python3 bench/pykan_reference.py hello --pykan /tmp/pykan
"""
import argparse
import json
import os
import sys
import tempfile
import time
from typing import Callable, Dict, List


def import_pykan(path: str):
    sys.path.insert(0, path)
    import torch  # noqa: F401  (imported here so the thread settings below apply first)
    import kan
    return kan


def hello_kan(kan, seed: int) -> Dict[str, object]:
    import torch
    from kan.utils import create_dataset
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)
    dataset = create_dataset(f, n_var=2, device="cpu")
    stages: Dict[str, float] = {}
    rmse: Dict[str, float] = {}

    def stage(name: str, run: Callable[[], object]) -> object:
        started = time.perf_counter()
        out = run()
        stages[name] = time.perf_counter() - started
        return out

    def fit(name: str, model, **kw) -> None:
        results = stage(name, lambda: model.fit(dataset, opt="LBFGS", steps=50, **kw))
        rmse[name] = float(results["test_loss"][-1])

    started = time.perf_counter()
    model = stage("init", lambda: kan.KAN(width=[2, 5, 1], grid=3, k=3, seed=seed, device="cpu"))
    fit("lbfgs_sparse", model, lamb=0.001)
    model = stage("prune", lambda: model.prune())
    fit("lbfgs_pruned", model)
    model = stage("refine", lambda: model.refine(10))
    fit("lbfgs_refined", model)
    lib = ["x", "x^2", "x^3", "x^4", "exp", "log", "sqrt", "tanh", "sin", "abs"]
    stage("auto_symbolic", lambda: model.auto_symbolic(lib=lib, verbose=0))
    fit("lbfgs_symbolic", model)
    total = time.perf_counter() - started
    formula = str(kan.utils.ex_round(model.symbolic_formula()[0][0], 4))
    return {"workload": "hello", "seconds": total, "stages": stages, "test_rmse": rmse, "formula": formula}


def grid_extension(kan, seed: int, grids: List[int]) -> Dict[str, object]:
    import torch
    from kan.utils import create_dataset
    f = lambda x: torch.exp(torch.sin(torch.pi * x[:, [0]]) + x[:, [1]] ** 2)
    dataset = create_dataset(f, n_var=2, device="cpu")
    rows: List[Dict[str, float]] = []
    model = None
    for grid in grids:
        started = time.perf_counter()
        if model is None:
            model = kan.KAN(width=[2, 1, 1], grid=grid, k=3, seed=seed, device="cpu")
        else:
            model = model.refine(grid)
        results = model.fit(dataset, opt="LBFGS", steps=200)
        params = sum(p.numel() for n, p in model.named_parameters() if n.endswith("coef"))
        rows.append({
            "grid": grid,
            "train_rmse": float(results["train_loss"][-1]),
            "test_rmse": float(results["test_loss"][-1]),
            "coef_params": int(params),
            "seconds": time.perf_counter() - started,
        })
    return {"workload": "grid", "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=["hello", "grid"])
    parser.add_argument("--pykan", required=True, help="folder holding pykan's `kan` package")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--grids", default="3,10,20,50,100", help="grid: the grid sizes in order")
    parser.add_argument("--seed", type=int, default=None, help="KAN seed (default: pykan's docs: hello 42, grid 1)")
    args = parser.parse_args()
    # Debian's torch uses OpenBLAS with its own pool: without this, 2 threads oversubscribe 2 cores
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    kan = import_pykan(os.path.abspath(args.pykan))
    import torch
    torch.set_num_threads(args.threads)
    torch.set_default_dtype(torch.float64)
    # pykan writes checkpoints and figures under the working folder: keep them out of the tree
    os.chdir(tempfile.mkdtemp(prefix="pykan-run-"))
    if args.workload == "hello":
        out = hello_kan(kan, 42 if args.seed is None else args.seed)
    else:
        grids = [int(g) for g in args.grids.split(",")]
        out = grid_extension(kan, 1 if args.seed is None else args.seed, grids)
    out["seed"] = 42 if args.seed is None and args.workload == "hello" else (1 if args.seed is None else args.seed)
    out["torch"] = torch.__version__
    out["threads"] = args.threads
    print(json.dumps(out))


if __name__ == "__main__":
    main()
