/**
 * Turns a bench candidate into the layer specs of a model for one task at one hidden width:
 * activation candidates on the MLP template (dense layers of that width), layer candidates as a
 * stack of that layer type (KAN style: [d, w, …, w, outputs]), whole models with `units: width`
 * placeholders filled in.
 */
import type { LayerSpec } from "../nn/definition.js";
import type { CandidateSpec } from "./config.js";

export interface NetworkShape {
  inputShape: readonly number[];
  /** Output units: regression targets or classes. */
  outputs: number;
  /** Hidden layers (template candidates). */
  depth: number;
}

const WIDTH = "width";
const OUTPUTS = "outputs";

/** Default candidate name: the activation text, the layer type, or the model's layer types. */
export function candidateName(candidate: CandidateSpec): string {
  if (candidate.name) return candidate.name;
  if (candidate.activation !== undefined) return candidate.activation;
  if (candidate.layer) return candidate.layer.type;
  return (candidate.model ?? []).map((layer) => layer.type).join("+");
}

/** The group the KAN-vs-MLP verdict uses: "kan" if any layer is of the KAN family, "mlp" if all
 * layers are dense (with any activation), else the first non-dense layer type. */
export function candidateGroup(candidate: CandidateSpec): string {
  if (candidate.group) return candidate.group;
  if (candidate.activation !== undefined) return "mlp";
  const types = candidate.layer
    ? [candidate.layer.type]
    : (candidate.model ?? []).map((l) => l.type);
  if (types.some((t) => t.startsWith("kan") || t === "conv_kan")) return "kan";
  const shaping = new Set(["dense", "activation", "flatten"]);
  const other = types.find((t) => !shaping.has(t));
  return other ?? "mlp";
}

/** Does the candidate's size depend on the hidden width (so the solver can size it)? */
export function isSizable(candidate: CandidateSpec): boolean {
  if (!candidate.model) return true;
  return candidate.model.some((layer) => layer.units === WIDTH);
}

/** Layer specs of the candidate's network at hidden width `width`. */
export function candidateLayers(
  candidate: CandidateSpec,
  shape: NetworkShape,
  width: number,
): LayerSpec[] {
  const flatten: LayerSpec[] = shape.inputShape.length > 1 ? [{ type: "flatten" }] : [];
  if (candidate.activation !== undefined) {
    const hidden = Array.from({ length: shape.depth }, () => ({
      type: "dense",
      units: width,
      activation: candidate.activation as string,
    }));
    return [...flatten, ...hidden, { type: "dense", units: shape.outputs }];
  }
  if (candidate.layer) {
    const layer = candidate.layer;
    const between: LayerSpec[] = candidate.between
      ? [{ type: "activation", fn: candidate.between }]
      : [];
    const hidden = Array.from({ length: shape.depth }, () => [
      { ...layer, units: width },
      ...between,
    ]).flat();
    const head =
      candidate.head === "dense"
        ? { type: "dense", units: shape.outputs }
        : { ...layer, units: shape.outputs };
    return [...flatten, ...hidden, head];
  }
  return (candidate.model ?? []).map((layer) => {
    if (layer.units === WIDTH) return { ...layer, units: width };
    if (layer.units === OUTPUTS) return { ...layer, units: shape.outputs };
    return { ...layer };
  });
}
