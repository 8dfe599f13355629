/**
 * KAN edges to formulas (pykan's suggest_symbolic / auto_symbolic / fix_symbolic, Liu et al.
 * 2024): every active spline edge is sampled on the training inputs, matched against a library
 * (analysis/edge-fit.ts), and — in the symbolic phase — fixed to its best match when that reaches
 * the R² threshold, or to a hand-chosen function (`lock`). An edge no library function explains
 * goes to `fallback` (symbolic regression, handed in by the caller: train may not import search)
 * and stays a spline when that fails too.
 */
import type { numpy as np } from "@jax-js/jax";
import { InputError } from "../base/errors.js";
import { arrayFrom } from "../engine/dtype.js";
import { takeValues } from "../engine/ownership.js";
import type { EdgeFit, EdgeFitOptions } from "../analysis/edge-fit.js";
import { DEFAULT_EDGE_FIT, fitEdgeFunction, rankEdgeFits } from "../analysis/edge-fit.js";
import type { EdgeFunction } from "../analysis/edge-library.js";
import {
  DEFAULT_EDGE_LIBRARY,
  edgeFunctionOf,
  EdgeLibraryError,
} from "../analysis/edge-library.js";
import type { Expr } from "../expr/ast.js";
import { printExpr } from "../expr/print.js";
import { KanLayer } from "../nn/kan/bspline.js";
import { plainLayerForward } from "../nn/kan/kan-ops.js";
import { plainBaseOf } from "../nn/kan/plain/support.js";
import type { SymbolicEdgeSpec } from "../nn/kan/symbolic-edges.js";
import { SYMBOLIC_AFFINE } from "../nn/kan/symbolic-edges.js";
import type { LayerState } from "../nn/layer.js";
import type { LayerSpec, ModelState } from "../nn/model.js";
import { Model } from "../nn/model.js";

/** One spline edge's samples: its input values and its outputs on the training rows. */
export interface EdgeSamples {
  readonly layer: number;
  readonly input: number;
  readonly unit: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** An edge the phase could not explain with its library: symbolic regression's best, or none. */
export type EdgeFallback = (samples: EdgeSamples) => { expr: Expr; r2: number } | undefined;

/** A KAN problem that is the user's to fix (a lock naming no edge, a layer it cannot sample). */
export class KanSymbolicError extends InputError {
  override name = "KanSymbolicError";
}

function kanLayersOf(model: Model): KanLayer[] {
  return model.layers.map((layer, l) => {
    if (!(layer instanceof KanLayer) || layer.constructor !== KanLayer)
      throw new KanSymbolicError(
        `layers[${l}] is ${layer.kind}: edges are read from B-spline kan layers only`,
      );
    if (!plainBaseOf(layer.spec))
      throw new KanSymbolicError(
        `layers[${l}].base: edges are read with a silu or identity base only`,
      );
    return layer;
  });
}

/**
 * Samples of every active spline edge (mask ≠ 0, not fixed) on inputs x [rows, inputs]
 * (borrowed). A layer's inputs come from the jax-js forward pass of the layers before it (fixed
 * edges included); its edges' outputs from the plain float64 forward (kan-ops.ts).
 */
export function splineEdgeSamples(model: Model, state: ModelState, x: np.Array): EdgeSamples[] {
  const layers = kanLayersOf(model);
  const samples: EdgeSamples[] = [];
  let h = x.ref;
  layers.forEach((layer, l) => {
    const s = state[l] as LayerState;
    const values = takeValues(h.ref);
    const { inputs: n, units: m } = layer;
    const rows = values.length / n;
    const { phi } = plainLayerForward(layer, s, values, plainBaseOf(layer.spec)!, true);
    const mask = takeValues(layer.array(s, "mask"));
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        if (mask[i * m + j] === 0 || layer.symbolic.has(i, j)) continue;
        samples.push({
          layer: l,
          input: i,
          unit: j,
          x: Float64Array.from({ length: rows }, (_, r) => values[r * n + i] as number),
          y: Float64Array.from({ length: rows }, (_, r) => phi[r * n * m + i * m + j] as number),
        });
      }
    if (l < layers.length - 1) h = layer.apply(s, h);
    else h.dispose();
  });
  return samples;
}

export interface EdgeCandidates {
  readonly layer: number;
  readonly input: number;
  readonly unit: number;
  /** The library's fits, best first. */
  readonly fits: EdgeFit[];
}

/** Every active spline edge's ranked fits (`nonlin kan edges`). */
export function edgeCandidates(
  model: Model,
  state: ModelState,
  x: np.Array,
  library: readonly EdgeFunction[] = DEFAULT_EDGE_LIBRARY,
  options: EdgeFitOptions = DEFAULT_EDGE_FIT,
): EdgeCandidates[] {
  return splineEdgeSamples(model, state, x).map((edge) => ({
    layer: edge.layer,
    input: edge.input,
    unit: edge.unit,
    fits: rankEdgeFits(library, edge.x, edge.y, options),
  }));
}

export interface EdgeLock {
  readonly layer: number;
  readonly input: number;
  readonly unit: number;
  /** A library name or an expression of x. */
  readonly function: string;
}

export interface SymbolicPhaseOptions {
  readonly library: readonly EdgeFunction[];
  readonly r2Threshold: number;
  /** Fix the edges no lock names by their best candidate (else they stay splines). */
  readonly auto: boolean;
  readonly lock: readonly EdgeLock[];
  readonly fit: EdgeFitOptions;
  readonly fallback?: EdgeFallback;
}

/** What the phase did to one edge. */
export interface FixedEdge {
  readonly layer: number;
  readonly input: number;
  readonly unit: number;
  readonly function: string;
  readonly expr: string;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly r2: number;
  readonly source: "library" | "lock" | "sr";
}

/** Checks every lock names an active spline edge; errors name the lock. */
function checkLocks(
  layers: KanLayer[],
  samples: EdgeSamples[],
  locks: readonly EdgeLock[],
  field: string,
): void {
  locks.forEach((lock, k) => {
    const where = `${field}.lock[${k}]`;
    const layer = layers[lock.layer];
    if (!layer)
      throw new KanSymbolicError(
        `${where}: edge ${lock.layer}.${lock.input}.${lock.unit} does not exist (the model has ${layers.length} kan layers)`,
      );
    if (lock.input >= layer.inputs || lock.unit >= layer.units)
      throw new KanSymbolicError(
        `${where}: edge ${lock.layer}.${lock.input}.${lock.unit} does not exist (layer ${lock.layer} has ${layer.inputs} inputs and ${layer.units} units)`,
      );
    if (
      !samples.some((s) => s.layer === lock.layer && s.input === lock.input && s.unit === lock.unit)
    )
      throw new KanSymbolicError(
        `${where}: edge ${lock.layer}.${lock.input}.${lock.unit} is pruned or already fixed`,
      );
  });
}

/** The function a lock names: a library entry by name, else an expression of x. */
function lockedFunction(
  name: string,
  library: readonly EdgeFunction[],
  where: string,
): EdgeFunction {
  try {
    return edgeFunctionOf(name, library);
  } catch (error) {
    if (error instanceof EdgeLibraryError)
      throw new KanSymbolicError(`${where}.function: ${error.message}`);
    throw error;
  }
}

/**
 * The symbolic phase on inputs x (borrowed): returns a new model whose specs list the fixed
 * edges and its state (the given state is consumed), and what was fixed. `field` names the phase
 * in errors (e.g. "phases[3]").
 */
export function fixSymbolicEdges(
  model: Model,
  state: ModelState,
  x: np.Array,
  options: SymbolicPhaseOptions,
  field = "symbolic",
): { model: Model; state: ModelState; fixed: FixedEdge[] } {
  const layers = kanLayersOf(model);
  const samples = splineEdgeSamples(model, state, x);
  checkLocks(layers, samples, options.lock, field);
  const fixed: FixedEdge[] = [];
  for (const edge of samples) {
    const lockIndex = options.lock.findIndex(
      (l) => l.layer === edge.layer && l.input === edge.input && l.unit === edge.unit,
    );
    const at = { layer: edge.layer, input: edge.input, unit: edge.unit };
    if (lockIndex >= 0) {
      const lock = options.lock[lockIndex]!;
      const fn = lockedFunction(lock.function, options.library, `${field}.lock[${lockIndex}]`);
      const fit = fitEdgeFunction(fn, edge.x, edge.y, options.fit);
      fixed.push({
        ...at,
        ...affineOf(fit),
        function: fn.name,
        expr: printExpr(fn.expr),
        r2: fit.r2,
        source: "lock",
      });
      continue;
    }
    if (!options.auto) continue;
    const best = rankEdgeFits(options.library, edge.x, edge.y, options.fit).find(
      (fit) => fit.r2 >= options.r2Threshold && !fit.degenerate,
    );
    if (best) {
      fixed.push({
        ...at,
        ...affineOf(best),
        function: best.name,
        expr: printExpr(best.expr),
        r2: best.r2,
        source: "library",
      });
      continue;
    }
    const found = options.fallback?.(edge);
    if (found && found.r2 >= options.r2Threshold) {
      const text = printExpr(found.expr);
      fixed.push({
        ...at,
        a: 1,
        b: 0,
        c: 1,
        d: 0,
        function: text,
        expr: text,
        r2: found.r2,
        source: "sr",
      });
    }
  }
  return { ...withFixedEdges(model, state, fixed), fixed };
}

const affineOf = (fit: EdgeFit) => ({ a: fit.a, b: fit.b, c: fit.c, d: fit.d });

/** The model with `fixed` added to its layers' symbolic lists, masks and affine rows. */
function withFixedEdges(
  model: Model,
  state: ModelState,
  fixed: readonly FixedEdge[],
): { model: Model; state: ModelState } {
  const specs: LayerSpec[] = [];
  const next: ModelState = model.layers.map((layer, l) => {
    const kan = layer as KanLayer;
    const s = state[l] as LayerState;
    const added = fixed.filter((edge) => edge.layer === l);
    if (added.length === 0) {
      specs.push(model.specs[l]!);
      return s;
    }
    const symbolic: SymbolicEdgeSpec[] = [
      ...kan.symbolic.edges,
      ...added.map((edge) => ({
        input: edge.input,
        unit: edge.unit,
        expr: edge.expr,
        name: edge.function,
      })),
    ];
    specs.push({ ...kan.spec, symbolic } as LayerSpec);
    const mask = takeValues(s.buffers.mask!);
    for (const edge of added) mask[edge.input * kan.units + edge.unit] = 0;
    const oldAffine = s.params[SYMBOLIC_AFFINE];
    const rows = [
      ...(oldAffine ? Array.from(takeValues(oldAffine)) : []),
      ...added.flatMap((edge) => [edge.a, edge.b, edge.c, edge.d]),
    ];
    return {
      params: {
        ...s.params,
        [SYMBOLIC_AFFINE]: arrayFrom(rows, [symbolic.length, 4], kan.dtype),
      },
      buffers: { ...s.buffers, mask: arrayFrom(mask, [kan.inputs, kan.units], kan.dtype) },
    };
  });
  return { model: new Model(specs, model.inputShape, model.dtype), state: next };
}
