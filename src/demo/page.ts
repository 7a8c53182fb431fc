/**
 * @module The demo storefront at /demo (when DEMO_STORE is "on"): a small store page that loads the
 * snippet exactly as a real store would (the inline loader, with `cid` and `sig` signed by "the store's
 * server", here the Worker itself), and a switcher to browse as each demo customer or anonymously.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { Env } from "../env";
import { loaderTag } from "../core/loader";
import { hmacHex } from "../platform/crypto";
import personas from "./personas.json";
import { COUNTRY_CODE } from "../core/shared";

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
  const symbol = currency === "USD" ? "$" : "€";
  params.set("currency", currency);
  const snippetUrl = `${origin}/v1/s/${DEMO_SITE}.js?${params.toString()}`;
  const who = persona ? `${persona.label}, customer ${persona.customerId}` : "an anonymous visitor";

  const products = PRODUCTS.map(
    (p) => `<li class="product"><h3>${escapeHtml(p.name)}</h3><p class="price">${symbol}${(p.price / 100).toFixed(2)}</p>
      <button type="button" data-add="${p.price}">Add to cart</button></li>`,
  ).join("");

  return c.html(`<!doctype html>
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
${
  // The bar's slot, where a bar is likely: signed-in customers (the server knows them). It reserves the bar's height,
  // so the page does not shift when the bar arrives, and closes when there is none. Anonymous visitors, who mostly
  // see no bar, get no slot: a bar they do see goes to the top of the body.
  persona ? '<div data-valuebar="topbar"></div>' : ""
}
<header class="store"><h1>Northwind Outfitters</h1><span>Cart: <span id="cart-total" data-cart-total="0" data-cart-currency="${currency}">${symbol}0.00</span></span></header>
${switcher(persona?.key ?? "anonymous", country)}
<main>
  <p class="who">You are browsing as <strong>${escapeHtml(who)}</strong>${country ? ` from <strong>${country}</strong>` : ""}.</p>
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
${loaderTag(snippetUrl)}
</body>
</html>`);
};

/** The demo store, and any page under it (so the demo links lead somewhere). */
export const demoRoutes = new Hono<{ Bindings: Env }>().get("/demo", demoStore).get("/demo/*", demoStore);
