/**
 * Exports an activation as a JAX module: `init_params(num_channels=1)` (plus `feature_shape`
 * when a parameter is per neuron) returning a dict of jnp arrays, and `<name>(x, params)`.
 * Fixed parameters are in the dict too, listed in `FIXED_PARAMS` and read through
 * `jax.lax.stop_gradient`, so their gradient is zero.
 */
import type { Activation, CallOp, ParamSpec } from "../ast.js";
import { paramNamesOf } from "../ast.js";
import { printActivation } from "../print.js";
import type { PyCode, PyDialect, PyHelper } from "./python.js";
import {
  EPS_HELPER,
  helperStat,
  pythonCall,
  PY,
  describeParam,
  emitPython,
  helperSources,
  paramSpecs,
  paren,
  pyDoc,
  pyFloat,
  pyIdentifier,
  pyShape,
  pyString,
} from "./python.js";

export const JAX_HELPERS: readonly PyHelper[] = [
  EPS_HELPER,
  {
    name: "_safe_div",
    deps: ["_EPS"],
    source: `def _safe_div(a, b):
    """a / b with b moved at least _EPS away from zero (zero counts as positive)."""
    return a / jnp.where(b >= 0, jnp.maximum(b, _EPS), jnp.minimum(b, -_EPS))`,
  },
  {
    name: "_safe_log",
    deps: ["_EPS"],
    source: `def _safe_log(a):
    """log(max(|a|, _EPS))."""
    return jnp.log(jnp.maximum(jnp.abs(a), _EPS))`,
  },
  {
    name: "_safe_sqrt",
    deps: ["_EPS"],
    source: `def _safe_sqrt(a):
    """sqrt(max(a, _EPS))."""
    return jnp.sqrt(jnp.maximum(a, _EPS))`,
  },
  {
    name: "_softplus",
    deps: [],
    source: `def _softplus(a):
    """log(1 + exp(a)), computed as max(a, 0) + log1p(exp(-|a|))."""
    return jnp.maximum(a, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(a)))`,
  },
  {
    name: "_step",
    deps: [],
    source: `def _step(a):
    """1 where a > 0, else 0."""
    return jnp.where(a > 0, jnp.ones_like(a), jnp.zeros_like(a))`,
  },
  {
    name: "_sinc",
    deps: [],
    source: `def _sinc(a):
    """sin(a) / a with sinc(0) = 1 (unnormalised); 1 - a^2 / 6 when |a| < 1e-4."""
    small = jnp.abs(a) < 1e-4
    safe = jnp.where(small, jnp.ones_like(a), a)
    return jnp.where(small, 1.0 - a * a / 6.0, jnp.sin(safe) / safe)`,
  },
  {
    name: "_surrogate",
    deps: [],
    source: `def _surrogate(f, g):
    """The value of f with the gradient of g."""
    return g + jax.lax.stop_gradient(f - g)`,
  },
  {
    name: "_axes",
    deps: [],
    source: `def _axes(a, axis):
    """Axes a statistic reduces over, for inputs laid out [batch, ..., feature]."""
    if axis == "feature":
        return (-1,)
    if jnp.ndim(a) < 2:
        raise ValueError(f"a {axis} statistic needs an input laid out [batch, ..., feature]")
    return tuple(range(jnp.ndim(a) - 1)) if axis == "batch" else tuple(range(1, jnp.ndim(a)))`,
  },
  {
    name: "_mean",
    deps: ["_axes"],
    source: `def _mean(a, axis):
    return jnp.broadcast_to(jnp.mean(a, axis=_axes(a, axis), keepdims=True), jnp.shape(a))`,
  },
  {
    name: "_var",
    deps: ["_axes"],
    source: `def _var(a, axis):
    """Population variance (divides by n)."""
    axes = _axes(a, axis)
    m = jnp.mean(a, axis=axes, keepdims=True)
    return jnp.broadcast_to(jnp.mean(jnp.square(a - m), axis=axes, keepdims=True), jnp.shape(a))`,
  },
  {
    name: "_std",
    deps: ["_EPS", "_var"],
    source: `def _std(a, axis):
    return jnp.sqrt(jnp.maximum(_var(a, axis), _EPS))`,
  },
  {
    name: "_rms",
    deps: ["_EPS", "_axes"],
    source: `def _rms(a, axis):
    m = jnp.mean(a * a, axis=_axes(a, axis), keepdims=True)
    return jnp.broadcast_to(jnp.sqrt(jnp.maximum(m, _EPS)), jnp.shape(a))`,
  },
  {
    name: "_amax",
    deps: ["_axes"],
    source: `def _amax(a, axis):
    return jnp.broadcast_to(jnp.max(a, axis=_axes(a, axis), keepdims=True), jnp.shape(a))`,
  },
];

const JAX_FUNCTIONS: Partial<Record<CallOp, string>> = {
  abs: "jnp.abs",
  exp: "jnp.exp",
  sin: "jnp.sin",
  cos: "jnp.cos",
  tanh: "jnp.tanh",
  sinh: "jnp.sinh",
  cosh: "jnp.cosh",
  asinh: "jnp.arcsinh",
  atan: "jnp.arctan",
  sigmoid: "jax.nn.sigmoid",
  erf: "jax.lax.erf",
  relu: "jax.nn.relu",
  sign: "jnp.sign",
  max: "jnp.maximum",
  min: "jnp.minimum",
  stopgrad: "jax.lax.stop_gradient",
};

export const JAX_DIALECT: PyDialect = {
  param: (name: string, spec: ParamSpec) =>
    spec.learnable
      ? `params[${pyString(name)}]`
      : `jax.lax.stop_gradient(params[${pyString(name)}])`,
  toTensor: (code: string) => `jnp.asarray(${code})`,
  likeInput: (code: PyCode) => ({
    code: `jnp.zeros_like(x) + ${paren(code, PY.mul)}`,
    prec: PY.add,
    tensor: true,
  }),
  call: pythonCall("jnp", JAX_FUNCTIONS),
  stat: helperStat,
};

const RESERVED = new Set([
  "jax",
  "jnp",
  "init_params",
  "FIXED_PARAMS",
  "Optional",
  "Tuple",
  ...JAX_HELPERS.map((helper) => helper.name),
]);

/** JAX source of `init_params` and of a function `<name>(x, params)` computing `activation`. */
export function exportJax(activation: Activation, name: string): string {
  const names = paramNamesOf(activation.expr);
  const specs = paramSpecs(activation, names);
  const used = new Set<string>();
  const body = emitPython(activation.expr, JAX_DIALECT, activation, used);
  const fnName = pyIdentifier(name, RESERVED);
  const perNeuron = specs.some(([, spec]) => spec.sharing === "neuron");
  const fixed = specs.filter(([, spec]) => !spec.learnable).map(([param]) => pyString(param));

  const initSignature = perNeuron ? "num_channels=1, feature_shape=None" : "num_channels=1";
  const initLines = [
    `def init_params(${initSignature}):`,
    '    """Initial parameters: per-channel ones have shape (num_channels,), per-neuron ones the',
    '    shape of one sample (feature_shape); the names in FIXED_PARAMS are not learnable."""',
  ];
  if (perNeuron) {
    initLines.push(
      "    feature_shape = (num_channels,) if feature_shape is None else tuple(feature_shape)",
    );
  }
  if (specs.length === 0) initLines.push("    return {}");
  else {
    initLines.push("    return {");
    for (const [param, spec] of specs) {
      initLines.push(
        `        ${pyString(param)}: jnp.full(${pyShape(spec)}, ${pyFloat(spec.init)}),`,
      );
    }
    initLines.push("    }");
  }

  const doc = [
    `${pyDoc(printActivation(activation))}`,
    "",
    "    x is laid out [batch, ..., feature]; per-channel parameters broadcast on the last axis.",
  ];
  if (specs.length > 0) {
    doc.push("", "    Parameters:");
    for (const [param, spec] of specs) doc.push(`        ${pyDoc(describeParam(param, spec))}`);
  }

  const lines = [
    `"""${fnName}: an activation exported by nonlin."""`,
    "import jax",
    "import jax.numpy as jnp",
    "",
    "# Parameters that init_params returns but that are not learnable (their gradient is zero).",
    `FIXED_PARAMS = (${fixed.join(", ")}${fixed.length === 1 ? "," : ""})`,
    "",
  ];
  for (const source of helperSources(JAX_HELPERS, used)) lines.push("", source, "");
  lines.push(
    "",
    ...initLines,
    "",
    "",
    `def ${fnName}(x, params):`,
    `    """${doc[0]}`,
    ...doc.slice(1),
    `    """`,
    `    return ${body.code}`,
    "",
  );
  return lines.join("\n");
}
