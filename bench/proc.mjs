// @module Which workerd is whose, and how much CPU each process and the machine spent (Linux /proc): shared by
// bench/run.mjs, bench/edge.mjs and bench/profile.mjs, which may each run more than one workerd at a time.
import { readdirSync, readFileSync } from "node:fs";

/** The pids of this process's children named `name` (Miniflare spawns workerd directly). */
export function childPids(name) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm === name && ppid === process.pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** The workerd child that `start` spawned: the one that was not there before (null when none, or several, appeared). */
export async function spawnedWorkerd(start) {
  const before = new Set(childPids("workerd"));
  const started = await start();
  const fresh = childPids("workerd").filter((pid) => !before.has(pid));
  return { started, pid: fresh.length === 1 ? (fresh[0] ?? null) : null };
}

// /proc counts in clock ticks: USER_HZ, 100 on Linux.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far; NaN without a pid. */
export function processCpuSeconds(pid) {
  if (pid === null) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime + stime
}

/** CPU seconds the whole machine has been busy so far, all cores together. */
export function machineBusySeconds() {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}
