/**
 * jax-js 2-D matmul on the shapes of the KAN-vs-MLP benchmark (batch 100, 1000 → 9990 → 1),
 * float32, wasm: which shape or step is slow. Each line: min and median of `--repeats` timed runs
 * after one warm-up, each timed until the result is read (dataSync of a small reduction).
 * Run: node --import tsx bench/micro-matmul.ts [--repeats 5] [--only name]
 */
import { jit, numpy as np, valueAndGrad } from "@jax-js/jax";
import { arrayFrom, startEngine } from "../src/engine/index.js";
import { matmul2d } from "../src/nn/dense.js";

await startEngine("wasm");
const argument = (name: string, fallback: string): string =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback;
const repeats = Number(argument("--repeats", "5"));
const only = argument("--only", "");

const filled = (rows: number, cols: number, seed: number): np.Array =>
  arrayFrom(
    Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(seed + i * 0.37) * 0.05),
    [rows, cols],
    "float32",
  );

function time(name: string, run: () => void): void {
  if (only && !name.includes(only)) return;
  run();
  const t: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(58)} min ${t[0]!.toFixed(1).padStart(8)} ms  median ${t[repeats >> 1]!.toFixed(1).padStart(8)} ms`,
  );
}

const B = 100;
const N = 1000;
const H = 9990;
const x = filled(B, N, 1);
const w1 = filled(N, H, 2);
const w1t = filled(H, N, 3);
const w2 = filled(H, 1, 4);
const hidden = filled(B, H, 5);
const g = filled(B, H, 6);

const read = (a: np.Array): void => void a.sum().dataSync();
const relu = (z: np.Array): np.Array => z.ref.mul(np.greater(z, 0).astype(np.float32));

// forward pieces
const mm = jit((a: np.Array, b: np.Array) => np.matmul(a, b));
time("[100,1000]x[1000,9990]  jit", () => read(mm(x.ref, w1.ref)));
time("[100,1000]x[1000,9990]  eager", () => read(np.matmul(x.ref, w1.ref)));
time("[100,1000]x[1000,9988] (first 9988 columns, a view)  jit", () =>
  read(jit((a: np.Array, b: np.Array) => np.matmul(a, b.slice([], [0, 9988])))(x.ref, w1.ref)),
);
time("[100,1000]x[1000,9990] dense.ts matmul2d (9988 + 2 columns)  jit", () =>
  read(jit((a: np.Array, b: np.Array) => matmul2d(a, b))(x.ref, w1.ref)),
);
time("[100,1000]x[9990,1000]^T  jit (transposed weight)", () =>
  read(jit((a: np.Array, b: np.Array) => np.matmul(a, b.transpose()))(x.ref, w1t.ref)),
);
time("[100,9990]x[9990,1]  jit", () => read(mm(hidden.ref, w2.ref)));
time("[100,1000]x[1000,9990] + relu  jit", () =>
  read(jit((a: np.Array, b: np.Array) => relu(np.matmul(a, b)))(x.ref, w1.ref)),
);
time("[100,1000]x[1000,9990] + np.maximum relu  jit", () =>
  read(jit((a: np.Array, b: np.Array) => np.maximum(np.matmul(a, b), 0))(x.ref, w1.ref)),
);
time("[100,1000]x[1000,9990] + silu  jit", () =>
  read(
    jit((a: np.Array, b: np.Array) => {
      const z = np.matmul(a, b);
      return z.ref.mul(np.reciprocal(np.exp(z.neg()).add(1)));
    })(x.ref, w1.ref),
  ),
);
// column blocks: the same product as 10 matmuls of 999 columns, concatenated
const blocks = 10;
time(`[100,1000]x[1000,9990] as ${blocks} column blocks  jit`, () =>
  read(
    jit((a: np.Array, b: np.Array) => {
      const width = H / blocks;
      const parts: np.Array[] = [];
      for (let k = 0; k < blocks; k++)
        parts.push(np.matmul(a.ref, b.ref.slice([], [k * width, (k + 1) * width])));
      a.dispose();
      b.dispose();
      return np.concatenate(parts, 1);
    })(x.ref, w1.ref),
  ),
);
// backward pieces: dW1 = xᵀ·g [1000, 9990], dx = g·W1ᵀ [100, 1000]
time("dW1 = x^T [1000,100] x g [100,9990]  jit", () =>
  read(jit((a: np.Array, b: np.Array) => np.matmul(a.transpose(), b))(x.ref, g.ref)),
);
time("dW1 = x^T materialised [1000,100] x g  jit", () =>
  read(mm(arrayFrom(Float32Array.from(x.ref.transpose().dataSync()), [N, B], "float32"), g.ref)),
);
time("dx = g [100,9990] x W1^T [9990,1000]  jit", () =>
  read(jit((a: np.Array, b: np.Array) => np.matmul(a, b.transpose()))(g.ref, w1.ref)),
);
// whole MLP 1000 → 9990 → 1 (relu as compare-cast), with np.matmul and with dense.ts's split
type Weights = { w1: np.Array; w2: np.Array };
for (const [name, product] of [
  ["np.matmul", (a: np.Array, b: np.Array) => np.matmul(a, b)],
  ["matmul2d", (a: np.Array, b: np.Array) => matmul2d(a, b)],
] as const) {
  const mlp = (p: Weights, input: np.Array): np.Array =>
    product(relu(product(input, p.w1)), p.w2).sum();
  const forward = jit(mlp);
  const step = jit((p: Weights, input: np.Array) =>
    valueAndGrad((q: Weights) => mlp(q, input.ref))(p),
  );
  time(
    `MLP forward (${name})  jit`,
    () => void forward({ w1: w1.ref, w2: w2.ref }, x.ref).dataSync(),
  );
  time(`MLP forward+backward (${name})  jit`, () => {
    const [value, grads] = step({ w1: w1.ref, w2: w2.ref }, x.ref);
    value.dataSync();
    read(grads.w1);
    read(grads.w2);
  });
}
