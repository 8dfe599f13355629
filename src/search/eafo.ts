/**
 * EAFO — entropy-based activation function optimisation (Sun, Wu, Xia, Chang, Dong, Yuan, Chang &
 * Wang 2024, "A Method on Searching Better Activation Functions"; seed pages 000–003, REFERENCES
 * §1 and §3): a first-order (Taylor) step of the entropy functional gives a correction term that
 * improves a given activation; from ReLU it gives CRReLU = relu(x) + ε·x·exp(−x²/2), ε learnable
 * from 0.01.
 *
 * The derivation implemented here (our reconstruction; the pages give only the abstract). For a
 * pre-activation X ~ N(0, 1) with density p and a monotone activation g,
 *   H[g(X)] = H[X] + ∫ p(x) log g'(x) dx,
 * so moving g by ε·h changes the entropy by ε ∫ p h'/g' dx = ε ∫ h·G dx, with the functional
 * gradient
 *   G(x) = −d/dx (p(x)/g'(x)) = p(x)·(x/g'(x) + g''(x)/g'(x)²)        (p'(x) = −x·p(x)).
 * - On an identity branch (g' = 1, g'' = 0: ReLU for x > 0) G = x·p(x) ∝ x·exp(−x²/2): CRReLU's
 *   term. CRReLU applies it on both sides, since G is singular where g' = 0; that rule, applied to
 *   any f, is the variant "eafo" (and its per-channel and fixed-ε forms).
 * - G is singular wherever f' = 0. Preconditioning the step by f'(x)² (any positive weight keeps
 *   it an ascent direction: ∫ f'²G² ≥ 0) removes the division: f'(x)²·G(x) = p(x)·(x·f'(x) +
 *   f''(x)). Variant "eafo-gradient": f + ε·(x·f'(x) + f''(x))·exp(−x²/2), the correction scaled by
 *   the slope plus a curvature term; from ReLU it gives relu(x) + ε·step(x)·x·exp(−x²/2).
 * - The paper writes the entropy as a functional of the INVERSE activation y = f⁻¹. The same
 *   Gaussian-score correction applied to y in the output variable, y(u) → y(u) − ε·u·exp(−u²/2),
 *   moves f to first order in ε by f'(x)·f(x)·exp(−f(x)²/2). Variant "eafo-inverse".
 * The sign and size of the step (ε) are left to training where ε is learnable: the pages do not
 * say whether entropy should rise or fall, and CRReLU's ε is free to take either sign.
 * The slope-based variants need a pointwise f (a symbolic derivative); they are left out for
 * context-dependent activations (statistics over an axis).
 */
import type { Activation, Expr, ParamSharing, ParamSpec } from "../expr/ast.js";
import { X, call, isPointwise, num, param, paramNamesOf, pow } from "../expr/ast.js";
import { derivative } from "../expr/derivative.js";

export interface EafoVariant {
  /** "eafo", "eafo-per-channel", "eafo-fixed-0.1", "eafo-gradient", "eafo-inverse". */
  readonly name: string;
  readonly description: string;
  readonly activation: Activation;
}

export interface EafoOptions {
  /** Initial value of the learnable ε (CRReLU: 0.01). */
  epsInit?: number;
  /** Values of ε for the fixed (not learnable) variants. */
  fixedEps?: readonly number[];
}

export const EAFO_DEFAULT_EPS = 0.01;
export const EAFO_DEFAULT_FIXED_EPS: readonly number[] = [0.01, 0.1, -0.1];

/** exp(−u²/2): the standard normal density up to 1/√(2π) (absorbed into ε). */
export function gaussianKernel(u: Expr): Expr {
  return call("exp", call("div", call("neg", pow(u, 2)), num(2)));
}

/** CRReLU's correction x·exp(−x²/2) = −√(2π)·p'(x). */
export function eafoCorrection(): Expr {
  return call("mul", X, gaussianKernel(X));
}

/** A parameter name the base does not use: "eps", else "eafo_eps", "eafo_eps2", … */
function freshEpsName(base: Activation): string {
  const used = new Set([...paramNamesOf(base.expr), ...Object.keys(base.params)]);
  if (!used.has("eps")) return "eps";
  for (let suffix = 1; ; suffix++) {
    const name = suffix === 1 ? "eafo_eps" : `eafo_eps${suffix}`;
    if (!used.has(name)) return name;
  }
}

/** base + ε·term, with ε declared as asked and the base's own parameters kept. */
function corrected(base: Activation, term: Expr, eps: string, spec: ParamSpec): Activation {
  const expr = call("add", base.expr, call("mul", param(eps), term));
  const params: Record<string, ParamSpec> = Object.fromEntries(
    paramNamesOf(expr).map((name) => [
      name,
      name === eps ? spec : (base.params[name] as ParamSpec),
    ]),
  );
  return { expr, params };
}

const learnable = (init: number, sharing: ParamSharing = "scalar"): ParamSpec => ({
  init,
  learnable: true,
  sharing,
});

/** The EAFO-corrected variants of `base` (see the module comment for each derivation). */
export function eafoVariants(base: Activation, options: EafoOptions = {}): EafoVariant[] {
  const epsInit = options.epsInit ?? EAFO_DEFAULT_EPS;
  const eps = freshEpsName(base);
  const correction = eafoCorrection();
  const variants: EafoVariant[] = [
    {
      name: "eafo",
      description: `f + ${eps}·x·exp(−x²/2), ${eps} learnable from ${epsInit} (CRReLU's rule)`,
      activation: corrected(base, correction, eps, learnable(epsInit)),
    },
    {
      name: "eafo-per-channel",
      description: `f + ${eps}·x·exp(−x²/2), one learnable ${eps} per channel from ${epsInit}`,
      activation: corrected(base, correction, eps, learnable(epsInit, "channel")),
    },
    ...(options.fixedEps ?? EAFO_DEFAULT_FIXED_EPS).map((value) => ({
      name: `eafo-fixed-${value}`,
      description: `f + ${value}·x·exp(−x²/2), ${eps} fixed`,
      activation: corrected(base, correction, eps, {
        init: value,
        learnable: false,
        sharing: "scalar",
      }),
    })),
  ];
  if (!isPointwise(base.expr)) return variants;
  const slope = derivative(base.expr);
  const curvature = derivative(slope);
  variants.push(
    {
      name: "eafo-gradient",
      description: `f + ${eps}·(x·f'(x) + f''(x))·exp(−x²/2): the entropy gradient preconditioned by f'²`,
      activation: corrected(
        base,
        call("mul", call("add", call("mul", X, slope), curvature), gaussianKernel(X)),
        eps,
        learnable(epsInit),
      ),
    },
    {
      name: "eafo-inverse",
      description: `f + ${eps}·f'(x)·f(x)·exp(−f(x)²/2): the correction applied to the inverse activation`,
      activation: corrected(
        base,
        call("mul", call("mul", slope, base.expr), gaussianKernel(base.expr)),
        eps,
        learnable(epsInit),
      ),
    },
  );
  return variants;
}
