/**
 * Column normalisation fitted on the train split only and applied unchanged to val and test
 * (fitting on all rows would leak test statistics into training).
 */

export type Normalization = "standard" | "minmax" | "none";

/** Per column: stored = (raw − shift) / scale. */
export interface Scaling {
  readonly kind: Normalization;
  readonly shift: readonly number[];
  readonly scale: readonly number[];
}

/**
 * `standard`: shift = mean, scale = population standard deviation (so the train split has mean 0
 * and std 1 exactly). `minmax`: the train range maps onto [−1, 1], the default box of formula tasks
 * and of KAN grids. `none`: shift 0, scale 1. A constant column gets scale 1 (it is only shifted).
 */
export function fitScaling(
  table: Float64Array,
  rows: number,
  columns: number,
  kind: Normalization,
): Scaling {
  const shift: number[] = [];
  const scale: number[] = [];
  for (let c = 0; c < columns; c++) {
    if (kind === "none" || rows === 0) {
      shift.push(0);
      scale.push(1);
      continue;
    }
    let centre: number;
    let spread: number;
    if (kind === "standard") {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += table[r * columns + c] as number;
      centre = sum / rows;
      let squares = 0; // second pass: numerically safer than E[x²] − E[x]²
      for (let r = 0; r < rows; r++) squares += ((table[r * columns + c] as number) - centre) ** 2;
      spread = Math.sqrt(squares / rows);
    } else {
      let low = Infinity;
      let high = -Infinity;
      for (let r = 0; r < rows; r++) {
        const value = table[r * columns + c] as number;
        low = Math.min(low, value);
        high = Math.max(high, value);
      }
      centre = (low + high) / 2;
      spread = (high - low) / 2;
    }
    shift.push(centre);
    scale.push(spread > 0 ? spread : 1);
  }
  return { kind, shift, scale };
}

/** A normalised copy of a row-major table. */
export function applyScaling(table: Float64Array, scaling: Scaling): Float64Array {
  const columns = scaling.shift.length;
  const out = new Float64Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const c = i % columns;
    out[i] = ((table[i] as number) - (scaling.shift[c] as number)) / (scaling.scale[c] as number);
  }
  return out;
}

/** The raw values back from normalised ones (e.g. predictions in the target's own units). */
export function invertScaling(table: Float64Array, scaling: Scaling): Float64Array {
  const columns = scaling.shift.length;
  const out = new Float64Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const c = i % columns;
    out[i] = (table[i] as number) * (scaling.scale[c] as number) + (scaling.shift[c] as number);
  }
  return out;
}
