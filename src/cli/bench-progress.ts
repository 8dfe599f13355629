/**
 * The live display of a bench run: on a terminal, a bar of trials (with ETA) and a bar of the
 * current trial's epochs; elsewhere (or under --json, on stderr) one line per finished trial.
 */
import { MultiBar, Presets } from "cli-progress";
import type { TrialResult } from "../bench/results.js";
import type { Output } from "./output.js";

export interface BenchProgress {
  started(name: string): void;
  epoch(epoch: number, of: number, loss: number): void;
  finished(name: string, result: TrialResult): void;
  failed(message: string): void;
  stop(): void;
}

/** The bars on screen now, if any: a notice is printed above them instead of through them. */
let activeBars: MultiBar | undefined;

/**
 * Prints a line for the user (an executor's notice) without breaking the live display: above the
 * bars while they are drawn, else as `output.say` would.
 */
export function noticeAboveProgress(output: Output, text: string): void {
  if (activeBars) activeBars.log(`${text}\n`);
  else output.say(text);
}

export function makeProgress(
  total: number,
  alreadyDone: number,
  epochs: number,
  json: boolean,
  output: Output,
): BenchProgress {
  const started = performance.now();
  let done = alreadyDone;
  let ran = 0;
  const eta = (): string => {
    if (ran === 0) return "ETA …";
    const seconds = (((performance.now() - started) / 1000) * (total - done)) / ran;
    return `ETA ${seconds < 90 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`}`;
  };
  const line = (name: string, result: TrialResult) =>
    `[${done}/${total}] ${name}: test ${result.test.metric.toPrecision(4)} (${result.epochs} epochs, ${result.secondsPerEpoch.toFixed(3)} s/epoch)${result.diverged ? " DIVERGED" : ""}`;
  if (!process.stderr.isTTY || json)
    return {
      started: () => {},
      epoch: () => {},
      finished(name, result) {
        done++;
        ran++;
        output.say(line(name, result));
      },
      failed(message) {
        done++;
        output.say(message);
      },
      stop: () => {},
    };
  const bars = new MultiBar(
    {
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      format: "{label} [{bar}] {value}/{total} {info}",
    },
    Presets.shades_classic,
  );
  activeBars = bars;
  const trials = bars.create(total, done, { label: "trials", info: eta() });
  const current = bars.create(epochs, 0, { label: "epochs", info: "" });
  return {
    started(name) {
      current.update(0, { info: name });
    },
    epoch(epoch, of, loss) {
      current.setTotal(of);
      current.update(epoch, { info: `loss ${loss.toExponential(3)}` });
    },
    finished(name, result) {
      done++;
      ran++;
      bars.log(`${line(name, result)}\n`);
      trials.update(done, { info: eta() });
    },
    failed(message) {
      done++;
      bars.log(`${message}\n`);
      trials.update(done, { info: eta() });
    },
    stop() {
      if (activeBars === bars) activeBars = undefined;
      bars.stop();
    },
  };
}
