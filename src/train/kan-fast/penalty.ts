/**
 * pykan's sparsity regulariser of one KAN layer on plain numbers, with its gradient — the same
 * formula as kanLayerPenalty in ../objective.ts: for v_ij = (spread of edge i→j)/(spread of input
 * i + 0.1), reg = l1·Σv + entropy·(H_out + H_in), where H_out is the entropy (bits) of each output
 * node's normalised incoming v (p_ij = v_ij/(Σ_i v_ij + 1)), averaged over outputs, and H_in the
 * same per input node over its outgoing edges.
 */

const EPSILON = 1e-4;

export interface RegularizerWeights {
  l1: number;
  entropy: number;
}

/** reg and d reg/d v for v [n, m] row-major. */
export function pykanRegularizer(
  v: Float64Array,
  n: number,
  m: number,
  weights: RegularizerWeights,
): { value: number; grad: Float64Array } {
  const grad = new Float64Array(n * m).fill(weights.l1);
  let l1 = 0;
  for (let e = 0; e < n * m; e++) l1 += v[e] as number;
  // one entropy term: groups of `size` entries (stride within a group, step between groups)
  const entropyTerm = (groups: number, size: number, at: (g: number, k: number) => number) => {
    let total = 0;
    const scale = -weights.entropy / (groups * Math.LN2);
    for (let g = 0; g < groups; g++) {
      let sum = 0;
      for (let k = 0; k < size; k++) sum += v[at(g, k)] as number;
      const norm = sum + 1;
      let groupEntropy = 0;
      let weighted = 0; // Σ_k ∂H/∂p_k · v_k
      const dp = new Float64Array(size);
      for (let k = 0; k < size; k++) {
        const p = (v[at(g, k)] as number) / norm;
        groupEntropy += p * Math.log(p + EPSILON);
        dp[k] = scale * (Math.log(p + EPSILON) + p / (p + EPSILON));
        weighted += (dp[k] as number) * (v[at(g, k)] as number);
      }
      total += groupEntropy;
      for (let k = 0; k < size; k++) {
        const e = at(g, k);
        grad[e] = (grad[e] as number) + (dp[k] as number) / norm - weighted / (norm * norm);
      }
    }
    return -total / groups / Math.LN2;
  };
  const perOutput = entropyTerm(m, n, (j, i) => i * m + j);
  const perInput = entropyTerm(n, m, (i, j) => i * m + j);
  return { value: l1 * weights.l1 + (perOutput + perInput) * weights.entropy, grad };
}
