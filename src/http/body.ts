/**
 * @module Reading request bodies with a size limit and clear errors. A body must be UTF-8: bytes that are not
 * are refused (400 INVALID_ENCODING, saying at which byte and line), never replaced with U+FFFD, so what is
 * stored is what was sent.
 */
import { firstInvalidUtf8 } from "../core/utf8";
import { ApiError } from "./errors";

/**
 * The body as text; 413 past `maxBytes` (checked on the declared length and on what arrives); 400
 * INVALID_ENCODING when it is not UTF-8, naming the byte offset (from 0), and the line (from 1) in an issue.
 */
export async function readText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return "";
  // A declared length is what the HTTP layer reads, no more: one native read instead of a loop over chunks (the
  // events route reads a beacon on every request). Still checked, in case a body runs past what it declared.
  if (request.headers.has("content-length")) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
    return decodeUtf8(bytes);
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) bytes.set(chunk, offset), (offset += chunk.byteLength);
  return decodeUtf8(bytes);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw invalidEncoding(bytes);
  }
}

/** Where the body stops being UTF-8, as a 400 naming the byte offset, the line and the byte within that line. */
function invalidEncoding(bytes: Uint8Array): ApiError {
  const offset = Math.max(0, firstInvalidUtf8(bytes));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) line++, (lineStart = i + 1);
  }
  const where = `byte offset ${offset} (line ${line}, byte ${offset - lineStart + 1} of that line)`;
  return new ApiError("INVALID_ENCODING", `the body is not valid UTF-8 at ${where}; nothing was written`, [
    { line, message: `invalid UTF-8 at byte ${offset - lineStart + 1} of line ${line}` },
  ]);
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError("PAYLOAD_TOO_LARGE", `the body is larger than ${maxBytes} bytes`);
}

/** The body parsed as JSON; 400 INVALID_JSON with the parser's message otherwise. */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const text = await readText(request, maxBytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    const problem = error instanceof Error ? error.message : "parse error";
    // The document as a whole is what is wrong: its field path is the root, as zod's issues name it.
    throw new ApiError("INVALID_JSON", `the body is not valid JSON: ${problem}`, [{ path: "(root)", message: problem }]);
  }
}
