/**
 * Applies an activation (a zoo name or an expression) inside a layer. Its learnable parameters
 * become layer params named `act.<name>`, its fixed ones buffers of the same name, shaped by their
 * sharing (one value, per channel = last axis, per neuron = every position of a sample).
 */
import { numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../engine/dtype.js";
import { toJaxDType } from "../engine/dtype.js";
import type { Activation } from "../expr/ast.js";
import { isPointwise } from "../expr/ast.js";
import type { ActivationFn, ParamArrays } from "../expr/compile.js";
import { buildActivationFn, paramShape } from "../expr/compile.js";
import { resolveActivation } from "../zoo/index.js";
import type { ArrayRecord, FlopCount, Layer, LayerState, ShapeRecord } from "./layer.js";
import { flopsFromForward, LayerSpecError, product } from "./layer.js";

const PREFIX = "act.";

/** Counts the elementary operations of an expression (the FLOP convention of layer.ts). */
function opCount(activation: Activation): number {
  let count = 0;
  const visit = (node: Activation["expr"]): void => {
    if (node.kind === "call" || node.kind === "stat") count += 1;
    if (node.kind === "pow")
      count += Math.max(1, Math.ceil(Math.log2(Math.abs(node.exponent) + 1)));
    if (node.kind === "call") node.args.forEach(visit);
    if (node.kind === "pow") visit(node.base);
    if (node.kind === "stat") visit(node.arg);
  };
  visit(activation.expr);
  return count;
}

export class ActivationApplier {
  readonly activation: Activation;
  private readonly fn: ActivationFn;

  /** `source`: a zoo name or an expression; `field` names it in error messages. */
  constructor(
    source: string,
    readonly sampleShape: readonly number[],
    readonly dtype: FloatDType,
    field = "activation",
  ) {
    try {
      this.activation = resolveActivation(source).activation;
    } catch (error) {
      throw new LayerSpecError(`${field}: ${(error as Error).message}`);
    }
    this.fn = buildActivationFn(this.activation, dtype);
  }

  get isIdentity(): boolean {
    return this.activation.expr.kind === "input";
  }

  get isPointwise(): boolean {
    return isPointwise(this.activation.expr);
  }

  /** Adds the activation's parameters to a layer's state. */
  initInto(state: LayerState): void {
    for (const [name, spec] of Object.entries(this.activation.params)) {
      const value = np.full(paramShape(spec.sharing, this.sampleShape), spec.init, {
        dtype: toJaxDType(this.dtype),
      });
      (spec.learnable ? state.params : state.buffers)[PREFIX + name] = value;
    }
  }

  /** Shapes of the learnable parameters initInto adds to `params`. */
  paramShapes(): ShapeRecord {
    const shapes: ShapeRecord = {};
    for (const [name, spec] of Object.entries(this.activation.params))
      if (spec.learnable) shapes[PREFIX + name] = paramShape(spec.sharing, this.sampleShape);
    return shapes;
  }

  /** Consumes x, borrows the state. */
  apply(state: LayerState, x: np.Array): np.Array {
    if (this.isIdentity) return x;
    // fromEntries, so a parameter named __proto__ is an own entry, not the prototype
    const values: ParamArrays = Object.fromEntries(
      Object.entries(this.activation.params).map(([name, spec]) => {
        const record: ArrayRecord = spec.learnable ? state.params : state.buffers;
        const value = record[PREFIX + name];
        if (!value) throw new Error(`missing activation parameter '${PREFIX + name}'`);
        return [name, value.ref];
      }),
    );
    const shape = x.shape;
    const y = this.fn(x, values);
    // an activation that does not read x (a constant, or a parameter alone) has the shape of
    // its parameters: every row gets it, as torch and ONNX broadcast it
    return sameShape(y.shape, shape) ? y : np.broadcastTo(y, shape);
  }

  /** FLOPs per sample. */
  flops(): FlopCount {
    return flopsFromForward(opCount(this.activation) * product(this.sampleShape));
  }
}

/** A standalone activation layer: y = f(x), shape preserved. */
export class ActivationLayer implements Layer {
  readonly kind = "activation";
  readonly outputShape: readonly number[];
  private readonly applier: ActivationApplier;

  constructor(
    source: string,
    readonly inputShape: readonly number[],
    readonly dtype: FloatDType,
  ) {
    this.outputShape = inputShape;
    this.applier = new ActivationApplier(source, inputShape, dtype, "fn");
  }

  init(key: np.Array): LayerState {
    key.dispose();
    const state: LayerState = { params: {}, buffers: {} };
    this.applier.initInto(state);
    return state;
  }

  apply(state: LayerState, x: np.Array): np.Array {
    return this.applier.apply(state, x);
  }

  paramShapes(): ShapeRecord {
    return this.applier.paramShapes();
  }

  flops(): FlopCount {
    return this.applier.flops();
  }
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((n, i) => n === b[i]);
