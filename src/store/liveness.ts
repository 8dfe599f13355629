/**
 * Whether a run the store calls 'running' really is: a process killed with kill -9 (or a machine
 * that lost power) cannot mark its run interrupted, so readers look at the owner recorded with the
 * run. On this machine a pid that no longer exists means the run was interrupted — and so does a
 * pid that now belongs to a process started at another time (pids are reused); on another
 * machine nothing can be checked. This is computed when read, never written back.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { RunOwner, RunStatus } from "./types.js";

/**
 * When process `pid` started, as "BOOT_ID:TICKS": the kernel's boot id and the start time in
 * clock ticks after boot (field 22 of /proc/PID/stat). Undefined where /proc cannot tell (not
 * Linux, no such process).
 */
export function processStarted(pid: number): string | undefined {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) may hold spaces and parentheses: fields 3… follow the last ")"
    const ticks = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return boot && ticks ? `${boot}:${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

/** The owner a run created or resumed by this process gets. */
export function thisProcess(): RunOwner {
  const started = processStarted(process.pid);
  return { pid: process.pid, host: hostname(), ...(started === undefined ? {} : { started }) };
}

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
  /** Default: processStarted. */
  startedOf?: (pid: number) => string | undefined;
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
  if ((check.alive ?? processAlive)(pid)) {
    // the pid exists: the run's process only if it started when the run's did (when known)
    const started = run.owner.started;
    const now = started === undefined ? undefined : (check.startedOf ?? processStarted)(pid);
    if (now === undefined || now === started) return none;
  }
  return { status: "interrupted", gonePid: pid, elsewhere: null };
}
