/** Messages between a pool process and its worker processes (structured clone over IPC). */
import type { TrialResult } from "../bench/results.js";
import type { TrialJob } from "./job.js";

export type ParentMessage = { type: "run"; job: TrialJob };

export type ChildMessage =
  | { type: "ready" }
  | { type: "epoch"; id: string; epoch: number; of: number; loss: number }
  | { type: "result"; id: string; result: TrialResult }
  | { type: "error"; id: string; message: string };
