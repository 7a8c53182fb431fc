/**
 * @module Fault injection around the real bindings: a KV namespace and a Durable Object namespace that pass
 * every call to the real one (workerd's KV, real objects) unless a plan says this call fails, lands and then
 * reports a failure, hangs, or is slow. Nothing here stands in for storage: what is written is really written.
 *
 * - `faultyKv(env.KV, plan)`: for a Worker route, in the env given to `fetchWithEnv`.
 * - `faultyNamespace(env.SITE_ADMIN, plan)`: failing RPC calls to a site's object or an experiment shard.
 * - `kvFaultsInObject(stub, plan)`: the same KV wrapper inside a running Durable Object (its `env.KV`), for the
 *   writes the object does itself (imports, publishes); `restore()` puts the real binding back.
 */
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";
import { ORIGIN } from "./helpers";

export type KvOp = "get" | "getWithMetadata" | "put" | "delete" | "list";

/**
 * What happens to one call:
 * - `fail`: rejects without touching storage;
 * - `fail-after`: the call lands in storage, then rejects (the caller cannot tell it landed);
 * - `hang`: never settles (only for callers that bound their wait with a timeout);
 * - `{ delayMs }`: lands, after a delay.
 */
export type Fault = "fail" | "fail-after" | "hang" | { delayMs: number };

export interface KvCall {
  op: KvOp;
  /** The key, or the prefix for `list`. */
  key: string;
  /** 1-based count of calls of this op so far, this one included. */
  n: number;
}

export type KvPlan = (call: KvCall) => Fault | undefined;

/** Every call a faulty binding saw, and what was done to it. */
export interface CallLog<C> {
  calls: (C & { fault?: Fault })[];
}

export class InjectedFault extends Error {
  override name = "InjectedFault";
}

const KV_OPS: readonly KvOp[] = ["get", "getWithMetadata", "put", "delete", "list"];

/** Applies a fault around a real call. */
async function apply<T>(fault: Fault | undefined, what: string, real: () => Promise<T>): Promise<T> {
  if (fault === undefined) return real();
  if (fault === "fail") throw new InjectedFault(`injected failure: ${what}`);
  if (fault === "hang") return new Promise<T>(() => {});
  if (fault === "fail-after") {
    await real();
    throw new InjectedFault(`injected failure after the call landed: ${what}`);
  }
  await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  return real();
}

/** A KV namespace that forwards to `kv`, with the plan's faults on chosen calls. */
export function faultyKv(kv: KVNamespace, plan: KvPlan): KVNamespace & CallLog<KvCall> {
  const counts = new Map<KvOp, number>();
  const calls: (KvCall & { fault?: Fault })[] = [];
  const wrapped: Record<string, unknown> = { calls };
  for (const op of KV_OPS) {
    wrapped[op] = (...args: unknown[]) => {
      const n = (counts.get(op) ?? 0) + 1;
      counts.set(op, n);
      const key = op === "list" ? String((args[0] as { prefix?: string } | undefined)?.prefix ?? "") : String(args[0]);
      const call: KvCall = { op, key, n };
      const fault = plan(call);
      calls.push({ ...call, ...(fault === undefined ? {} : { fault }) });
      const method = kv[op] as (...a: unknown[]) => Promise<unknown>;
      return apply(fault, `KV ${op} ${key}`, () => method.apply(kv, args));
    };
  }
  return wrapped as unknown as KVNamespace & CallLog<KvCall>;
}

export interface RpcCall {
  /** The object's name, as given to `idFromName`. */
  name: string;
  method: string;
  /** 1-based count of calls of this method on any object of the namespace, this one included. */
  n: number;
}

export type RpcPlan = (call: RpcCall) => "fail" | "fail-after" | { delayMs: number } | undefined;

/**
 * A Durable Object namespace whose stubs forward every RPC call to the real object, with the plan's faults on
 * chosen calls (`fail`: the object never sees it; `fail-after`: it ran, then the caller gets an error).
 */
export function faultyNamespace<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  plan: RpcPlan,
): DurableObjectNamespace<T> & CallLog<RpcCall> {
  const counts = new Map<string, number>();
  const calls: (RpcCall & { fault?: Fault })[] = [];
  const names = new Map<string, string>();
  const idFromName = (name: string) => {
    const id = namespace.idFromName(name);
    names.set(id.toString(), name);
    return id;
  };
  const get = (id: DurableObjectId) => {
    const stub = namespace.get(id);
    const name = names.get(id.toString()) ?? id.toString();
    return new Proxy(stub, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof property !== "string" || property === "fetch" || property === "then") return value;
        return (...args: unknown[]) => {
          const n = (counts.get(property) ?? 0) + 1;
          counts.set(property, n);
          const call: RpcCall = { name, method: property, n };
          const fault = plan(call);
          calls.push({ ...call, ...(fault === undefined ? {} : { fault }) });
          const method = (target as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[property];
          if (!method) throw new TypeError(`no method ${property} on the stub`);
          // Reflect.apply, not method.apply: on an RPC stub, `.apply` would be a call of a remote method "apply".
          return apply(fault, `${name}.${property}()`, () => Promise.resolve(Reflect.apply(method, target, args)));
        };
      },
    });
  };
  return { idFromName, get, calls, newUniqueId: () => namespace.newUniqueId(), idFromString: (s: string) => namespace.idFromString(s) } as unknown as DurableObjectNamespace<T> &
    CallLog<RpcCall>;
}

/** The env of the running object, which the object reads its bindings from (`this.env`). */
interface WithEnv {
  env: Cloudflare.Env;
}

/**
 * Puts a faulty KV in front of the real one inside a running Durable Object: its own KV writes (imports,
 * publishes) then meet the plan's faults. `restore()` puts the real binding back.
 */
export async function kvFaultsInObject(
  stub: DurableObjectStub<Rpc.DurableObjectBranded>,
  plan: KvPlan,
): Promise<{ kv: KVNamespace & CallLog<KvCall>; restore: () => Promise<void> }> {
  const kv = faultyKv(env.KV, plan);
  await runInDurableObject(stub, (instance: unknown) => {
    const object = instance as WithEnv;
    object.env = { ...object.env, KV: kv };
  });
  const restore = async () => {
    try {
      await runInDurableObject(stub, (instance: unknown) => {
        const object = instance as WithEnv;
        object.env = { ...object.env, KV: env.KV };
      });
    } catch {
      // The object was reset (an exception escaped it): its next instance starts with the real bindings anyway.
    }
  };
  return { kv, restore };
}

/**
 * A request to the Worker's own handler with some bindings replaced (faulty ones), the rest real. Waits for the
 * work the request left to `waitUntil` (exposure writes) unless told not to.
 */
export async function fetchWithEnv(
  overrides: Partial<Cloudflare.Env>,
  path: string,
  init?: RequestInit,
  options: { waitForBackground?: boolean } = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...overrides }, ctx);
  if (options.waitForBackground !== false) await waitOnExecutionContext(ctx);
  return response;
}

/** A plan that faults every call matching `match` with `fault`. */
export function always(match: (call: KvCall) => boolean, fault: Fault): KvPlan {
  return (call) => (match(call) ? fault : undefined);
}
