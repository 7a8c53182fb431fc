// @module Generated orders exports where every customer's right segments are known by construction: each
// customer is drawn from an archetype (a VIP, a lapsing buyer, a bargain hunter...) whose orders put them
// clearly inside the default rules. Used by the tests and by `npm run bench`; deterministic for a seed.

/** The default rules' segments each archetype must get. */
export const ARCHETYPES = {
  vip: ["vip"],
  valuable: ["valuable"],
  at_risk: ["at_risk"],
  high_returner: ["high_returner", "occasional"],
  bargain_hunter: ["bargain_hunter", "occasional"],
  new: ["new"],
  occasional: ["occasional"],
  lost: [],
};

/** Share of customers per archetype (sums to 1). */
const MIX = [
  ["vip", 0.12],
  ["valuable", 0.12],
  ["at_risk", 0.15],
  ["high_returner", 0.1],
  ["bargain_hunter", 0.1],
  ["new", 0.1],
  ["occasional", 0.21],
  ["lost", 0.1],
];

const DAY = 86_400_000;

/** mulberry32: a small seeded PRNG, so a seed always gives the same file (and the tests' simulations the same figures). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Orders of one customer of `archetype`: [daysAgo, total, discount, refunded][].
 * @param {() => number} rnd
 * @param {string} archetype
 */
function ordersOf(rnd, archetype) {
  const between = (lo, hi) => lo + rnd() * (hi - lo);
  const int = (lo, hi) => Math.floor(between(lo, hi + 1));
  const money = (lo, hi) => Math.round(between(lo, hi) * 100) / 100;
  const spread = (count, first, last, make) => {
    const days = [last, first];
    for (let i = 2; i < count; i++) days.push(between(last, first));
    return days.map((d, i) => make(d, i));
  };
  switch (archetype) {
    case "vip":
      return spread(int(10, 14), between(300, 400), between(3, 25), (d, i) => [d, money(120, 180), i % 5 === 1 ? money(5, 15) : 0, 0]);
    case "valuable":
      return [[between(40, 120), money(450, 800), 0, 0]];
    case "at_risk":
      return spread(int(3, 5), between(500, 700), between(250, 380), (d) => [d, money(50, 90), 0, 0]);
    case "high_returner":
      return spread(int(3, 4), between(60, 120), between(5, 40), (d) => {
        const total = money(40, 70);
        return [d, total, 0, Math.round(total * between(0.4, 0.7) * 100) / 100];
      });
    case "bargain_hunter":
      return spread(int(3, 5), between(60, 150), between(5, 50), (d) => [d, money(25, 45), money(5, 15), 0]);
    case "new":
      return [[between(0, 20), money(30, 70), 0, 0]];
    case "occasional":
      return rnd() < 0.7 ? [[between(45, 160), money(35, 75), 0, 0]] : spread(2, between(200, 300), between(30, 60), (d) => [d, money(35, 75), 0, 0]);
    case "lost":
      return [[between(420, 800), money(30, 70), 0, 0]];
    default:
      throw new Error(`unknown archetype ${archetype}`);
  }
}

/**
 * Customers with their orders, `block` customers at a time, each block's orders newest first (as stores
 * export them), so one customer's orders are spread over the file.
 * @param {{ customers: number, seed?: number, asOf?: number, usdShare?: number, mixedShare?: number, block?: number }} options
 * @returns {Generator<{ customers: GeneratedCustomer[], orders: GeneratedOrder[] }>}
 */
export function* generateCustomers({ customers, seed = 1, asOf = Date.UTC(2026, 10, 1, 12), usdShare = 0, mixedShare = 0, block = 5000 }) {
  const rnd = random(seed);
  let orderNo = 1000;
  for (let start = 0; start < customers; start += block) {
    const people = [];
    const orders = [];
    for (let i = start; i < Math.min(customers, start + block); i++) {
      let pick = rnd();
      let archetype = "lost";
      for (const [name, share] of MIX) {
        if (pick < share) {
          archetype = name;
          break;
        }
        pick -= share;
      }
      const currency = rnd() < usdShare ? "USD" : "EUR";
      const id = String(100000 + i);
      const person = { id, email: `Customer.${id}@Example.com`, archetype, expected: ARCHETYPES[archetype], currency };
      people.push(person);
      // A few customers buy once in the other currency (when `mixedShare` asks for it).
      const mixedAt = rnd() < mixedShare ? 0 : -1;
      for (const [n, [daysAgo, total, discount, refunded]] of ordersOf(rnd, archetype).entries()) {
        const orderCurrency = n === mixedAt ? (currency === "USD" ? "EUR" : "USD") : currency;
        // USD amounts are 10% higher, as a store's USD prices are.
        const k = orderCurrency === "USD" ? 1.1 : 1;
        orders.push({
          customer: person,
          orderId: `#${orderNo++}`,
          at: Math.floor(asOf - daysAgo * DAY),
          total: Math.round(total * k * 100) / 100,
          currency: orderCurrency,
          discount: Math.round(discount * k * 100) / 100,
          refunded: Math.round(refunded * k * 100) / 100,
        });
      }
    }
    orders.sort((a, b) => b.at - a.at);
    yield { customers: people, orders };
  }
}

const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");
const money = (n) => n.toFixed(2);

/**
 * The generic layout, as chunks of text.
 * @param {Parameters<typeof generateCustomers>[0]} options
 */
export function* genericOrdersCsv(options) {
  yield "customer_id,order_id,created_at,total,currency,discount,refunded\n";
  for (const { orders } of generateCustomers(options)) {
    let text = "";
    for (const o of orders) text += `${o.customer.id},${o.orderId},${iso(o.at)},${money(o.total)},${o.currency},${money(o.discount)},${money(o.refunded)}\n`;
    yield text;
  }
}

/** The columns of Shopify's orders export (Orders > Export > CSV for Excel, Numbers...), in its order. */
export const SHOPIFY_ORDER_COLUMNS = [
  "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at", "Accepts Marketing", "Currency",
  "Subtotal", "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount", "Shipping Method", "Created at",
  "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem compare at price", "Lineitem sku",
  "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
  "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip", "Billing Province",
  "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street", "Shipping Address1", "Shipping Address2",
  "Shipping Company", "Shipping City", "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone",
  "Notes", "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
  "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level", "Source", "Lineitem discount",
  "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value", "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value",
  "Tax 5 Name", "Tax 5 Value", "Phone", "Receipt Number", "Duties", "Billing Province Name", "Shipping Province Name",
  "Payment ID", "Payment Terms Name", "Next Payment Due At", "Payment References",
];

const quote = (v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
/** Shopify's time format: 2026-05-01 10:00:00 +0200 (here always +0100). */
const shopifyTime = (ms) => new Date(ms + 3_600_000).toISOString().slice(0, 19).replace("T", " ") + " +0100";

/**
 * Shopify's orders export, as chunks of text: one row per line item, the order's own columns on its first
 * row only; quoted addresses and notes with commas, quotes and line breaks; plus cancelled orders and guest
 * checkouts that must not count.
 * @param {Parameters<typeof generateCustomers>[0]} options
 */
export function* shopifyOrdersCsv(options) {
  const rnd = random((options.seed ?? 1) + 7);
  yield SHOPIFY_ORDER_COLUMNS.join(",") + "\n";
  let guest = 0;
  for (const { orders } of generateCustomers(options)) {
    let text = "";
    const extra = [];
    for (const o of orders) {
      extra.push(o);
      // Every tenth order brings a cancelled twin, every twentieth a guest checkout.
      if (rnd() < 0.1) extra.push({ ...o, orderId: `${o.orderId}-C`, cancelled: true });
      if (rnd() < 0.05) extra.push({ ...o, orderId: `${o.orderId}-G`, customer: { ...o.customer, email: `guest${guest++}@example.net` } });
    }
    for (const o of extra) {
      const items = 1 + Math.floor(rnd() * 3);
      for (let item = 0; item < items; item++) {
        const row = new Array(SHOPIFY_ORDER_COLUMNS.length).fill("");
        const set = (name, value) => (row[SHOPIFY_ORDER_COLUMNS.indexOf(name)] = quote(value));
        set("Name", o.orderId);
        set("Email", o.customer.email);
        set("Lineitem quantity", "1");
        set("Lineitem name", `Wool sweater, size ${["S", "M", "L"][item]} "classic"`);
        set("Lineitem price", money(o.total / items));
        set("Lineitem sku", `SW-${item}`);
        set("Lineitem requires shipping", "true");
        set("Lineitem taxable", "true");
        set("Lineitem fulfillment status", "fulfilled");
        set("Lineitem discount", "0.00");
        if (item === 0) {
          set("Financial Status", o.refunded >= o.total ? "refunded" : o.refunded > 0 ? "partially_refunded" : "paid");
          set("Paid at", shopifyTime(o.at));
          set("Fulfillment Status", "fulfilled");
          set("Accepts Marketing", "no");
          set("Currency", o.currency);
          set("Subtotal", money(o.total));
          set("Shipping", "0.00");
          set("Taxes", money(o.total * 0.19));
          set("Total", money(o.total));
          set("Discount Code", o.discount > 0 ? "SAVE10" : "");
          set("Discount Amount", money(o.discount));
          set("Shipping Method", "Standard");
          set("Created at", shopifyTime(o.at));
          set("Billing Name", "Ana Müller");
          set("Billing Street", "Hauptstraße 1, Hinterhaus");
          set("Billing City", "Berlin");
          set("Billing Country", "DE");
          set("Notes", item === 0 && rnd() < 0.2 ? 'Please ring twice.\nThe "blue" door, 2nd floor' : "");
          set("Cancelled at", o.cancelled ? shopifyTime(o.at + 3_600_000) : "");
          set("Payment Method", "Shopify Payments");
          set("Refunded Amount", money(o.refunded));
          set("Outstanding Balance", "0.00");
          set("Id", String(5_000_000_000 + Number(o.orderId.replace(/\D/g, ""))));
          set("Risk Level", "Low");
          set("Source", "web");
        }
        text += row.join(",") + "\n";
      }
    }
    yield text;
  }
}

/** The columns of Shopify's customers export, in its order. */
export const SHOPIFY_CUSTOMER_COLUMNS = [
  "Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company",
  "Default Address Address1", "Default Address Address2", "Default Address City", "Default Address Province Code",
  "Default Address Country Code", "Default Address Zip", "Default Address Phone", "Phone", "Accepts SMS Marketing",
  "Total Spent", "Total Orders", "Note", "Tax Exempt", "Tags",
];

/**
 * Shopify's customers export for the same customers (ids written as '123, as Shopify does).
 * @param {Parameters<typeof generateCustomers>[0]} options
 */
export function* shopifyCustomersCsv(options) {
  yield SHOPIFY_CUSTOMER_COLUMNS.join(",") + "\n";
  for (const { customers } of generateCustomers(options)) {
    let text = "";
    for (const c of customers) text += `'${c.id},Ana,Müller,${c.email},no,,"Hauptstraße 1, Hinterhaus",,Berlin,,DE,10115,,,no,0.00,0,,no,\n`;
    yield text;
  }
}

/**
 * Every generated customer with the segments they must get.
 * @param {Parameters<typeof generateCustomers>[0]} options
 * @returns {Map<string, { archetype: string, expected: string[], currency: string }>}
 */
export function expectedSegments(options) {
  const map = new Map();
  for (const { customers } of generateCustomers(options)) for (const c of customers) map.set(c.id, c);
  return map;
}
