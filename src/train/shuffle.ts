/** Seeded shuffles of training rows (Fisher–Yates on a mulberry32 stream): same seed, same order. */
function permutation(count: number, seed: number): number[] {
  let state = (seed ^ 0x9e3779b9) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/**
 * The order of the training rows in epoch `epoch` of a trial with seed `seed`: part of the trial
 * protocol, so every engine runs the same batches (src/train/trial-engine.ts).
 */
export function batchOrder(rows: number, seed: number, epoch: number): number[] {
  return permutation(rows, seed + epoch);
}
