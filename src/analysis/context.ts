/**
 * The fixed context in which a context-dependent activation (one with statistics) is measured
 * and drawn: unit 0 of a row whose other CONTEXT_WIDTH − 1 units are the same standard-normal
 * neighbours every run. Plain numbers (no engine), so reports can draw curves without one.
 */

export const CONTEXT_WIDTH = 64;

/** A fixed standard-normal sample (Box–Muller on a small LCG): the same neighbours every run. */
export function standardNormalNeighbours(count: number): number[] {
  let state = 12345;
  const uniform = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return Array.from(
    { length: count },
    () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}
