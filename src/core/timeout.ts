/**
 * @module A bound on how long the Worker waits for storage: the hot path's KV reads, an import's KV writes and a
 * publish's KV put all give up after a fixed time rather than hang with the request (or a Durable Object's input).
 */

/** Rejects when `promise` takes longer than `ms` (the promise itself runs on; only the wait ends). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
