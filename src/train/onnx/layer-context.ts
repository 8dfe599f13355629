/**
 * What a layer's ONNX mapping is handed: the graph, the layer (built from its spec, for shapes and
 * geometry), its validated spec with defaults, and its arrays from the checkpoint — each looked up
 * by name with an error naming the layer and the missing array.
 */
import type { FloatDType } from "../../engine/dtype.js";
import { paramShape } from "../../expr/compile.js";
import type { LayerSpec } from "../../nn/definition.js";
import type { Layer } from "../../nn/layer.js";
import { resolveActivation } from "../../zoo/index.js";
import type { HostArray, HostState } from "../trial-engine.js";
import type { ActivationSite } from "./expression.js";
import { emitActivation } from "./expression.js";
import type { OnnxGraph } from "./graph.js";
import { OnnxExportError } from "./graph.js";

export class LayerContext {
  /** "layers[2] (dense)": how errors name the layer. */
  readonly where: string;

  constructor(
    readonly graph: OnnxGraph,
    readonly index: number,
    readonly layer: Layer,
    readonly spec: LayerSpec,
    private readonly arrays: HostState[number],
    within = `layers[${index}]`,
  ) {
    this.where = `${within} (${spec.type})`;
  }

  /** A context for a layer nested in this one (conv_kan's inner layer), on the same arrays. */
  nested(layer: Layer, spec: LayerSpec, field: string): LayerContext {
    return new LayerContext(
      this.graph,
      this.index,
      layer,
      spec,
      this.arrays,
      `${this.where}.${field}`,
    );
  }

  get dtype(): FloatDType {
    return this.graph.dtype;
  }

  /** Whether the layer's spec gives it the learnable array `name` (a bias, a base branch…):
   * decided by the spec, so a checkpoint that lacks an array it needs is an error, not a model
   * without it. */
  has(name: string): boolean {
    return Object.hasOwn(this.layer.paramShapes(), name);
  }

  /** The layer's param or buffer `name`, checked against the shape its spec gives a param. */
  array(name: string): HostArray {
    const found = Object.hasOwn(this.arrays.params, name)
      ? this.arrays.params[name]
      : Object.hasOwn(this.arrays.buffers, name)
        ? this.arrays.buffers[name]
        : undefined;
    if (!found) throw new OnnxExportError(`${this.where}: the weights have no array '${name}'`);
    const expected = this.layer.paramShapes()[name];
    const size = found.shape.reduce((a, b) => a * b, 1);
    if ((expected && expected.join() !== found.shape.join()) || size !== found.values.length)
      throw new OnnxExportError(
        `${this.where}: array '${name}' has shape [${found.shape.join(", ")}] and ` +
          `${found.values.length} values` +
          (expected ? `; the spec gives it shape [${expected.join(", ")}]` : ""),
      );
    return found;
  }

  /** The array `name` as an initializer, as stored (or with its values read as `shape`). */
  weight(name: string, shape?: readonly number[]): string {
    const array = this.array(name);
    if (shape && shape.reduce((a, b) => a * b, 1) !== array.values.length)
      throw new OnnxExportError(
        `${this.where}: array '${name}' holds ${array.values.length} values, ` +
          `expected [${shape.join(", ")}]`,
      );
    return this.graph.constant(array.values, shape ?? array.shape, `l${this.index}.${name}`);
  }

  /** The layer's array `name` where its spec makes it one (a trained grid), else `values` as a
   * constant under the same name. */
  weightOr(name: string, values: readonly number[]): string {
    return this.has(name)
      ? this.weight(name)
      : this.graph.constant(values, [values.length], `l${this.index}.${name}`);
  }

  /** The spec's field `field` (a zoo name or expression; or `source`) applied to x of sample
   * shape `sample`; its parameters are the layer's arrays `<prefix><name>`. */
  activation(
    field: string,
    x: string,
    sample: readonly number[],
    prefix = "act.",
    source = String(this.spec[field]),
  ): string {
    const activation = resolveActivation(source).activation;
    const params = new Map<string, string>();
    const site: ActivationSite = {
      graph: this.graph,
      rank: sample.length + 1,
      where: `${this.where}.${field}`,
      param: (name) => {
        let value = params.get(name);
        if (value === undefined) {
          const spec = activation.params[name];
          value = this.weight(prefix + name, spec ? paramShape(spec.sharing, sample) : undefined);
          params.set(name, value);
        }
        return value;
      },
    };
    return emitActivation(site, activation, x);
  }
}

/** A layer type's ONNX form: the layer applied to `x` ([batch, ...inputShape]); its output. */
export type LayerMapping = (context: LayerContext, x: string) => string;
