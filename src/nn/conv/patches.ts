/**
 * Sliding windows over channels-last images ([batch, height, width, channels]): the geometry of a
 * window (output size, "valid"/"same" padding) and im2col, the extraction of every window as one
 * row, so a convolution becomes ONE 2-D matmul (the only fast matmul in jax-js, DESIGN.md).
 *
 * jax-js has no strided slices, so a stride s is taken by reshaping an axis of length s·n into
 * [n, s] and picking one phase: row di + s·t of the padded image is phase di mod s of block
 * t + ⌊di/s⌋. Each of the kh·kw window offsets is then one plain slice.
 */
import { numpy as np } from "@jax-js/jax";
import { z } from "zod";
import { LayerSpecError } from "../layer.js";

export const PADDINGS = ["valid", "same"] as const;
export type Padding = (typeof PADDINGS)[number];

/** A size given as one integer (square) or [rows, columns]. */
export type SizePair = number | readonly [number, number];

export const pairOf = (size: SizePair): [number, number] =>
  typeof size === "number" ? [size, size] : [size[0], size[1]];

/** Where every window of one image lies; all sizes are per sample. */
export interface PatchGeometry {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  /** Zero rows/columns added before and after the image: [top, bottom], [left, right]. */
  readonly padRows: readonly [number, number];
  readonly padColumns: readonly [number, number];
  readonly outHeight: number;
  readonly outWidth: number;
}

/** The image shape [height, width, channels] of a layer input, or an error naming the layer. */
export function imageShape(kind: string, inputShape: readonly number[]): [number, number, number] {
  if (inputShape.length !== 3)
    throw new LayerSpecError(
      `${kind} needs image inputs [height, width, channels], got shape [${inputShape.join(", ")}]`,
    );
  return [inputShape[0] as number, inputShape[1] as number, inputShape[2] as number];
}

/**
 * Output size and padding along one axis. "valid": windows inside the image only,
 * out = ⌊(n − k)/s⌋ + 1. "same" (TensorFlow/JAX rule): out = ⌈n/s⌉, padded by
 * max((out − 1)·s + k − n, 0) zeros, the smaller half before.
 */
function axisGeometry(
  size: number,
  kernel: number,
  stride: number,
  padding: Padding,
): { out: number; pad: [number, number] } {
  if (padding === "valid") return { out: Math.floor((size - kernel) / stride) + 1, pad: [0, 0] };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return { out, pad: [before, total - before] };
}

/**
 * The geometry of windows of `kernel` moved by `stride` over an image. `fields` names the spec
 * fields in errors (a conv's "kernel", a pool's "pool_size").
 */
export function patchGeometry(
  kind: string,
  inputShape: readonly number[],
  kernel: SizePair,
  stride: SizePair,
  padding: Padding,
  fields: { kernel: string; stride: string } = { kernel: "kernel", stride: "stride" },
): PatchGeometry {
  const [height, width, channels] = imageShape(kind, inputShape);
  const [kh, kw] = pairOf(kernel);
  const [sh, sw] = pairOf(stride);
  for (const k of [kh, kw])
    if (!Number.isInteger(k) || k < 1)
      throw new LayerSpecError(`${kind}: ${fields.kernel} must be positive integers, got ${k}`);
  for (const s of [sh, sw])
    if (!Number.isInteger(s) || s < 1)
      throw new LayerSpecError(`${kind}: ${fields.stride} must be positive integers, got ${s}`);
  if (padding === "valid" && (kh > height || kw > width))
    throw new LayerSpecError(
      `${kind}: ${fields.kernel} ${kh}x${kw} is larger than the input ${height}x${width} ` +
        `(padding "valid"): use a smaller ${fields.kernel} or padding "same"`,
    );
  const rows = axisGeometry(height, kh, sh, padding);
  const columns = axisGeometry(width, kw, sw, padding);
  return {
    height,
    width,
    channels,
    kernel: [kh, kw],
    stride: [sh, sw],
    padRows: rows.pad,
    padColumns: columns.pad,
    outHeight: rows.out,
    outWidth: columns.out,
  };
}

/** Number of values in one window: kh·kw·channels (a conv's fan-in). */
export const patchSize = (g: PatchGeometry): number => g.kernel[0] * g.kernel[1] * g.channels;

/**
 * Pads x [B, H, W, C] (zeros for "same", and at the end so every stride phase has enough
 * blocks) and reshapes it to [B, H'/sh, sh, W'/sw, sw, C]. Consumes x.
 */
function phaseBlocks(x: np.Array, g: PatchGeometry): np.Array {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.stride;
  const paddedRows = g.height + g.padRows[0] + g.padRows[1];
  const paddedColumns = g.width + g.padColumns[0] + g.padColumns[1];
  // Blocks needed: the last offset k−1 starts at block ⌊(k−1)/s⌋ and spans `out` blocks.
  const rowBlocks = Math.max(Math.ceil(paddedRows / sh), Math.floor((kh - 1) / sh) + g.outHeight);
  const columnBlocks = Math.max(
    Math.ceil(paddedColumns / sw),
    Math.floor((kw - 1) / sw) + g.outWidth,
  );
  const extraRows = rowBlocks * sh - paddedRows;
  const extraColumns = columnBlocks * sw - paddedColumns;
  const batch = x.shape[0] as number;
  let padded = x;
  if (
    g.padRows[0] + g.padRows[1] + extraRows + g.padColumns[0] + g.padColumns[1] + extraColumns >
    0
  )
    padded = np.pad(x, [
      [0, 0],
      [g.padRows[0], g.padRows[1] + extraRows],
      [g.padColumns[0], g.padColumns[1] + extraColumns],
      [0, 0],
    ]);
  return padded.reshape([batch, rowBlocks, sh, columnBlocks, sw, g.channels]);
}

/** The window values at offset (di, dj) of every output position: [B, Ho, Wo, C]. Borrows blocks. */
function windowOffset(blocks: np.Array, g: PatchGeometry, di: number, dj: number): np.Array {
  const [sh, sw] = g.stride;
  const rowStart = Math.floor(di / sh);
  const columnStart = Math.floor(dj / sw);
  return blocks.ref.slice(
    [],
    [rowStart, rowStart + g.outHeight],
    di % sh,
    [columnStart, columnStart + g.outWidth],
    dj % sw,
    [],
  );
}

/**
 * Every window offset of x [B, H, W, C] as a list of kh·kw arrays [B, Ho, Wo, C], in row-major
 * offset order (di, dj). Pools reduce over this list. Consumes x.
 */
export function windowOffsets(x: np.Array, g: PatchGeometry): np.Array[] {
  const blocks = phaseBlocks(x, g);
  const offsets: np.Array[] = [];
  for (let di = 0; di < g.kernel[0]; di++)
    for (let dj = 0; dj < g.kernel[1]; dj++) offsets.push(windowOffset(blocks, g, di, dj));
  blocks.dispose();
  return offsets;
}

/**
 * im2col: x [B, H, W, C] → [B·Ho·Wo, kh·kw·C], one row per output position, columns in the
 * order (di, dj, c), i.e. a kernel [kh, kw, C, filters] reshaped row-major. Consumes x.
 */
export function extractPatches(x: np.Array, g: PatchGeometry): np.Array {
  const batch = x.shape[0] as number;
  const offsets = windowOffsets(x, g);
  const patches = offsets.length === 1 ? (offsets[0] as np.Array) : np.concatenate(offsets, 3);
  return patches.reshape([batch * g.outHeight * g.outWidth, patchSize(g)]);
}

const positiveInteger = z.number().int().positive();

/** Spec field for a window size or stride: one integer or [rows, columns]. */
export const sizePairSchema = z.union([
  positiveInteger,
  z.tuple([positiveInteger, positiveInteger]),
]);
