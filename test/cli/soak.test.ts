/**
 * @module A short run of `npm run soak` (scripts/soak.mjs): the Worker under `wrangler dev` with mixed traffic
 * for a few seconds, then its own checks (no 5xx, every decided exposure counted exactly once, every acknowledged
 * import row read back). The full soak is a separate command; this keeps it working and catches a loss early.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../../scripts/dev-server.mjs";

interface SoakReport {
  ok: boolean;
  requests: number;
  serverErrors: number;
  networkErrors: number;
  kinds: Record<string, { requests: number; statuses: Record<string, number>; p50Ms: number; p99Ms: number }>;
  exposures: { experiments: number; unitsDecided: number; lost: number; extra: number };
  imports: { rowsAcknowledged: number; readBack: number; lost: number };
  workerdMemory: { startBytes: number | null; endBytes: number | null };
  problems: string[];
}

function runSoak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, "scripts/soak.mjs"), ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += String(chunk)));
    child.stderr.on("data", (chunk) => (stderr += String(chunk)));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("soak (smoke run)", () => {
  it("serves mixed traffic for a few seconds with no 5xx, and loses no exposure and no import row", async () => {
    const { code, stdout, stderr } = await runSoak(["--seconds", "6", "--concurrency", "8", "--json"]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as SoakReport;
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.serverErrors).toBe(0);
    expect(report.networkErrors).toBe(0);
    expect(report.requests).toBeGreaterThan(50);
    expect(Object.keys(report.kinds)).toEqual(expect.arrayContaining(["snippet anonymous", "snippet identified", "event", "import"]));
    // Both experiments of the soak config were decided for someone, and each unit counted once.
    expect(report.exposures.experiments).toBe(2);
    expect(report.exposures.unitsDecided).toBeGreaterThan(0);
    expect(report.exposures).toMatchObject({ lost: 0, extra: 0 });
    expect(report.imports.rowsAcknowledged).toBeGreaterThan(0);
    expect(report.imports.readBack).toBe(report.imports.rowsAcknowledged);
    expect(report.workerdMemory.startBytes).toBeGreaterThan(0);
    expect(report.workerdMemory.endBytes).toBeGreaterThan(0);
  }, 180_000);
});
