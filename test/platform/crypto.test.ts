/**
 * @module The HMAC memos of src/platform/crypto.ts: a memoised HMAC is the HMAC (against a key imported afresh), each
 * memo keeps at most HMAC_MEMO_SIZE entries whatever is asked of it, and only a customer id's valid signature is kept.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { HMAC_MEMO_SIZE, hmacHex, hmacHexUncached, hmacMemoSizes, verifiedCustomerId } from "../../src/platform/crypto";

describe("the HMAC memos", () => {
  test.prop([fc.string({ minLength: 1, maxLength: 40 }), fc.string({ maxLength: 200 })], { numRuns: 200 })(
    "a memoised HMAC is the HMAC, the first time and the next",
    async (secret, message) => {
      const fresh = await hmacHexUncached(`memo-${secret}`, message);
      expect(await hmacHex(`memo-${secret}`, message)).toBe(fresh);
      expect(await hmacHex(`memo-${secret}`, message)).toBe(fresh);
    },
  );

  it(`keeps at most ${HMAC_MEMO_SIZE} results per secret, the newest, and still answers an evicted one right`, async () => {
    const secret = "memo-bound-secret-0123456789";
    const messages = Array.from({ length: HMAC_MEMO_SIZE + 500 }, (_, i) => `unit\nvisitor\nv${i}`);
    for (const message of messages) await hmacHex(secret, message);
    expect(hmacMemoSizes(secret).signatures).toBe(HMAC_MEMO_SIZE);
    expect(await hmacHex(secret, messages[0] ?? "")).toBe(await hmacHexUncached(secret, messages[0] ?? ""));
  });

  it("keeps a customer id's valid signature, never a forged one; a kept pair is still only that pair", async () => {
    const secret = "memo-verify-secret-0123456789";
    const sig = await hmacHexUncached(secret, "1001");
    const forged = `${sig.slice(0, -1)}${sig.endsWith("0") ? "1" : "0"}`;
    for (let i = 0; i < 50; i++) expect(await verifiedCustomerId(secret, "1001", forged)).toBeNull();
    expect(hmacMemoSizes(secret).verified).toBe(0);
    expect(await verifiedCustomerId(secret, "1001", sig)).toBe("1001");
    expect(await verifiedCustomerId(secret, "1001", sig)).toBe("1001");
    expect(hmacMemoSizes(secret).verified).toBe(1);
    expect(await verifiedCustomerId(secret, "1001", forged)).toBeNull();
    expect(await verifiedCustomerId(secret, "1002", sig)).toBeNull();
    expect(await verifiedCustomerId(`${secret}-other`, "1001", sig)).toBeNull();
  });
});
