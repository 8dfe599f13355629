/**
 * A fit's life in the store, as a user runs it: Ctrl-C (SIGINT) in the middle of a gradient phase
 * stops it after a checkpoint and prints the command that resumes it; `fit --resume RUN` (the run
 * id alone) finishes with the same final weights and metrics as a fit never stopped. The curve and
 * the final metrics are in the store as rows; a bad resume exits 2 and records no run.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "../src/store/index.js";

const main = join(import.meta.dirname, "../src/cli/main.ts");
const cli = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", main, ...args], {
    encoding: "utf8",
    timeout: 300_000,
  });

// two gradient phases: Adam with a cosine schedule (moments, β powers and the schedule's position
// must all come back), then early stopping on validation data (the selected epoch must too)
const SPEC = `task: {type: formula, formula: sin(3*x1) + x2, train: 256, val: 64, test: 64}
model: {dtype: float64, seed: 3, layers: [{type: dense, units: 16, activation: tanh}, {type: dense, units: 1}]}
phases:
  - {kind: gradient, epochs: 240, batch_size: 32, optimizer: {name: adam, lr: 0.01, schedule: {name: cosine, decay_steps: 1920}}}
  - {kind: gradient, epochs: 20, batch_size: 64, patience: 5}
`;

interface FitJson {
  run: string;
  phases: { phase: number; train: object; val: object; test: { rmse: number } }[];
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** The number of curve rows the store holds for its newest run (0 while it cannot be read). */
function epochsRecorded(store: string): { runId: string; epochs: number } {
  if (!existsSync(store)) return { runId: "", epochs: 0 };
  try {
    const view = openStore(store, { mustExist: true, readonly: true });
    try {
      const run = view.listRuns()[0];
      return run
        ? { runId: run.id, epochs: view.listFitEpochs(run.id).length }
        : { runId: "", epochs: 0 };
    } finally {
      view.close();
    }
  } catch {
    return { runId: "", epochs: 0 };
  }
}

/** `fit` of `spec` never stopped, in its own store and folder (dir/whole): its --json. */
function uninterruptedFit(dir: string, spec: string): FitJson {
  const whole = cli([
    "fit",
    spec,
    "--out",
    join(dir, "whole"),
    "--store",
    join(dir, "w.db"),
    "--json",
  ]);
  assert.equal(whole.status, 0, whole.stderr);
  return JSON.parse(whole.stdout) as FitJson;
}

interface Interrupted {
  runId: string;
  checkpoint: { phasesDone: number; inPhase: { epochs: number } };
}

/**
 * `fit spec --checkpoint-every 20` interrupted by SIGINT once 40 epochs are in the store — sent
 * to the process, or (`toGroup`) to its process group as a terminal's Ctrl-C is; it must stop
 * inside the first phase after a checkpoint, exit 130 and print the command that resumes it.
 */
async function interruptedFit(
  spec: string,
  out: string,
  store: string,
  toGroup: boolean,
): Promise<Interrupted> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      main,
      "fit",
      spec,
      "--out",
      out,
      "--store",
      store,
      "--checkpoint-every",
      "20",
    ],
    // its own process group, as a shell gives a command, when the signal goes to the group
    { stdio: ["ignore", "ignore", "pipe"], detached: toGroup },
  );
  const signal = (name: NodeJS.Signals) =>
    toGroup ? process.kill(-child.pid!, name) : child.kill(name);
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  // the curve reaches the store at each checkpoint: Ctrl-C once two are written
  let runId = "";
  for (let waited = 0; waited < 200_000 && child.exitCode === null; waited += 25) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const seen = epochsRecorded(store);
    if (seen.epochs >= 40) {
      runId = seen.runId;
      signal("SIGINT");
      break;
    }
  }
  if (!runId) signal("SIGKILL");
  const code = await exited;
  assert.ok(runId, `the fit got to epoch 40 before the interrupt: ${stderr}`);
  assert.equal(code, 130, stderr);
  assert.ok(
    stderr.includes(
      `interrupted after a checkpoint: resume with nonlin fit --resume ${runId} --store ${store}`,
    ),
    stderr,
  );
  const checkpoint = JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8"));
  assert.equal(checkpoint.phasesDone, 0, "stopped inside the first phase");
  assert.ok(
    checkpoint.inPhase.epochs >= 40 && checkpoint.inPhase.epochs < 240,
    `stopped at epoch ${checkpoint.inPhase.epochs} of 240`,
  );
  return { runId, checkpoint };
}

/**
 * `fit --resume RUN` (the run id alone: the config and the folder are the run's): it goes on
 * after the checkpoint's epoch, in the same run, and ends bit-equal to the uninterrupted fit
 * (float64 on one engine) — its phases' metrics and dir/whole's weights.
 */
function resumedFit(
  { runId, checkpoint }: Interrupted,
  store: string,
  out: string,
  dir: string,
  expected: FitJson,
): FitJson {
  const resumed = cli(["fit", "--resume", runId, "--store", store, "--json"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(
    resumed.stderr,
    new RegExp(`resuming phase 1 of 2 after epoch ${checkpoint.inPhase.epochs}`),
  );
  const results = JSON.parse(resumed.stdout) as FitJson;
  assert.equal(results.run, runId, "the resume goes on in the same run");
  const strip = (p: FitJson["phases"][number]) => ({ train: p.train, val: p.val, test: p.test });
  assert.deepEqual(results.phases.map(strip), expected.phases.map(strip));
  assert.equal(
    sha(join(out, "weights.safetensors")),
    sha(join(dir, "whole", "weights.safetensors")),
  );
  return results;
}

describe("fit: Ctrl-C inside a phase, then --resume RUN", { timeout: 900_000 }, () => {
  it("finishes with the same weights and metrics as an uninterrupted fit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-resume-"));
    const spec = join(dir, "curve.yaml");
    writeFileSync(spec, SPEC);

    const expected = uninterruptedFit(dir, spec);
    const store = join(dir, "runs.db");
    const out = join(dir, "out");
    const interrupted = await interruptedFit(spec, out, store, false);
    const { runId, checkpoint } = interrupted;
    const before = openStore(store, { mustExist: true });
    assert.equal(before.getRun(runId)?.status, "interrupted");
    assert.equal(before.listFitPhases(runId).length, 0);
    // runs ls says how far it got: the curve reaches the store with each checkpoint
    assert.equal(
      before.listRuns()[0]!.headline,
      `phase 1/2 gradient, epoch ${checkpoint.inPhase.epochs}/240`,
    );
    before.close();
    // the interrupted run's checkpoint serves predict/export by the run's id too (its folder)
    const onnx = join(dir, "interrupted.onnx");
    const exported = cli(["export", runId, "--to", "onnx", "--out", onnx, "--store", store]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.ok(existsSync(onnx));

    resumedFit(interrupted, store, out, dir, expected);

    const shown = cli(["runs", "show", runId, "--store", store]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(
      shown.stdout,
      new RegExp(
        `2\\s+gradient\\s+sin\\(3\\*x1\\) \\+ x2\\s+.*${expected.phases[1]!.test.rmse.toPrecision(4)}`,
      ),
    );
    // the store: one run, done, with both phases' metrics and the whole curve as rows
    const after = openStore(store, { mustExist: true });
    try {
      assert.equal(after.listRuns().length, 1);
      assert.equal(after.getRun(runId)?.status, "done");
      const phases = after.listFitPhases(runId);
      assert.deepEqual(
        phases.map((p) => [p.phase, p.kind, p.metric, p.diverged, p.testMetric]),
        expected.phases.map((p, i) => [i, "gradient", "rmse", false, p.test.rmse]),
      );
      const curve = after.listFitEpochs(runId);
      const first = curve.filter((e) => e.phase === 0);
      assert.deepEqual(
        first.map((e) => e.epoch),
        Array.from({ length: 240 }, (_, i) => i),
      );
      assert.ok(
        first.every((e) => e.trainLoss !== null && e.valLoss !== null && e.valMetric !== null),
      );
      // the curve of the interrupted-and-resumed run is the uninterrupted run's
      const reference = openStore(join(dir, "w.db"), { mustExist: true, readonly: true });
      try {
        const [wholeRun] = reference.listRuns();
        assert.deepEqual(curve, reference.listFitEpochs(wholeRun!.id));
        const listed = after.listRuns()[0]!;
        assert.equal(listed.name, "curve.yaml");
        assert.equal(listed.engine, "jax/wasm");
        assert.equal(
          listed.headline,
          `test rmse ${expected.phases[1]!.test.rmse.toExponential(3)} after 2 phase(s)`,
        );
      } finally {
        reference.close();
      }
    } finally {
      after.close();
    }
  });

  it("on the torch engine too: Ctrl-C to the process group, then --resume RUN, bit-equal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-resume-torch-"));
    const spec = join(dir, "torch.yaml");
    // more rows than the jax case: torch runs an epoch of this MLP in ~2 ms, too fast to interrupt
    // in the middle at the test's polling rate
    writeFileSync(
      spec,
      SPEC.replace("train: 256", "train: 2048")
        .replace("decay_steps: 1920", "decay_steps: 15360")
        .replace("model:", "engine: torch\nmodel:"),
    );
    const expected = uninterruptedFit(dir, spec);
    const store = join(dir, "runs.db");
    const out = join(dir, "out");
    const interrupted = await interruptedFit(spec, out, store, true);
    const { runId } = interrupted;
    assert.ok(existsSync(join(out, "training-state.safetensors")));

    resumedFit(interrupted, store, out, dir, expected);
    const after = openStore(store, { mustExist: true, readonly: true });
    const reference = openStore(join(dir, "w.db"), { mustExist: true, readonly: true });
    try {
      assert.equal(after.getRun(runId)?.status, "done");
      assert.match(after.listRuns()[0]!.engine ?? "", /^torch/);
      const [wholeRun] = reference.listRuns();
      assert.deepEqual(after.listFitEpochs(runId), reference.listFitEpochs(wholeRun!.id));
    } finally {
      after.close();
      reference.close();
    }
  });

  it("refuses a bad --resume with exit 2 and records no run", () => {
    const dir = mkdtempSync(join(tmpdir(), "nonlin-fit-resume-"));
    const spec = join(dir, "small.yaml");
    writeFileSync(
      spec,
      "task: {type: formula, formula: x1, train: 32, val: 8, test: 8}\nmodel: {layers: [{type: dense, units: 1}]}\nphases: [{kind: gradient, epochs: 2}]\n",
    );
    const store = join(dir, "runs.db");
    const noOut = cli(["fit", spec, "--store", store, "--json"]);
    assert.equal(noOut.status, 0, noOut.stderr);
    const fitRun = (JSON.parse(noOut.stdout) as FitJson).run;
    // a config given with the run id must be the one the run was started with
    const withOut = cli(["fit", spec, "--store", store, "--out", join(dir, "kept"), "--json"]);
    assert.equal(withOut.status, 0, withOut.stderr);
    const keptRun = (JSON.parse(withOut.stdout) as FitJson).run;
    const other = join(dir, "other.yaml");
    writeFileSync(other, readFileSync(spec, "utf8").replace("epochs: 2", "epochs: 3"));
    const bench = join(dir, "bench.yaml");
    writeFileSync(
      bench,
      "tasks: [toy/xy]\ncandidates: [{activation: relu}]\nseeds: 1\nfairness: {mode: params, budget: 50}\nrows: {train: 64, val: 32, test: 32}\ntraining: {epochs: 2, batch_size: 32}\n",
    );
    const benched = cli([
      "bench",
      bench,
      "--store",
      store,
      "--out",
      join(dir, "b"),
      "--workers",
      "1",
    ]);
    assert.equal(benched.status, 0, benched.stderr);
    const count = () => {
      const view = openStore(store, { mustExist: true, readonly: true });
      try {
        return view.listRuns().length;
      } finally {
        view.close();
      }
    };
    const runs = count();
    const cases: [string[], RegExp][] = [
      [["fit", "--resume", "r-nope", "--store", store], /no run 'r-nope'/],
      [
        ["fit", spec, "--resume", join(dir, "empty"), "--store", store],
        /no run '.*empty'|no such checkpoint folder|not found/,
      ],
      [
        ["fit", "--resume", fitRun, "--store", store],
        /kept no checkpoints \(it ran without --out\)/,
      ],
      [["fit", spec, "--resume", dir, "--store", store], /checkpoint\.json not found/],
      [["fit", "--resume", "r-", "--store", store], /ambiguous|is a 'bench' run, not a fit/],
      [
        ["fit", spec, "--checkpoint-every", "ten", "--store", store],
        /--checkpoint-every: expected a whole number/,
      ],
    ];
    const benchRun = (() => {
      const view = openStore(store, { mustExist: true, readonly: true });
      try {
        return view.listRuns().find((r) => r.command === "bench")!.id;
      } finally {
        view.close();
      }
    })();
    cases.push([["fit", "--resume", benchRun, "--store", store], /is a 'bench' run, not a fit/]);
    cases.push([
      ["fit", other, "--resume", keptRun, "--store", store],
      /--resume: .*kept was written for another config/,
    ]);
    for (const [args, message] of cases) {
      const result = cli(args);
      assert.equal(result.status, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    }
    assert.equal(count(), runs, "no failed resume added a run");
  });
});
