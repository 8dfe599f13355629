/**
 * A recorded run whose trials failed (after their retries) ends the command with exit 1 once its
 * results are written — before, `bench` exited 0 with the run stored as failed (issue 18).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { exitCodeOf } from "../src/cli/errors.js";
import { makeOutput } from "../src/cli/output.js";
import { TrialsFailedError, withRunSession } from "../src/cli/run-session.js";
import { InlineExecutor } from "../src/exec/inline.js";
import { openStore } from "../src/store/index.js";

const folder = mkdtempSync(join(tmpdir(), "nonlin-run-session-"));
after(() => rmSync(folder, { recursive: true, force: true }));

const session = (store: string) => ({
  command: "bench" as const,
  config: { name: "session" },
  configHash: "h",
  device: "wasm" as const,
  store,
});

describe("a recorded run's ending", () => {
  it("exits 1 (TrialsFailedError) when trials failed, after the run is stored as failed", async () => {
    const store = join(folder, "failed.db");
    let wrote = false;
    const error = await withRunSession(
      session(store),
      new InlineExecutor(),
      makeOutput(true),
      async () => {
        wrote = true; // the work (results, reports) is done before the command fails
        return "failed";
      },
    ).then(
      () => assert.fail("the session succeeded"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TrialsFailedError);
    assert.equal(exitCodeOf(error), 1);
    assert.ok(wrote);
    const opened = openStore(store);
    const [run] = opened.listRuns();
    opened.close();
    assert.equal(run!.status, "failed");
    assert.match(
      (error as Error).message,
      new RegExp(`run ${run!.id} finished with failed trials .*--resume ${run!.id}`),
    );
  });

  it("ends normally when every trial finished", async () => {
    const store = join(folder, "done.db");
    await withRunSession(
      session(store),
      new InlineExecutor(),
      makeOutput(true),
      async () => "done",
    );
    const opened = openStore(store);
    assert.equal(opened.listRuns()[0]!.status, "done");
    opened.close();
  });
});
