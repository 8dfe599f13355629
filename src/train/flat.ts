/**
 * A model's trainable arrays as one flat float64 vector (for L-BFGS) and back. Inside a jitted
 * call the vector is cut with slices, which is cheap; outside it is plain numbers.
 */
import type { numpy as np } from "@jax-js/jax";
import type { FloatDType } from "../engine/dtype.js";
import { arrayFrom } from "../engine/dtype.js";
import { takeValues } from "../engine/ownership.js";
import { readValues } from "../engine/threads.js";
import type { ArrayRecord } from "../nn/layer.js";

export interface FlatEntry {
  layer: number;
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export class FlatLayout {
  readonly entries: FlatEntry[] = [];
  readonly size: number;

  constructor(params: readonly ArrayRecord[]) {
    let offset = 0;
    params.forEach((record, layer) => {
      for (const name of Object.keys(record).sort()) {
        const shape = [...(record[name] as np.Array).shape];
        const size = shape.reduce((a, b) => a * b, 1);
        this.entries.push({ layer, name, shape, offset, size });
        offset += size;
      }
    });
    this.size = offset;
  }

  /** Copies the values out (params are kept). */
  flatten(params: readonly ArrayRecord[]): Float64Array {
    const flat = new Float64Array(this.size);
    for (const e of this.entries)
      flat.set(takeValues((params[e.layer] as ArrayRecord)[e.name]!.ref), e.offset);
    return flat;
  }

  /** `flatten`, read as `readValues` reads (asynchronously through the pool or on WebGPU). */
  async read(params: readonly ArrayRecord[]): Promise<Float64Array> {
    const flat = new Float64Array(this.size);
    for (const e of this.entries)
      flat.set(await readValues((params[e.layer] as ArrayRecord)[e.name]!.ref), e.offset);
    return flat;
  }

  /** Fresh arrays from plain values. */
  toArrays(flat: Float64Array, dtype: FloatDType): ArrayRecord[] {
    const out: ArrayRecord[] = [];
    for (const e of this.entries) {
      const record = (out[e.layer] ??= {});
      record[e.name] = arrayFrom(flat.subarray(e.offset, e.offset + e.size), e.shape, dtype);
    }
    return fillGaps(out, this.layerCount());
  }

  /** Views of a flat jax-js vector (borrowed), for use inside a traced function. */
  slice(flat: np.Array): ArrayRecord[] {
    const out: ArrayRecord[] = [];
    for (const e of this.entries) {
      const record = (out[e.layer] ??= {});
      record[e.name] = flat.ref.slice([e.offset, e.offset + e.size]).reshape(e.shape);
    }
    return fillGaps(out, this.layerCount());
  }

  private layerCount(): number {
    return this.entries.reduce((max, e) => Math.max(max, e.layer + 1), 0);
  }
}

/** Layers without trainable arrays still need an (empty) record. */
function fillGaps(records: ArrayRecord[], count: number): ArrayRecord[] {
  for (let i = 0; i < count; i++) records[i] ??= {};
  return records;
}
