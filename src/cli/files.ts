/**
 * @module Files for the CLI: text read as a stream of chunks (never whole), JSON files with errors that name
 * the file, and writes that land whole or not at all.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { CliError } from "./errors";

/** The text of `path` in chunks of about 1 MB. A file with NUL bytes is refused as not being text. */
export async function* textChunks(path: string, what: string): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 });
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      if (first && chunk.includes("\u0000")) throw new CliError(`${path} is not a text file; ${what}`);
      first = false;
      yield chunk;
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  } finally {
    stream.destroy();
  }
}

/** Parsed JSON of `path`, or a CliError naming the file and what is wrong. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Writes `chunks` to `path` through a temporary file renamed at the end, so readers never see half a file. */
export async function writeWhole(path: string, chunks: Iterable<string>): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const out = createWriteStream(temporary, { encoding: "utf8" });
    const failed = new Promise<never>((_, reject) => out.once("error", reject));
    for (const chunk of chunks) {
      if (!out.write(chunk)) await Promise.race([new Promise<void>((resolve) => out.once("drain", () => resolve())), failed]);
    }
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new CliError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** Small files (checkpoints): written to a temporary file, then renamed over the old one. */
export async function writeSmallFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}
