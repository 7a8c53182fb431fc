/**
 * @module A Durable Object's one alarm, asked for by several parts of its work (SiteAdmin: the KV copy of the live
 * config, the membership writes KV did not confirm), each with its own backoff.
 */

/**
 * Makes sure the alarm fires within `delayMs` (an earlier one stays, so no part of the alarm's work is put off by
 * another's backoff). Set before KV writes, so it survives the object dying midway.
 */
export async function alarmWithin(storage: DurableObjectStorage, delayMs: number): Promise<void> {
  const at = Date.now() + delayMs;
  const current = await storage.getAlarm();
  if (current === null || current > at) await storage.setAlarm(at);
}
