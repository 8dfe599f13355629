/**
 * Screening as a job: the rejection stages and zero-cost proxies of one activation, run wherever
 * the search's trials run (this process, a local worker, a Redis worker on another machine). The
 * request is data — the activation's text in the expression grammar, the stages, whether to
 * compute proxies — never code; the worker parses the text. A search's coordinator then only
 * asks and tells: the screening (a quality run is a short training) no longer waits in line on
 * its one thread, and a search over many machines is not bounded by the coordinator's core.
 */
import { parseActivation } from "../expr/parse.js";
import { zeroCostProxies } from "./proxies.js";
import type { ScreeningRecord } from "./screening/screener.js";
import { Screener } from "./screening/screener.js";
import type { RejectionStage } from "./screening/stage.js";

export interface ScreenRequest {
  /** The activation's canonical text. */
  activation: string;
  /** Rejection stages to run, in order (none: proxies only). */
  stages: RejectionStage[];
  /** Compute the zero-cost proxies of a candidate that passed. */
  proxies: boolean;
}

export interface ScreenResult {
  /** Absent when no stage was asked for. */
  screening?: ScreeningRecord;
  /** Absent when not asked for, or when a stage rejected the candidate. */
  proxies?: { values: Record<string, number>; seconds: number };
}

/**
 * One Screener per stage list and process: its quality stage trains the reference once, and
 * every screening after that reuses it (deterministic: each process trains the same reference).
 */
const screeners = new Map<string, Screener>();

/** Runs a screen request here. The engine must be started. */
export async function executeScreen(request: ScreenRequest): Promise<ScreenResult> {
  const activation = parseActivation(request.activation);
  const result: ScreenResult = {};
  if (request.stages.length > 0) {
    const key = request.stages.join(",");
    let screener = screeners.get(key);
    if (!screener) screeners.set(key, (screener = new Screener({ stages: request.stages })));
    result.screening = await screener.screen(activation);
  }
  if (request.proxies && (result.screening?.passed ?? true)) {
    const proxies = zeroCostProxies(activation);
    result.proxies = {
      values: { ...proxies.values },
      seconds: Object.values(proxies.seconds).reduce((s, v) => s + v, 0),
    };
  }
  return result;
}
