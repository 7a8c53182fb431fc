/**
 * @module The demo storefront (when DEMO_STORE is "on"), in both ways to install valuebar, from one page template:
 * - /demo, script mode: the page loads the snippet exactly as a real store would (the inline loader, with `cid` and
 *   `sig` signed by "the store's server", here the Worker itself), with a switcher to browse as each demo customer,
 *   anonymously, or from the US.
 * - /store, edge mode's origin: the same store as a plain page with no tag of ours and no slot for the bar. Served
 *   through a hostname of EDGE_SITES (`npm start`: http://edge.localhost:8787/store) the Worker writes the decision in;
 *   at http://localhost:8787/store it is the origin's page as it is. It signs a demo customer in as a store does, with
 *   the `valuebar_cid` cookie (/store/sign-in), and has the store's consent switch, the `valuebar_consent` cookie
 *   (/store/consent).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { Env } from "../env";
import { loaderTag } from "../core/loader";
import { hmacHex } from "../platform/crypto";
import personas from "./personas.json";
import { COUNTRY_CODE } from "../core/shared";
import { CONSENT_COOKIE, CUSTOMER_COOKIE, valuebarCookies } from "../edge/identity";

export const DEMO_SITE = "demo";

export interface Persona {
  key: string;
  label: string;
  customerId: string;
  segments: string[];
}

export const PERSONAS: readonly Persona[] = personas;

const PRODUCTS = [
  { name: "Merino wool socks", price: 1450 },
  { name: "Waxed canvas tote", price: 3900 },
  { name: "Down winter jacket", price: 18900 },
];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function switcher(current: string, country: string): string {
  const options = [{ key: "anonymous", label: "Anonymous visitor" }, ...PERSONAS];
  const links = options.map((p) => {
    const href = `/demo?as=${encodeURIComponent(p.key)}${country ? `&country=${country}` : ""}`;
    const attrs = p.key === current ? ' aria-current="page"' : "";
    return `<a href="${escapeHtml(href)}"${attrs} data-persona="${escapeHtml(p.key)}">${escapeHtml(p.label)}</a>`;
  });
  const geo = country
    ? `<a href="/demo?as=${encodeURIComponent(current)}">Browse from anywhere</a>`
    : `<a href="/demo?as=${encodeURIComponent(current)}&amp;country=US" data-country="US">Browse from the US</a>`;
  return `<nav class="switcher" aria-label="Browse as"><strong>Browse as:</strong> ${links.join(" ")} <span class="geo">${geo}</span></nav>`;
}

/** What differs between the script-mode and the edge-mode demo store. */
interface StorePage {
  currency: "EUR" | "USD";
  /** The top bar's slot, or "" for none. */
  slot: string;
  /** The line under the switcher saying who is browsing. */
  who: string;
  switcher: string;
  /** The snippet's loader, or "" for a page without a tag of ours. */
  loader: string;
}

/** The store's page; the script-mode and the edge-mode demo differ only in what `page` puts in. */
function renderStorePage(page: StorePage): string {
  const { currency } = page;
  const symbol = currency === "USD" ? "$" : "€";
  const products = PRODUCTS.map(
    (p) => `<li class="product"><h3>${escapeHtml(p.name)}</h3><p class="price">${symbol}${(p.price / 100).toFixed(2)}</p>
      <button type="button" data-add="${p.price}">Add to cart</button></li>`,
  ).join("");

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northwind Outfitters: valuebar demo store</title>
<link rel="icon" href="data:,">
<style>
  body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #1d1d1f; background: #fafaf7; }
  header.store { display: flex; justify-content: space-between; align-items: center; padding: 16px 32px; background: #fff; border-bottom: 1px solid #e5e5e0; }
  header.store h1 { margin: 0; font-size: 22px; }
  .switcher { padding: 8px 32px; background: #eef2ff; font-size: 14px; }
  .switcher a { margin-right: 10px; color: #3730a3; }
  .switcher a[aria-current] { font-weight: 700; text-decoration: none; }
  main { padding: 24px 32px; max-width: 960px; }
  .products { display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; list-style: none; padding: 0; }
  .product { background: #fff; border: 1px solid #e5e5e0; border-radius: 8px; padding: 16px; }
  .cart { margin-top: 24px; background: #fff; border: 1px solid #e5e5e0; border-radius: 8px; padding: 16px; }
  /* The bar's height: 40 px for a line of text; at phone widths most messages take two lines. (The README's advice.) */
  [data-valuebar="topbar"] { display: grid; min-height: 40px; }
  @media (max-width: 640px) { [data-valuebar="topbar"] { min-height: 60px; } }
  [data-valuebar] { color: #0b5d3b; font-weight: 600; }
  [data-valuebar] a { margin-left: 8px; color: inherit; }
</style>
</head>
<body>
${page.slot}
<header class="store"><h1>Northwind Outfitters</h1><span>Cart: <span id="cart-total" data-cart-total="0" data-cart-currency="${currency}">${symbol}0.00</span></span></header>
${page.switcher}
<main>
  ${page.who}
  <ul class="products">${products}</ul>
  <section class="cart" aria-label="Cart">
    <h2>Your cart</h2>
    <p data-valuebar="shipping">Free shipping on orders over ${symbol}${currency === "USD" ? "75.00" : "60.00"}</p>
    <p data-valuebar="returns">Free returns within 30 days</p>
    <button type="button" id="checkout">Place order</button>
    <button type="button" id="clear-cart">Empty cart</button>
    <p id="order-status" role="status"></p>
  </section>
</main>
<script>
  (function () {
    var total = 0, orders = 0, el = document.getElementById("cart-total");
    function show() { el.setAttribute("data-cart-total", String(total)); el.textContent = "${symbol}" + (total / 100).toFixed(2); }
    // What a store's own code does: report conversions to valuebar (when its runtime is there).
    function track(type, data) { var v = window.valuebar; if (v && v.track) v.track(type, data); }
    document.addEventListener("click", function (e) {
      var add = e.target.closest && e.target.closest("[data-add]");
      if (add) { total += Number(add.getAttribute("data-add")); show(); track("add_to_cart"); }
      if (e.target.id === "checkout" && total > 0) {
        var id = "demo-" + Date.now() + "-" + (++orders);
        track("purchase", { value: total / 100, currency: "${currency}", order_id: id });
        document.getElementById("order-status").textContent = "Order " + id + " placed";
        total = 0; show();
      }
      if (e.target.id === "clear-cart") { total = 0; show(); }
    });
  })();
</script>
${page.loader}
</body>
</html>`;
}

const demoStore = async (c: Context<{ Bindings: Env }>) => {
  if (c.env.DEMO_STORE !== "on") return c.notFound();
  const as = c.req.query("as") ?? "anonymous";
  const country = COUNTRY_CODE.test(c.req.query("country") ?? "") ? (c.req.query("country") ?? "") : "";
  const persona = PERSONAS.find((p) => p.key === as);
  const origin = new URL(c.req.url).origin;
  const params = new URLSearchParams();
  // What the store's server does: sign the logged-in customer's id with the shared secret.
  if (persona) {
    params.set("cid", persona.customerId);
    params.set("sig", await hmacHex(c.env.SIGNING_SECRET, persona.customerId));
  }
  if (country) params.set("country", country);
  // The store tells the snippet its currency for this visitor (Shopify: {{ cart.currency.iso_code }}).
  const currency = country === "US" ? "USD" : "EUR";
  params.set("currency", currency);
  const snippetUrl = `${origin}/v1/s/${DEMO_SITE}.js?${params.toString()}`;
  const who = persona ? `${persona.label}, customer ${persona.customerId}` : "an anonymous visitor";

  return c.html(
    renderStorePage({
      currency,
      // The bar's slot, where a bar is likely: signed-in customers (the server knows them). It reserves the bar's
      // height, so the page does not shift when the bar arrives, and closes when there is none. Anonymous visitors,
      // who mostly see no bar, get no slot: a bar they do see goes to the top of the body.
      slot: persona ? '<div data-valuebar="topbar"></div>' : "",
      who: `<p class="who">You are browsing as <strong>${escapeHtml(who)}</strong>${country ? ` from <strong>${country}</strong>` : ""}.</p>`,
      switcher: switcher(persona?.key ?? "anonymous", country),
      loader: loaderTag(snippetUrl),
    }),
  );
};

/** The signed-in demo customer of an edge-mode page, from the store's own cookie (the Worker checks its signature). */
function signedIn(cookieHeader: string | undefined): Persona | undefined {
  const value = valuebarCookies(cookieHeader ?? null).get(CUSTOMER_COOKIE);
  const dot = value?.lastIndexOf(".") ?? -1;
  if (value === undefined || dot <= 0) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(value.slice(0, dot));
  } catch {
    return undefined;
  }
  return PERSONAS.find((p) => p.customerId === id);
}

/** The edge-mode store's bar: sign in as a demo customer (or out), and the consent banner's two answers. */
function storeSwitcher(current: string, consent: boolean): string {
  const options = [{ key: "anonymous", label: "Signed out" }, ...PERSONAS];
  const links = options.map((p) => {
    const attrs = p.key === current ? ' aria-current="page"' : "";
    return `<a href="/store/sign-in?as=${encodeURIComponent(p.key)}"${attrs} data-persona="${escapeHtml(p.key)}">${escapeHtml(p.label)}</a>`;
  });
  const banner = consent
    ? `<a href="/store/consent?analytics=0" data-consent="0">Decline analytics</a>`
    : `<a href="/store/consent?analytics=1" data-consent="1">Accept analytics</a>`;
  return `<nav class="switcher" aria-label="Sign in as"><strong>Sign in as:</strong> ${links.join(" ")} <span class="geo">${banner}</span></nav>`;
}

const edgeOriginStore = (c: Context<{ Bindings: Env }>) => {
  if (c.env.DEMO_STORE !== "on") return c.notFound();
  const persona = signedIn(c.req.header("cookie"));
  const consent = valuebarCookies(c.req.header("cookie") ?? null).get(CONSENT_COOKIE) !== "0";
  const who = persona ? `${persona.label}, customer ${persona.customerId}` : "an anonymous visitor";
  // The store's geo pricing, the demo's rule (as /demo?country=US): USD for US visitors. The Worker in front knows no
  // currency of the store's in edge mode and takes the country's (src/core/decide.ts), so the two agree.
  const currency = c.req.raw.cf?.country === "US" ? "USD" : "EUR";
  return c.html(
    renderStorePage({
      currency,
      // No slot and no tag of ours: in edge mode the Worker in front of this page writes the bar in.
      slot: "",
      who:
        `<p class="who">You are browsing as <strong>${escapeHtml(who)}</strong>${consent ? "" : ", analytics declined"}.</p>\n` +
        `  <p class="mode">No valuebar tag in this page: it is the store's origin. On a hostname the Worker serves in edge mode, the messages are in its HTML.</p>`,
      switcher: storeSwitcher(persona?.key ?? "anonymous", consent),
      loader: "",
    }),
  );
};

/** A store's cookie attributes: its whole site, sent on top-level navigations from elsewhere. */
const STORE_COOKIE = "Path=/; SameSite=Lax";
const CLEARED = "Max-Age=0";
const YEAR = "Max-Age=31536000";

/** Sign-in as a store does it: its server sets `valuebar_cid=<id>.<sig>` (README "Edge-rendered mode"), and sign-out clears it. */
const signIn = async (c: Context<{ Bindings: Env }>) => {
  if (c.env.DEMO_STORE !== "on") return c.notFound();
  const as = c.req.query("as") ?? "anonymous";
  const persona = PERSONAS.find((p) => p.key === as);
  if (!persona && as !== "anonymous") return c.notFound();
  const cookie = persona
    ? `${CUSTOMER_COOKIE}=${encodeURIComponent(persona.customerId)}.${await hmacHex(c.env.SIGNING_SECRET, persona.customerId)}; ${STORE_COOKIE}; HttpOnly`
    : `${CUSTOMER_COOKIE}=; ${STORE_COOKIE}; HttpOnly; ${CLEARED}`;
  return c.body(null, 303, { location: "/store", "set-cookie": cookie, "cache-control": "no-store" });
};

/** The store's consent banner: declining analytics sets `valuebar_consent=0`; accepting clears it. */
const consentSwitch = (c: Context<{ Bindings: Env }>) => {
  if (c.env.DEMO_STORE !== "on") return c.notFound();
  const analytics = c.req.query("analytics");
  if (analytics !== "0" && analytics !== "1") return c.notFound();
  const cookie = analytics === "0" ? `${CONSENT_COOKIE}=0; ${STORE_COOKIE}; ${YEAR}` : `${CONSENT_COOKIE}=; ${STORE_COOKIE}; ${CLEARED}`;
  return c.body(null, 303, { location: "/store", "set-cookie": cookie, "cache-control": "no-store" });
};

/**
 * A page of the demo store asked for through edge mode's proxy (it sets X-Forwarded-Host): the demo config's links
 * lead to /demo/..., and on the edge hostname they must stay the plain store, which the Worker in front writes into.
 */
const demoPage = (c: Context<{ Bindings: Env }>) => (c.req.header("x-forwarded-host") === undefined ? demoStore(c) : edgeOriginStore(c));

/** The demo store, and any page under it (so the demo links lead somewhere); the edge-mode store's origin pages. */
function demoApp() {
  return new Hono<{ Bindings: Env }>()
    .get("/demo", demoPage)
    .get("/demo/*", demoPage)
    .get("/store/sign-in", signIn)
    .get("/store/consent", consentSwitch)
    .get("/store", edgeOriginStore)
    .get("/store/*", edgeOriginStore);
}

// Pure: a build without the demo (wrangler.toml's __DEMO__ false) drops this module whole.
export const demoRoutes = /* @__PURE__ */ demoApp();
