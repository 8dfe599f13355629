/**
 * Exports an activation as an importable PyTorch module: `class <Name>(nn.Module)` whose
 * `__init__(self, num_channels=1)` (plus `feature_shape` when a parameter is per neuron) creates
 * learnable parameters as `nn.Parameter` and fixed ones as buffers, and whose `forward(self, x)`
 * computes the expression with torch operations and the safe helpers defined at module top.
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
  pyAtom,
  pyClassName,
  pyDoc,
  pyFloat,
  pyIdentifier,
  pyShape,
  pyString,
} from "./python.js";

/** Attributes of `nn.Module` a parameter must not shadow. */
const MODULE_ATTRIBUTES = new Set(
  (
    "training forward to cuda cpu xpu ipu mtia type float double half bfloat16 to_empty apply eval " +
    "train requires_grad_ zero_grad share_memory extra_repr state_dict load_state_dict parameters " +
    "named_parameters buffers named_buffers children named_children modules named_modules " +
    "register_buffer register_parameter add_module register_module get_submodule set_submodule " +
    "get_parameter get_buffer get_extra_state set_extra_state compile dump_patches call_super_init " +
    "register_forward_hook register_forward_pre_hook register_backward_hook " +
    "register_full_backward_hook register_full_backward_pre_hook T_destination"
  ).split(" "),
);

export const TORCH_HELPERS: readonly PyHelper[] = [
  EPS_HELPER,
  {
    name: "_safe_div",
    deps: ["_EPS"],
    source: `def _safe_div(a, b):
    """a / b with b moved at least _EPS away from zero (zero counts as positive)."""
    return a / torch.where(b >= 0, torch.clamp(b, min=_EPS), torch.clamp(b, max=-_EPS))`,
  },
  {
    name: "_safe_log",
    deps: ["_EPS"],
    source: `def _safe_log(a):
    """log(max(|a|, _EPS))."""
    return torch.log(torch.clamp(torch.abs(a), min=_EPS))`,
  },
  {
    name: "_safe_sqrt",
    deps: ["_EPS"],
    source: `def _safe_sqrt(a):
    """sqrt(max(a, _EPS))."""
    return torch.sqrt(torch.clamp(a, min=_EPS))`,
  },
  {
    name: "_softplus",
    deps: [],
    source: `def _softplus(a):
    """log(1 + exp(a)), computed as max(a, 0) + log1p(exp(-|a|))."""
    return torch.clamp(a, min=0.0) + torch.log1p(torch.exp(-torch.abs(a)))`,
  },
  {
    name: "_step",
    deps: [],
    source: `def _step(a):
    """1 where a > 0, else 0."""
    return (a > 0).to(a.dtype)`,
  },
  {
    name: "_sinc",
    deps: [],
    source: `def _sinc(a):
    """sin(a) / a with sinc(0) = 1 (unnormalised); 1 - a^2 / 6 when |a| < 1e-4."""
    small = torch.abs(a) < 1e-4
    safe = torch.where(small, torch.ones_like(a), a)
    return torch.where(small, 1.0 - a * a / 6.0, torch.sin(safe) / safe)`,
  },
  {
    name: "_surrogate",
    deps: [],
    source: `def _surrogate(f, g):
    """The value of f with the gradient of g."""
    return g + (f - g).detach()`,
  },
  {
    name: "_dims",
    deps: [],
    source: `def _dims(a, axis):
    """Dimensions a statistic reduces over, for inputs laid out [batch, ..., feature]."""
    if axis == "feature":
        return (-1,)
    if a.dim() < 2:
        raise ValueError(f"a {axis} statistic needs an input laid out [batch, ..., feature]")
    return tuple(range(a.dim() - 1)) if axis == "batch" else tuple(range(1, a.dim()))`,
  },
  {
    name: "_mean",
    deps: ["_dims"],
    source: `def _mean(a, axis):
    return torch.mean(a, dim=_dims(a, axis), keepdim=True).expand_as(a)`,
  },
  {
    name: "_var",
    deps: ["_dims"],
    source: `def _var(a, axis):
    """Population variance (divides by n)."""
    dims = _dims(a, axis)
    m = torch.mean(a, dim=dims, keepdim=True)
    return torch.mean(torch.square(a - m), dim=dims, keepdim=True).expand_as(a)`,
  },
  {
    name: "_std",
    deps: ["_EPS", "_var"],
    source: `def _std(a, axis):
    return torch.sqrt(torch.clamp(_var(a, axis), min=_EPS))`,
  },
  {
    name: "_rms",
    deps: ["_EPS", "_dims"],
    source: `def _rms(a, axis):
    m = torch.mean(a * a, dim=_dims(a, axis), keepdim=True)
    return torch.sqrt(torch.clamp(m, min=_EPS)).expand_as(a)`,
  },
  {
    name: "_amax",
    deps: ["_dims"],
    source: `def _amax(a, axis):
    return torch.amax(a, dim=_dims(a, axis), keepdim=True).expand_as(a)`,
  },
];

/** torch functions for ops that need no helper. */
const TORCH_FUNCTIONS: Partial<Record<CallOp, string>> = {
  abs: "torch.abs",
  exp: "torch.exp",
  sin: "torch.sin",
  cos: "torch.cos",
  tanh: "torch.tanh",
  sinh: "torch.sinh",
  cosh: "torch.cosh",
  asinh: "torch.asinh",
  atan: "torch.atan",
  sigmoid: "torch.sigmoid",
  erf: "torch.erf",
  relu: "torch.relu",
  sign: "torch.sign",
  max: "torch.maximum",
  min: "torch.minimum",
};

export function torchDialect(attributes: ReadonlyMap<string, string>): PyDialect {
  return {
    param: (name: string) => `self.${attributes.get(name) as string}`,
    toTensor: (code: string) => `x.new_tensor(${code})`,
    likeInput: (code: PyCode) => ({
      code: `torch.zeros_like(x) + ${paren(code, PY.mul)}`,
      prec: PY.add,
      tensor: true,
    }),
    call: pythonCall("torch", TORCH_FUNCTIONS, (op, [a]) =>
      op === "stopgrad" ? pyAtom(`${paren(a as PyCode, PY.atom)}.detach()`) : undefined,
    ),
    stat: helperStat,
  };
}

/** Python attribute names for the parameters: the names themselves unless they would clash. */
function attributeNames(names: readonly string[]): Map<string, string> {
  const taken = new Set<string>(MODULE_ATTRIBUTES);
  const plain = names.filter((name) => !name.startsWith("_") && !MODULE_ATTRIBUTES.has(name));
  plain.forEach((name) => taken.add(name));
  const attributes = new Map<string, string>();
  for (const name of names) {
    if (plain.includes(name) && pyIdentifier(name) === name) {
      attributes.set(name, name);
      continue;
    }
    const attribute = pyIdentifier(name.startsWith("_") ? `p${name}` : name, taken);
    taken.add(attribute);
    attributes.set(name, attribute);
  }
  return attributes;
}

function declareParam(attribute: string, spec: ParamSpec): string {
  const value = `torch.full(${pyShape(spec)}, ${pyFloat(spec.init)})`;
  return spec.learnable
    ? `self.${attribute} = nn.Parameter(${value})`
    : `self.register_buffer(${pyString(attribute)}, ${value})`;
}

/** PyTorch source of a module class computing `activation`; `name` becomes its CamelCase class name. */
export function exportTorch(activation: Activation, name: string): string {
  const names = paramNamesOf(activation.expr);
  const specs = paramSpecs(activation, names);
  const attributes = attributeNames(names);
  const used = new Set<string>();
  const body = emitPython(activation.expr, torchDialect(attributes), activation, used);
  const className = pyClassName(name);
  const perNeuron = specs.some(([, spec]) => spec.sharing === "neuron");

  const signature = perNeuron
    ? "self, num_channels: int = 1, feature_shape: Optional[Tuple[int, ...]] = None"
    : "self, num_channels: int = 1";
  const init = ["super().__init__()"];
  if (perNeuron) {
    init.push("feature_shape = (num_channels,) if feature_shape is None else tuple(feature_shape)");
  }
  for (const [param, spec] of specs) init.push(declareParam(attributes.get(param) as string, spec));

  const doc = [
    `${pyDoc(printActivation(activation))}`,
    "",
    "Inputs are laid out [batch, ..., feature]; per-channel parameters have shape (num_channels,)",
    "and broadcast on the last axis, per-neuron ones have the shape of one sample (feature_shape).",
  ];
  if (specs.length > 0) {
    doc.push("", "Parameters (fixed ones are buffers):");
    for (const [param, spec] of specs) doc.push(`    ${pyDoc(describeParam(param, spec))}`);
  }

  const lines = [
    `"""${className}: an activation exported by nonlin."""`,
    ...(perNeuron ? ["from typing import Optional, Tuple", ""] : []),
    "import torch",
    "from torch import nn",
    "",
  ];
  for (const source of helperSources(TORCH_HELPERS, used)) lines.push("", source, "");
  lines.push(
    "",
    `class ${className}(nn.Module):`,
    `    """${doc[0]}`,
    ...doc.slice(1).map((line) => (line === "" ? "" : `    ${line}`)),
    `    """`,
    "",
    `    def __init__(${signature}) -> None:`,
    ...init.map((line) => `        ${line}`),
    "",
    "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
    `        return ${body.code}`,
    "",
  );
  return lines.join("\n");
}
