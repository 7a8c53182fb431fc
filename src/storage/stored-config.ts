/**
 * @module The check of a config read back from a site's SQLite (a version, the draft): its outline, not the whole
 * schema. Every config is validated whole (parseConfig) before it is stored, so what comes back is trusted once its
 * outline is there, the parts the code reading it walks (segments, campaigns with their variants and messages,
 * defaults: see core/config-diff.ts and core/decide.ts). Not validated again, because:
 * - a later, stricter schema must not make stored versions unreadable: the history, the diff of the next publish
 *   and a rollback read old versions as they were accepted;
 * - validating a config of up to 256 KiB costs far more than this walk, and a publish reads two or three.
 * What the check catches is storage that is not what this code wrote (hand edits, corruption), at the read.
 */
import type { Config } from "../core/config-schema";

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isStrings = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === "string");
const isMessage = (value: unknown) => isObject(value) && typeof value.text === "string";
const isVariant = (value: unknown) =>
  isObject(value) && typeof value.id === "string" && typeof value.weight === "number" && (value.message === undefined || isMessage(value.message));
const isCampaign = (value: unknown) =>
  isObject(value) && typeof value.id === "string" && typeof value.placement === "string" && Array.isArray(value.variants) && value.variants.every(isVariant);

/** Whether `value` has a stored config's outline. */
export function isStoredConfig(value: unknown): value is Config {
  return (
    isObject(value) &&
    isStrings(value.segments) &&
    Array.isArray(value.campaigns) &&
    value.campaigns.every(isCampaign) &&
    isObject(value.defaults) &&
    Object.values(value.defaults).every((message) => message === null || message === undefined || isMessage(message))
  );
}
