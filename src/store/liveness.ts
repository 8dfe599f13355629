/**
 * Whether a run the store calls 'running' really is: a process killed with kill -9 (or a machine
 * that lost power) cannot mark its run interrupted, so readers look at the owner recorded with the
 * run. On this machine a pid that no longer exists means the run was interrupted; on another
 * machine nothing can be checked. This is computed when read, never written back.
 */
import { hostname } from "node:os";
import type { RunOwner, RunStatus } from "./types.js";

/** The owner a run created or resumed by this process gets. */
export const thisProcess = (): RunOwner => ({ pid: process.pid, host: hostname() });

/**
 * Whether process `pid` exists on this machine. Signal 0 sends nothing, it only checks: ESRCH
 * means no such process; EPERM means one exists that belongs to another user.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

export interface LivenessCheck {
  /** This machine's host name (default os.hostname()). */
  host?: string;
  /** Default: processAlive. */
  alive?: (pid: number) => boolean;
}

export interface LiveStatus {
  /** The status to show: 'interrupted' for a running run whose process here is gone. */
  status: RunStatus;
  /** The pid of a running run's process, on this machine, that no longer exists. */
  gonePid: number | null;
  /** The host of a running run's process on another machine (its pid cannot be checked here). */
  elsewhere: string | null;
}

/** The status a run should be shown with, from its stored status and owner. */
export function liveStatus(
  run: { status: RunStatus; owner: RunOwner | null },
  check: LivenessCheck = {},
): LiveStatus {
  const none: LiveStatus = { status: run.status, gonePid: null, elsewhere: null };
  // a finished run, or one recorded before owners were (schema < 3): nothing to check
  if (run.status !== "running" || run.owner === null) return none;
  const { pid, host } = run.owner;
  if (host !== (check.host ?? hostname())) return { ...none, elsewhere: host };
  if ((check.alive ?? processAlive)(pid)) return none;
  return { status: "interrupted", gonePid: pid, elsewhere: null };
}
