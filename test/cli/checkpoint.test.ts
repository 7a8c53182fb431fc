/**
 * @module The checkpoint of `segments push` read back (src/cli/checkpoint.ts): the push resumes only from a
 * checkpoint of the same file, site, URL and --replace; anything else, or a file that is not a checkpoint, is
 * said in one line and the push starts from the first line.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Checkpoint, CheckpointOptions } from "../../src/cli/checkpoint";
import { loadCheckpoint, newCheckpoint, saveCheckpoint } from "../../src/cli/checkpoint";
import { scratch } from "./run";

const SHA = "a".repeat(64);

function setUp(): { options: CheckpointOptions; lines: string[]; load: (sha?: string, more?: Partial<CheckpointOptions>) => Promise<Checkpoint | null> } {
  const options: CheckpointOptions = { checkpoint: scratch().path("m.ndjson.checkpoint.json"), restart: false, site: "my-store", url: "https://w.example", replace: false };
  const lines: string[] = [];
  return { options, lines, load: (sha = SHA, more = {}) => loadCheckpoint({ ...options, ...more }, sha, (line) => lines.push(line)) };
}

describe("push checkpoint", () => {
  it("resumes from a checkpoint it saved, as saved", async () => {
    const { options, lines, load } = setUp();
    const saved = newCheckpoint(options, SHA);
    saved.nextLine = 20_001;
    saved.totals.rows = 20_000;
    saved.refusedLines.push({ line: 7, path: "segments", message: "refused here" });
    await saveCheckpoint(options.checkpoint, saved);
    expect(await load()).toEqual(saved);
    expect(lines).toEqual([`Resuming from the checkpoint ${options.checkpoint}: 20,000 row(s) already pushed, going on at line 20,001.`]);
  });

  it("starts over, saying nothing, when there is no checkpoint", async () => {
    const { lines, load } = setUp();
    expect(await load()).toBeNull();
    expect(lines).toEqual([]);
  });

  it.each([
    ["not JSON", "{oops"],
    ["JSON but not a checkpoint", "[1, 2]"],
    ["a checkpoint with a line that is not a number", (c: Checkpoint) => ({ ...c, nextLine: "20001" })],
    ["a checkpoint with a push id that could reach a URL", (c: Checkpoint) => ({ ...c, sync: "x&from=1" })],
    ["a checkpoint without its phase", (c: Checkpoint) => ({ ...c, phase: undefined })],
  ])("starts over from %s, saying it is unreadable", async (_, content) => {
    const { options, lines, load } = setUp();
    writeFileSync(options.checkpoint, typeof content === "string" ? content : JSON.stringify(content(newCheckpoint(options, SHA))));
    expect(await load()).toBeNull();
    expect(lines).toEqual([`The checkpoint ${options.checkpoint} is unreadable; starting from the first line.`]);
  });

  it.each([
    ["an older format", { version: 2 }, {}, SHA],
    ["another version of the file", {}, {}, "b".repeat(64)],
    ["site my-store at https://w.example", {}, { site: "other-store" }, SHA],
    ["site my-store at https://w.example", {}, { url: "https://elsewhere.example" }, SHA],
    ["a push without --replace", {}, { replace: true }, SHA],
  ])("starts over from a checkpoint for %s, and says so", async (what, change, options2, sha) => {
    const { options, lines, load } = setUp();
    writeFileSync(options.checkpoint, JSON.stringify({ ...newCheckpoint(options, SHA), ...change }));
    expect(await load(sha, options2)).toBeNull();
    expect(lines).toEqual([`The checkpoint ${options.checkpoint} is for ${what}; starting from the first line.`]);
  });

  it("ignores the checkpoint with --restart, and leaves it to be overwritten", async () => {
    const { options, lines, load } = setUp();
    await saveCheckpoint(options.checkpoint, newCheckpoint(options, SHA));
    const before = readFileSync(options.checkpoint, "utf8");
    expect(await load(SHA, { restart: true })).toBeNull();
    expect(lines).toEqual([`--restart: ignoring the checkpoint ${options.checkpoint}`]);
    expect(readFileSync(options.checkpoint, "utf8")).toBe(before);
  });
});
