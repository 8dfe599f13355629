/** Messages between a pool process and its worker processes (structured clone over IPC). */
import type { Job, ResultOf } from "./job.js";

export type ParentMessage = { type: "run"; job: Job };

export type ChildMessage =
  | { type: "ready" }
  | { type: "epoch"; id: string; epoch: number; of: number; loss: number }
  | { type: "result"; id: string; result: ResultOf<Job> }
  | { type: "error"; id: string; message: string };
