import math
import unittest
from typing import Any, Dict, List

import torch

from nonlin_torch.optim import apply_updates, make_optimizer


def steps(spec: Dict[str, Any], grads: List[List[float]], start: List[float]) -> List[float]:
    """Applies ``make_optimizer(spec)`` to one array, one gradient per step; returns p after each."""
    p = [torch.tensor(start, dtype=torch.float64)]
    optimizer = make_optimizer(spec)
    state = optimizer.init(p)
    for t, g in enumerate(grads):
        updates, state = optimizer.update([torch.tensor(g, dtype=torch.float64)], state, p, torch.tensor(float(t), dtype=torch.float64))
        p = apply_updates(p, updates)
    return p[0].tolist()


class OptimiserTest(unittest.TestCase):
    def test_sgd_is_p_minus_lr_g(self) -> None:
        self.assertEqual(steps({"name": "sgd", "lr": 0.5}, [[2.0]], [1.0]), [0.0])

    def test_heavy_ball_and_nesterov_momentum(self) -> None:
        # v1 = 1, v2 = 0.9 + 1 = 1.9; heavy ball: p = -0.1·(1 + 1.9); Nesterov: g + μv
        got = steps({"name": "sgd", "lr": 0.1, "momentum": 0.9}, [[1.0], [1.0]], [0.0])
        self.assertAlmostEqual(got[0], -0.1 * (1 + 1.9), delta=1e-15)
        got = steps({"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True}, [[1.0], [1.0]], [0.0])
        self.assertAlmostEqual(got[0], -0.1 * ((1 + 0.9) + (1 + 0.9 * 1.9)), delta=1e-15)

    def test_adam_first_two_steps_by_hand(self) -> None:
        b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
        p, m, v = 1.0, 0.0, 0.0
        for t, g in enumerate([0.5, -2.0], start=1):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            p -= lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
        got = steps({"name": "adam", "lr": lr}, [[0.5], [-2.0]], [1.0])
        self.assertAlmostEqual(got[0], p, delta=1e-15)

    def test_adam_weight_decay_is_coupled_and_adamw_decoupled(self) -> None:
        lam, lr = 0.1, 0.01
        # coupled: the gradient becomes g + λp before Adam; one step is then −lr·sign-ish
        g = 0.5 + lam * 2.0
        m, v = 0.1 * g, 0.001 * g * g
        expected = 2.0 - lr * (m / 0.1) / (math.sqrt(v / 0.001) + 1e-8)
        self.assertAlmostEqual(steps({"name": "adam", "lr": lr, "weight_decay": lam}, [[0.5]], [2.0])[0], expected, delta=1e-15)
        m, v = 0.1 * 0.5, 0.001 * 0.25
        expected = 2.0 - lr * ((m / 0.1) / (math.sqrt(v / 0.001) + 1e-8) + lam * 2.0)
        self.assertAlmostEqual(steps({"name": "adamw", "lr": lr, "weight_decay": lam}, [[0.5]], [2.0])[0], expected, delta=1e-15)

    def test_clipping_by_global_norm_before_the_step(self) -> None:
        got = steps({"name": "sgd", "lr": 1.0, "clip_norm": 1.0}, [[3.0, 4.0]], [0.0, 0.0])
        self.assertAlmostEqual(got[0], -0.6, delta=1e-15)
        self.assertAlmostEqual(got[1], -0.8, delta=1e-15)
        got = steps({"name": "sgd", "lr": 1.0, "clip_norm": 10.0}, [[3.0, 4.0]], [0.0, 0.0])
        self.assertEqual(got, [-3.0, -4.0])

    def test_schedules_give_the_learning_rate_of_each_step(self) -> None:
        def rates(schedule: Dict[str, Any], count: int) -> List[float]:
            out = []
            p = 0.0
            for t in range(count):
                q = steps({"name": "sgd", "lr": 0.1, "schedule": schedule}, [[-1.0]] * (t + 1), [0.0])[0]
                out.append(q - p)
                p = q
            return out

        cosine = rates({"name": "cosine", "decay_steps": 4, "alpha": 0}, 6)
        expected = [0.1 * 0.5 * (1 + math.cos(math.pi * min(t, 4) / 4)) for t in range(6)]
        for a, b in zip(cosine, expected):
            self.assertAlmostEqual(a, b, delta=1e-15)
        step = rates({"name": "step", "boundaries": [2, 4], "scales": 0.5}, 5)
        for a, b in zip(step, [0.1, 0.1, 0.05, 0.05, 0.025]):
            self.assertAlmostEqual(a, b, delta=1e-15)
        warm = rates({"name": "warmup_cosine", "warmup_steps": 2, "decay_steps": 4}, 5)
        for a, b in zip(warm, [0.0, 0.05, 0.1, 0.05, 0.0]):
            self.assertAlmostEqual(a, b, delta=1e-15)
        exp = rates({"name": "exponential", "decay_rate": 0.5, "transition_steps": 2, "staircase": True}, 4)
        for a, b in zip(exp, [0.1, 0.1, 0.05, 0.05]):
            self.assertAlmostEqual(a, b, delta=1e-15)


if __name__ == "__main__":
    unittest.main()
