/**
 * The learnable parameters of a model's activations (a Swish's β, CRReLU's ε) read out of a
 * trained state: where each sits in the architecture, how it is shared, its initial value and what
 * training made of it. Pure: the model spec says which activation each layer applies, the host
 * state holds the values.
 *
 * Where a layer keeps them (src/nn/activation.ts names them `act.<name>`): a layer's own
 * activation (`activation`, `fn`, `base`) under `act.<name>`; kan_af's `function` twice, under
 * `basis_act.<name>` and `head_act.<name>` (src/nn/kan/af-kan.ts); kan_selectable's zoo spaces
 * under `<space>.act.<name>`; conv_kan's inner layer in conv_kan's own state.
 */
import type { Activation, ParamSharing } from "../expr/ast.js";
import { printActivation } from "../expr/print.js";
import type { LayerSpec } from "../nn/definition.js";
import { parseLayerSpec } from "../nn/registry.js";
import { resolveActivation } from "../zoo/index.js";
import type { HostState } from "./trial-engine.js";

/** Sharing as the expression language writes it (`where b = 0 per_neuron`). */
export type SharingName = "scalar" | "per_channel" | "per_neuron";

const SHARING_NAMES: Record<ParamSharing, SharingName> = {
  scalar: "scalar",
  channel: "per_channel",
  neuron: "per_neuron",
};

export interface LearnedActivationParam {
  /** Where it lives: `layers[<layer>].<its name in the layer's state>`, e.g. `layers[0].act.beta`. */
  name: string;
  /** Index of the layer in the model spec. */
  layer: number;
  layerType: string;
  /** The spec field the activation came from: activation, fn, base, function or spaces[i]. */
  field: string;
  /** The activation with its parameters declared at their initial values (parseable). */
  activation: string;
  /** The parameter's name in the activation. */
  parameter: string;
  sharing: SharingName;
  initial: number;
  /** [] for a scalar, [channels] per channel, the sample shape per neuron. */
  shape: number[];
  /** Over the values (the value itself for a scalar). */
  mean: number;
  min: number;
  max: number;
  /** Row-major, as many as the shape holds. */
  values: number[];
}

/** A spec field that names an activation, and the activation it resolves to. */
interface ActivationSlot {
  field: string;
  activation: Activation;
  /** The state name of parameter `name` matches this. */
  owns(stateName: string, name: string): boolean;
}

const ACTIVATION_FIELDS = ["activation", "fn", "base", "function"] as const;
/** `act.<name>`, or a layer's own prefix before it (kan_af's `basis_act.` and `head_act.`). */
const OWN_PREFIX = /^(?:[a-z]+_)?act\./;

function slotsOf(spec: Record<string, unknown>): ActivationSlot[] {
  const slots: ActivationSlot[] = [];
  for (const field of ACTIVATION_FIELDS) {
    const source = spec[field];
    if (typeof source !== "string") continue;
    slots.push({
      field,
      activation: resolveActivation(source).activation,
      owns: (stateName, name) =>
        OWN_PREFIX.test(stateName) && stateName.replace(OWN_PREFIX, "") === name,
    });
  }
  if (spec.type === "kan_selectable" && Array.isArray(spec.spaces))
    spec.spaces.forEach((space: unknown, i) => {
      if (typeof space !== "string") return;
      let activation: Activation;
      try {
        activation = resolveActivation(space).activation;
      } catch {
        return; // a basis space (bspline, rbf, …), not an activation
      }
      slots.push({
        field: `spaces[${i}]`,
        activation,
        owns: (stateName, name) => stateName === `${space}.act.${name}`,
      });
    });
  const inner = spec.inner;
  if (inner !== null && typeof inner === "object" && !Array.isArray(inner))
    slots.push(
      // conv_kan's filters are its inner layer's units (src/nn/conv/conv-kan.ts)
      ...slotsOf(parseLayerSpec({ ...inner, units: spec.filters }, "inner")).map((slot) => ({
        ...slot,
        field: `inner.${slot.field}`,
      })),
    );
  return slots;
}

/** Does any layer apply an activation with a learnable parameter? (No state needed.) */
export function hasLearnableActivationParams(layers: readonly LayerSpec[]): boolean {
  return layers.some((layer, i) =>
    slotsOf(parseLayerSpec(layer, `layers[${i}]`)).some((slot) =>
      Object.values(slot.activation.params).some((spec) => spec.learnable),
    ),
  );
}

/**
 * Every learnable activation parameter of a model, in layer order, then by its activation's
 * declaration order. A parameter the spec declares but the state lacks (a kan_selectable space
 * pruned away) has nothing to report and is left out.
 */
export function learnedActivationParams(
  layers: readonly LayerSpec[],
  state: HostState,
): LearnedActivationParam[] {
  if (state.length !== layers.length)
    throw new RangeError(`a state of ${state.length} layers for a spec of ${layers.length}`);
  return layers.flatMap((raw, layer) => {
    const spec = parseLayerSpec(raw, `layers[${layer}]`);
    const params = state[layer]!.params;
    return slotsOf(spec).flatMap((slot) =>
      Object.entries(slot.activation.params).flatMap(([parameter, declared]) => {
        if (!declared.learnable) return [];
        return Object.keys(params)
          .filter((stateName) => slot.owns(stateName, parameter))
          .map((stateName): LearnedActivationParam => {
            const array = params[stateName]!;
            const values = Array.from(array.values);
            // a loop, not Math.min(...values): a per-neuron array can outgrow the argument limit
            let min = Infinity;
            let max = -Infinity;
            for (const v of values) {
              min = Math.min(min, v);
              max = Math.max(max, v);
            }
            return {
              name: `layers[${layer}].${stateName}`,
              layer,
              layerType: spec.type,
              field: slot.field,
              activation: printActivation(slot.activation),
              parameter,
              sharing: SHARING_NAMES[declared.sharing],
              initial: declared.init,
              shape: [...array.shape],
              mean: values.reduce((sum, v) => sum + v, 0) / values.length,
              min,
              max,
              values,
            };
          });
      }),
    );
  });
}
