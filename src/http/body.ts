/**
 * @module Reading request bodies with a size limit and clear errors.
 */
import { ApiError } from "./errors";

/** The body as text; 413 past `maxBytes` (checked on the declared length and on what arrives). */
export async function readText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return "";
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
  return new TextDecoder().decode(bytes);
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
