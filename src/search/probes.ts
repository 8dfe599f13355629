/**
 * The probes that rejection stages (src/search/screening) and zero-cost proxies (proxies.ts)
 * share: a small task, an MLP around the activation, a batch of its rows, and parameter records
 * as flat float64 values and back.
 */
import { syntheticTask, xorShape } from "../data/synthetic.js";
import type { Task } from "../data/task.js";
import type { FloatDType } from "../engine/dtype.js";
import { arrayFrom } from "../engine/dtype.js";
import { takeValues } from "../engine/ownership.js";
import type { Activation } from "../expr/ast.js";
import { printActivation } from "../expr/print.js";
import type { LayerSpec } from "../nn/definition.js";
import type { ArrayRecord } from "../nn/layer.js";
import { rowsOf } from "../train/run-fit.js";

/**
 * The default probe task: 2-D XOR (synthetic/xor, noise 0.1), 256 / 128 / 16 rows. XOR needs a
 * nonlinearity (a linear network stays at chance), and 12 epochs of a width-16 MLP learn it.
 */
export function defaultProbeTask(seed = 1): Task {
  return syntheticTask(xorShape(), {
    name: "synthetic/xor",
    train: 256,
    val: 128,
    test: 16,
    seed,
    noise: 0.1,
  });
}

export const outputsOf = (task: Task): number =>
  task.kind === "regression" ? task.outputs : (task.classes ?? 2);

/** An MLP of `depth` hidden dense layers of `width` units with the activation, and a linear head. */
export function probeLayers(
  activation: Activation,
  task: Task,
  width: number,
  depth: number,
): LayerSpec[] {
  const text = printActivation(activation);
  const hidden = Array.from({ length: depth }, () => ({
    type: "dense",
    units: width,
    activation: text,
  }));
  return [...hidden, { type: "dense", units: outputsOf(task) }];
}

/** The first `rows` training rows, as model rows (classification targets one-hot). */
export function probeBatch(
  task: Task,
  rows: number,
): { x: Float64Array; y: Float64Array; rows: number } {
  const all = rowsOf(task, task.train);
  const n = Math.min(rows, all.rows);
  const xWidth = all.x.length / all.rows;
  const yWidth = all.y.length / all.rows;
  return { x: all.x.slice(0, n * xWidth), y: all.y.slice(0, n * yWidth), rows: n };
}

export interface FlatParam {
  layer: number;
  name: string;
  shape: number[];
  values: Float64Array;
}

/** The values of a list of parameter records (consumed). */
export function flattenParams(params: ArrayRecord[]): FlatParam[] {
  return params.flatMap((record, layer) =>
    Object.entries(record).map(([name, array]) => ({
      layer,
      name,
      shape: [...array.shape],
      values: takeValues(array),
    })),
  );
}

export function arraysOf(flat: FlatParam[], layers: number, dtype: FloatDType): ArrayRecord[] {
  const records: ArrayRecord[] = Array.from({ length: layers }, () => ({}));
  for (const p of flat)
    (records[p.layer] as ArrayRecord)[p.name] = arrayFrom(p.values, p.shape, dtype);
  return records;
}
