/**
 * @module Running the real `valuebar` command (bin/valuebar.mjs) as a child process, and files for it in a
 * temporary folder.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../../scripts/dev-server.mjs";

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** Resolves once stderr has a line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
  done: Promise<Run>;
}

/** Starts `valuebar ...args`; stdin closed, stdout and stderr collected. */
export function start(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [join(root, "bin", "valuebar.mjs"), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on("data", (chunk) => (stdout += String(chunk)));
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
    for (const w of [...waiters]) {
      if (w.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const done = new Promise<Run>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    waitFor: (pattern) => (pattern.test(stderr) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pattern, resolve }))),
    done,
  };
}

/** Runs `valuebar ...args` to the end. */
export function valuebar(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return start(args, env).done;
}

/** A fresh temporary folder; `file(name, text)` writes a file in it and returns its path. */
export function scratch(): { dir: string; file(name: string, text: string | Iterable<string>): string; path(name: string): string } {
  const dir = mkdtempSync(join(tmpdir(), "valuebar-cli-"));
  return {
    dir,
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, typeof text === "string" ? text : [...text].join(""));
      return path;
    },
    path: (name) => join(dir, name),
  };
}
