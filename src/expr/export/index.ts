/**
 * Exporters of activations to other frameworks and formats:
 * - `torch`: an importable PyTorch module (`class <Name>(nn.Module)`),
 * - `jax`: `init_params(num_channels=1)` and `<name>(x, params)` with jax.numpy,
 * - `latex`: the formula (the name is not used),
 * - `js`: dependency-free TypeScript computing one sample's feature vector.
 * Nothing here imports Node built-ins, so it runs in a browser as well.
 */
import type { Activation } from "../ast.js";
import { ExprError } from "../errors.js";
import { exportJax } from "./jax.js";
import { exportLatex } from "./latex.js";
import { exportTorch } from "./torch.js";
import { exportTypeScript } from "./typescript.js";

export const EXPORT_TARGETS = ["torch", "jax", "latex", "js"] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** Source text of `activation` for `target`; `name` names the class or function (made a valid identifier). */
export function exportActivation(
  activation: Activation,
  target: ExportTarget,
  name: string,
): string {
  switch (target) {
    case "torch":
      return exportTorch(activation, name);
    case "jax":
      return exportJax(activation, name);
    case "latex":
      return exportLatex(activation);
    case "js":
      return exportTypeScript(activation, name);
    default:
      throw new ExprError(
        `unknown export target '${String(target)}'; expected one of ${EXPORT_TARGETS.join(", ")}`,
      );
  }
}

export { exportJax, exportLatex, exportTorch, exportTypeScript };
export { latexParamName } from "./latex.js";
export { jsIdentifier } from "./typescript.js";
export { pyClassName, pyIdentifier } from "./python.js";
