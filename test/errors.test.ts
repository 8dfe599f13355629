import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EXIT_BAD_INPUT, EXIT_FAILURE, NonlinError } from "../src/base/errors.js";
import { BenchConfigError } from "../src/bench/config.js";
import { describeError, exitCodeOf, UsageError } from "../src/cli/errors.js";
import { DataError } from "../src/data/task.js";
import { EngineError } from "../src/engine/device.js";
import { TrialFailure, WorkerCrash } from "../src/exec/child-worker.js";
import { ExecError, JobFailedError } from "../src/exec/executor.js";
import { ExprError, ExprSyntaxError } from "../src/expr/errors.js";
import { LayerSpecError } from "../src/nn/layer.js";
import { SearchConfigError } from "../src/search/config.js";
import { SearchStateError } from "../src/search/search-state.js";
import { UnsupportedNodeError } from "../src/expr/evaluate.js";
import { SrOptionsError } from "../src/search/sr/search.js";
import { StoreError, StoreWriteError } from "../src/store/errors.js";
import { ScheduleError } from "../src/train/optim/schedule.js";
import { OptimizerSpecError } from "../src/train/optim/spec.js";
import { TreeMismatchError } from "../src/train/optim/tree-ops.js";
import { SafetensorsError } from "../src/train/safetensors.js";

describe("exit codes carried by the errors", () => {
  const badInput: NonlinError[] = [
    new UsageError("--budget: expected a whole number"),
    new ExprSyntaxError("expected an expression", 1, 4, "x +"),
    new ExprError("cannot export"),
    new DataError("data.csv: line 3"),
    new LayerSpecError("units: must be ≥ 1"),
    new OptimizerSpecError("optimizer.lr: too small"),
    new ScheduleError("decay_rate must be > 0"),
    new BenchConfigError("candidates[0]: unknown"),
    new SearchConfigError("budget: too small"),
    new SearchStateError("the resumed state has populationSize 8, the run asks for 16"),
    new SrOptionsError("budget: must be a whole number ≥ 1"),
    new EngineError("--device webgpu: no WebGPU adapter was found"),
    new ExecError("--redis: 'x' is not a URL"),
    new StoreError("no run 'x'"),
  ];
  const failures: NonlinError[] = [
    new StoreWriteError("database is locked", "runs.db", "recording trial t", "SQLITE_BUSY"),
    new JobFailedError("trial job j failed after 3 attempt(s)"),
    new TrialFailure("diverged"),
    new WorkerCrash("worker process 12 has exited"),
    new SafetensorsError("the header must start with '{'"),
    new TreeMismatchError("trees differ in structure"),
    new UnsupportedNodeError("unknown variable 'z'"),
  ];

  for (const error of badInput)
    it(`${error.name} is bad input: exit 2`, () => {
      assert.equal(error.exitCode, EXIT_BAD_INPUT);
      assert.equal(exitCodeOf(error), 2);
    });
  for (const error of failures)
    it(`${error.name} is a failure while running: exit 1`, () => {
      assert.equal(error.exitCode, EXIT_FAILURE);
      assert.equal(exitCodeOf(error), 1);
    });

  it("a store that cannot be written is still a StoreError, yet exits 1", () => {
    const error = new StoreWriteError("locked", "runs.db", "recording", "SQLITE_BUSY");
    assert.ok(error instanceof StoreError);
    assert.equal(exitCodeOf(error), 1);
  });

  it("anything else thrown exits 1 and prints its message alone", () => {
    assert.equal(exitCodeOf(new RangeError("index out of range")), 1);
    assert.equal(exitCodeOf("a string"), 1);
    assert.equal(describeError(new RangeError("index out of range")), "error: index out of range");
  });

  it("keeps messages and names as they were", () => {
    const error = new EngineError("unknown device 'cuda'");
    assert.equal(error.message, "unknown device 'cuda'");
    assert.equal(error.name, "EngineError");
    assert.ok(error instanceof Error);
    assert.equal(
      describeError(new ExprSyntaxError("expected an expression", 1, 4, "x +")),
      "error: bad expression: line 1, column 4: expected an expression\n  x +\n     ^",
    );
  });
});
