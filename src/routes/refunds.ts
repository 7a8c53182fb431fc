/**
 * @module POST /v1/refunds/{site}: refunds from the store's backend, for net revenue after returns (issue 14). One
 * refund (`{"order_id", "refund_id"?, "value", "currency"}`) or a batch (`{"refunds": [...]}`, at most
 * MAX_REFUNDS_PER_REQUEST), authenticated either with the site's importer token (`Authorization: Bearer vb_...`,
 * or the owner's) or by a signature of the raw body with SIGNING_SECRET (src/platform/refund-signature.ts).
 *
 * A refund names an order, not a unit (the backend does not know the visitor), so it goes on the events queue once,
 * to every shard of each experiment the live config runs (EXPERIMENT_SHARDS times the experiments, at most the
 * config's 200 campaigns: one message a refund), and each shard keeps it for that order. It reduces the order
 * whenever they meet: the purchase may come later, or may have come weeks before, past the conversion window.
 *
 * Answers 202 once every refund is queued. Nothing is written when anything is wrong: 401 (no or a wrong
 * credential), 403 (a token whose role may not send refunds), 400 naming the field, 413 past MAX_REFUND_BYTES. When
 * the queue does not take a refund, 503: send the request again; a refund counts once per (order id, refund id),
 * so what was queued before counts nothing twice.
 */
import { Hono } from "hono";
import * as z from "zod/mini";
import { mayDo } from "../core/access";
import { toFieldIssues } from "../core/config-schema";
import { experimentKey, isExperiment } from "../core/experiment";
import { CURRENCY_CODE, CURRENCY_RULE, SITE_ID } from "../core/shared";
import type { Env } from "../env";
import { tokenActor } from "../http/auth";
import { readText } from "../http/body";
import { requireEnvironment } from "../http/environment";
import { ApiError } from "../http/errors";
import { REFUND_SIGNATURE_HEADER, refundSignatureProblem } from "../platform/refund-signature";
import { CONFIG_TIMEOUT_MS } from "../service/decision-service";
import type { EventsMessage, QueuedEvent } from "../storage/event-queue";
import { readLiveConfig, usableConfig } from "../storage/live-config";

/** Refunds one request may carry: a backend's retry loop or a nightly sync sends them in small batches. */
export const MAX_REFUNDS_PER_REQUEST = 20;
export const MAX_REFUND_BYTES = 16_384;

const RefundSchema = z.strictObject({
  order_id: z.string().check(z.minLength(1), z.maxLength(128)),
  /** The store's id of this refund: partial refunds of one order each have their own; without one, one refund an order. */
  refund_id: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  /** In major units of `currency`, as the purchase was sent (42.5 is €42.50). */
  value: z.number().check(z.gt(0), z.lte(1_000_000)),
  currency: z.string().check(z.regex(CURRENCY_CODE, CURRENCY_RULE)),
});
const BatchSchema = z.strictObject({
  refunds: z.array(RefundSchema).check(z.minLength(1), z.maxLength(MAX_REFUNDS_PER_REQUEST, `send at most ${MAX_REFUNDS_PER_REQUEST} refunds a request`)),
});
type Refund = z.infer<typeof RefundSchema>;

export const refundRoutes = new Hono<{ Bindings: Env }>().post("/v1/refunds/:site", requireEnvironment, async (c) => {
  const site = c.req.param("site");
  if (!SITE_ID.test(site)) throw new ApiError("NOT_FOUND", `no site "${site}"`);
  const body = await readText(c.req.raw, MAX_REFUND_BYTES);
  await authenticateRefunds(c.env, c.req.raw, site, body);
  const refunds = parseRefunds(body);

  const read = await readLiveConfig(c.env.KV, site, CONFIG_TIMEOUT_MS);
  if (read.status === "unknown") throw new ApiError("NOT_FOUND", `no site "${site}"`);
  const live = usableConfig(read);
  if (!live) throw new ApiError("UNAVAILABLE", "the site's config could not be read; send the refunds again (each counts once)");

  const experiments = live.config.campaigns.filter(isExperiment);
  const at = Date.now();
  const messages: EventsMessage[] = experiments.length === 0 ? [] : refunds.map((refund) => ({ events: [queuedRefund(site, refund, experiments.map(experimentKey), at)] }));
  try {
    // One message a refund, each sent on its own: a message stays below the queue's 128 KB whatever the batch.
    await Promise.all(messages.map((message) => c.env.EVENTS.send(message)));
  } catch (error) {
    console.error(`valuebar: refunds of site ${site} not queued`, error);
    throw new ApiError("UNAVAILABLE", "the refunds could not be queued; send them again (each counts once per order id and refund id)");
  }
  return c.json({ queued: messages.length, experiments: experiments.map((e) => e.id) }, 202);
});

/**
 * 401 unless the request carries the site's importer token (or the owner's), or a valid, fresh signature of the
 * body; 403 for a token whose role may not send refunds.
 */
async function authenticateRefunds(env: Env, request: Request, site: string, body: string): Promise<void> {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    const actor = token ? await tokenActor(env, token, site) : null;
    if (!actor) throw new ApiError("UNAUTHORIZED", "the token is not valid for this site");
    if (!mayDo(actor.role, "refunds:write")) throw new ApiError("FORBIDDEN", `a token with the ${actor.role} role cannot send refunds (use an importer token)`);
    return;
  }
  const signature = request.headers.get(REFUND_SIGNATURE_HEADER);
  if (signature === null) throw new ApiError("UNAUTHORIZED", "send an importer token (Authorization: Bearer <token>) or sign the body (Valuebar-Signature: t=<unix seconds>,v1=<hex>)");
  const problem = await refundSignatureProblem(env.SIGNING_SECRET, site, signature, body, Date.now());
  if (problem) throw new ApiError("UNAUTHORIZED", problem);
}

function parseRefunds(body: string): Refund[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    const problem = error instanceof Error ? error.message : "parse error";
    throw new ApiError("INVALID_JSON", `the body is not valid JSON: ${problem}`, [{ path: "(root)", message: problem }]);
  }
  // A batch is told by its key: its issues then name "refunds.3.value", not the union's "no match".
  const batch = typeof json === "object" && json !== null && "refunds" in json;
  const parsed = batch ? BatchSchema.safeParse(json) : RefundSchema.safeParse(json);
  if (!parsed.success) throw new ApiError("BAD_REQUEST", "the refunds are invalid; nothing was counted", toFieldIssues(parsed.error));
  return "refunds" in parsed.data ? parsed.data.refunds : [parsed.data];
}

/** A refund as the events queue carries it: to every shard of each experiment (it names no unit). */
function queuedRefund(site: string, refund: Refund, experiments: readonly string[], at: number): QueuedEvent {
  const event = { kind: "refund", orderId: refund.order_id, refundId: refund.refund_id ?? "", value: refund.value, currency: refund.currency, at } as const;
  return { id: crypto.randomUUID(), site, shard: 0, everyShard: true, counts: experiments.map((experiment) => ({ experiment, event })) };
}
