/**
 * Export of a formula over named variables (a KAN's read-out, `fit`'s `formula`), where the
 * activation exporters export a function of one input x: a Python function of x [..., n] whose
 * last axis holds the variables in order (torch or jax, with the same dialects and safe helpers
 * as the activation exports), or its LaTeX.
 */
import type { Expr, ParamSpec } from "../ast.js";
import { ExprError } from "../errors.js";
import { JAX_DIALECT, JAX_HELPERS } from "./jax.js";
import { exportLatex } from "./latex.js";
import type { PyDialect, PyHelper } from "./python.js";
import { emitPython, helperSources, paren, PY, pyDoc, pyIdentifier } from "./python.js";
import { printExpr } from "../print.js";
import { TORCH_HELPERS, torchDialect } from "./torch.js";

export const FORMULA_TARGETS = ["latex", "torch", "jax"] as const;
export type FormulaTarget = (typeof FORMULA_TARGETS)[number];

/** Variables are read from columns, not parameters: the spec only satisfies emitPython. */
const COLUMN: ParamSpec = { init: 0, learnable: false, sharing: "scalar" };

/** Source text of `expr` over `variables` for `target`; `name` names the Python function. */
export function exportFormula(
  expr: Expr,
  variables: readonly string[],
  target: FormulaTarget,
  name = "formula",
): string {
  if (target === "latex") return exportLatex({ expr, params: {} });
  if (target !== "torch" && target !== "jax")
    throw new ExprError(
      `unknown formula target '${String(target)}'; expected one of ${FORMULA_TARGETS.join(", ")}`,
    );
  const [dialect, helpers]: [PyDialect, readonly PyHelper[]] =
    target === "torch" ? [torchDialect(new Map()), TORCH_HELPERS] : [JAX_DIALECT, JAX_HELPERS];
  const ns = target === "torch" ? "torch" : "jnp";
  const identifiers = new Map(variables.map((v) => [v, pyIdentifier(v, new Set(["x"]))]));
  const used = new Set<string>();
  const body = emitPython(
    expr,
    {
      ...dialect,
      param: (variable) => identifiers.get(variable) ?? variable,
      // the variables are the arrays here: only constant code needs broadcasting (to one column)
      likeInput: (code) =>
        code.tensor
          ? code
          : {
              code: `${ns}.zeros_like(x[..., 0]) + ${paren(code, PY.mul)}`,
              prec: PY.add,
              tensor: true,
            },
    },
    { expr, params: Object.fromEntries(variables.map((v) => [v, COLUMN])) },
    used,
  );
  const fn = pyIdentifier(name);
  return [
    `"""${fn}: a formula exported by nonlin."""`,
    target === "torch" ? "import torch" : "import jax\nimport jax.numpy as jnp",
    "",
    ...helperSources(helpers, used).flatMap((source) => ["", source, ""]),
    "",
    `def ${fn}(x):`,
    `    """${pyDoc(printExpr(expr))}`,
    "",
    `    x: an array [..., ${variables.length}] whose last axis holds ${variables.join(", ")}."""`,
    ...variables.map((v, i) => `    ${identifiers.get(v)} = x[..., ${i}]`),
    `    return ${body.code}`,
    "",
  ].join("\n");
}
