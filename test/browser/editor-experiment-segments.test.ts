/**
 * @module Issue 14 in the editor, in Chromium against the Worker under `wrangler dev`: an experiment seeded through
 * the public routes as a store would (300 VIPs imported with a covariate, shown the test by the decide route, buying
 * through the events route; 20 anonymous visitors), and the experiments page's table per segment: the VIPs' row says
 * variant b helps on purchase conversion, the anonymous visitors' row says "Not enough data", the figures are in the
 * cell's title, another metric can be chosen, and the CUPED line is under the metric's table.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDevVars } from "../../scripts/dev-server.mjs";
import type { ExperimentResults } from "../../src/core/experiment-results";
import { skipBrowserTests } from "./chromium";
import { api, editorPage, type EditorHarness, freshSite, signIn, startEditorHarness } from "./editor-harness";

let h: EditorHarness;

const CONFIG = {
  segments: ["vip", "bargain_hunter"],
  campaigns: [
    {
      id: "hero",
      placement: "topbar",
      experiment: { expectedUnitsPerVariant: 150 },
      variants: [
        { id: "a", weight: 50, message: { text: "Free shipping" } },
        { id: "b", weight: 50, message: { text: "Free shipping and returns" } },
      ],
    },
  ],
  defaults: {},
};

const VIPS = Array.from({ length: 300 }, (_, i) => `vip-${i}`);

describe.skipIf(skipBrowserTests)("the experiments page's table per segment", () => {
  beforeAll(async () => {
    // Rate limits off: this test is one client sending a store's worth of traffic.
    h = await startEditorHarness({ vars: { RATE_LIMITS: "off" } });
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  });

  it("says which segment each variant helps, hurts or does nothing for, with the figures and the CUPED line", async () => {
    const site = await freshSite(h, "cuped", CONFIG);
    const secret = ensureDevVars().SIGNING_SECRET ?? "";
    const sig = (cid: string) => createHmac("sha256", secret).update(cid).digest("hex");
    const imported = await fetch(`${h.worker.url}/admin/sites/${site}/segments`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.token}`, "content-type": "application/x-ndjson" },
      body: VIPS.map((cid, i) => JSON.stringify({ customer_id: cid, segments: ["vip"], covariates: { net_revenue_365d: (i % 40) * 25 } })).join("\n"),
    });
    expect(imported.status, await imported.clone().text()).toBe(200);

    // Each VIP sees the test; in variant b two in three buy, in a one in thirty.
    let buyers = 0;
    for (const [i, cid] of VIPS.entries()) {
      const decided = await fetch(`${h.worker.url}/v1/decide/${site}?cid=${cid}&sig=${sig(cid)}&vid=vipvisitor${String(i).padStart(6, "0")}`);
      const variant = ((await decided.json()) as { placements: { topbar?: { variant?: string } } }).placements.topbar?.variant;
      if (variant === "b" ? i % 3 !== 0 : i % 30 === 0) {
        buyers++;
        const event = { type: "purchase", cid, sig: sig(cid), value: 40 + (i % 40) * 2, currency: "EUR", order_id: `order-${i}`, experiments: ["hero"] };
        const sent = await fetch(`${h.worker.url}/v1/events/${site}`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(event) });
        expect(sent.status).toBe(202);
      }
    }
    for (let i = 0; i < 20; i++) await fetch(`${h.worker.url}/v1/decide/${site}?vid=anonvisitor${String(i).padStart(6, "0")}`);
    // The purchases are counted from the queue a moment later.
    await expect
      .poll(async () => ((await (await api(h, site, "/experiments/hero/results")).json()) as ExperimentResults).metrics.purchase.variants.reduce((s, v) => s + v.conversions, 0), {
        timeout: 30_000,
        interval: 500,
      })
      .toBe(buyers);

    const { page, problems } = await editorPage(h);
    try {
      await signIn(h, page, site);
      await page.getByRole("button", { name: "Experiments" }).click();
      await expect.poll(() => page.locator("#experiments").getAttribute("aria-busy"), { timeout: 10_000 }).toBe("false");
      const table = page.getByRole("table", { name: "Purchase conversion by segment, against a" });
      await expect.poll(() => table.isVisible()).toBe(true);
      const rows = await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-segment"), tr.querySelector("td")?.getAttribute("data-effect")]));
      expect(rows).toEqual([
        ["vip", "better"],
        ["(anonymous)", "not_enough_data"],
      ]);
      const vip = table.locator('tr[data-segment="vip"] td');
      await expect(vip.locator("strong").textContent()).resolves.toBe("Helps");
      await expect(vip.getAttribute("title")).resolves.toMatch(/^Uplift \+\d+\.\d\d pts, p 0\.\d{3} \(corrected for the table's cells\); \d+ visitors$/);
      await expect(table.locator('tr[data-segment="(anonymous)"] td').textContent()).resolves.toBe("Not enough data");
      await expect(table.locator('tr[data-segment="vip"] th').textContent()).resolves.toMatch(/^vip \(300\)$/);

      // Another metric: click-through has no clicks at all, so no verdict anywhere.
      await page.getByLabel("Metric of the segment table").selectOption("clickThrough");
      const clicks = page.getByRole("table", { name: "Click-through by segment, against a" });
      await expect(clicks.locator("td").allTextContents()).resolves.toEqual(["Not enough data", "Not enough data"]);

      // CUPED beside the raw figures, under the purchase table.
      const section = page.locator('[data-experiment="hero"]');
      await expect(section.locator(".cuped").first().textContent()).resolves.toMatch(/^Adjusted for past spending \(CUPED\): b -?\d+\.\d\d% \(-?\d+\.\d\d% to -?\d+\.\d\d%\), -?\d+% less variance\.$/);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
