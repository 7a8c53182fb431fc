/**
 * @module Orders exports as records: Shopify's orders export (one row per line item, customers named by
 * email) and valuebar's generic layout (one row per order). The layout is told by the header line; every
 * row that cannot be read is reported with its line number and what is wrong with it.
 */
import { CURRENCY_CODE } from "../shared";

/** One order as segmentation sees it. Amounts are in major units of `currency` (59.90, not 5990). */
export interface Order {
  line: number;
  customerId: string;
  orderId: string;
  /** ms since epoch */
  at: number;
  total: number;
  currency: string;
  discounted: boolean;
  refunded: number;
}

export interface RowIssue {
  line: number;
  message: string;
}

/** Orders left out on purpose (not errors), by reason, for the summary. */
export interface Skipped {
  cancelled: number;
  /** Shopify orders whose email is not in the customers export: guest checkouts, mostly. */
  noCustomer: number;
  /** Orders after --as-of. */
  afterAsOf: number;
}

export type Layout = "shopify" | "generic";

/** The columns of the generic layout; `discount` and `refunded` may be left out. */
export const GENERIC_COLUMNS = ["customer_id", "order_id", "created_at", "total", "currency", "discount", "refunded"] as const;
const GENERIC_REQUIRED = ["customer_id", "order_id", "created_at", "total", "currency"] as const;

/** The Shopify columns read; an export has about 80, these carry what segmentation needs. */
const SHOPIFY_REQUIRED = ["Name", "Email", "Financial Status", "Currency", "Total", "Created at"] as const;
const SHOPIFY_OPTIONAL = ["Discount Code", "Discount Amount", "Refunded Amount", "Cancelled at"] as const;
/** Financial statuses of orders that never became a sale. */
const SHOPIFY_NOT_SOLD = new Set(["voided", "expired"]);

/**
 * Input that cannot be segmented at all (not an orders export, a Shopify export without its customers export):
 * one message for the whole file, not a line-by-line report.
 */
export class InputError extends Error {
  override name = "InputError";
}

const AMOUNT = /^-?\d+(?:\.\d+)?$/;
/** 2026-05-01, 2026-05-01T10:00:00Z, 2026-05-01 10:00:00 +0200, 2026-05-01T10:00:00.123+02:00 */
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/;

/** ms since epoch, or NaN. A time without a zone is read as UTC. */
export function parseTime(text: string): number {
  const m = TIME.exec(text.trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, h = "0", mi = "0", s = "0", fraction = "", zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return Number.NaN;
  let ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s), Number(fraction.slice(0, 3).padEnd(3, "0")));
  if (new Date(ms).getUTCDate() !== day) return Number.NaN; // 2026-02-30
  if (zone && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}

/** A decimal amount ("59.90", "-3", "" = `empty`), or NaN. */
function parseAmount(text: string | undefined, empty: number): number {
  const value = (text ?? "").trim();
  if (value === "") return empty;
  return AMOUNT.test(value) ? Number(value) : Number.NaN;
}

/** Which layout a header is, or throws InputError naming what was expected. */
export function detectLayout(header: string[]): Layout {
  const names = header.map((h) => h.trim());
  if (SHOPIFY_REQUIRED.every((c) => names.includes(c))) return "shopify";
  const lower = names.map((h) => h.toLowerCase());
  if (GENERIC_REQUIRED.every((c) => lower.includes(c))) return "generic";
  const shown = names.slice(0, 8).join(", ") + (names.length > 8 ? ", ..." : "");
  throw new InputError(
    `this is not an orders export: expected Shopify's orders export (columns ${SHOPIFY_REQUIRED.join(", ")}, ...) ` +
      `or the generic layout (${GENERIC_REQUIRED.join(", ")}[, discount, refunded]); its first line is: ${shown || "(empty)"}`,
  );
}

/** Column positions by name; -1 for a column the file does not have. */
function columns<T extends string>(header: string[], names: readonly T[], caseless: boolean): Record<T, number> {
  const normal = header.map((h) => (caseless ? h.trim().toLowerCase() : h.trim()));
  return Object.fromEntries(names.map((n) => [n, normal.indexOf(caseless ? n.toLowerCase() : n)])) as Record<T, number>;
}

export interface OrderSink {
  order(order: Order): void;
  issue(issue: RowIssue): void;
}

/**
 * Turns the records of an orders export (header first) into orders. `customers` maps a lowercase email to
 * its customer id; a Shopify export needs it (the export names customers by email only).
 */
export class OrderRows {
  private layout: Layout | null = null;
  private col: Record<string, number> = {};
  private width = 0;
  /** Shopify: the order whose line items are being read (its rows follow each other). */
  private currentName: string | null = null;
  readonly skipped: Skipped = { cancelled: 0, noCustomer: 0, afterAsOf: 0 };
  rows = 0;

  constructor(
    private readonly sink: OrderSink,
    private readonly customers: ReadonlyMap<string, string> | null,
  ) {}

  get detected(): Layout | null {
    return this.layout;
  }

  record(fields: string[], line: number): void {
    if (fields.length === 1 && fields[0]?.trim() === "") return; // blank line
    if (this.layout === null) {
      this.layout = detectLayout(fields);
      if (this.layout === "shopify" && !this.customers) {
        throw new InputError(
          "Shopify's orders export names customers by email only: pass --customers with Shopify's customers export " +
            "(Customers > Export) so each customer gets the customer id your theme signs",
        );
      }
      this.col = this.layout === "shopify" ? columns(fields, [...SHOPIFY_REQUIRED, ...SHOPIFY_OPTIONAL], false) : columns(fields, GENERIC_COLUMNS, true);
      this.width = fields.length;
      return;
    }
    this.rows++;
    if (fields.length !== this.width) {
      this.sink.issue({ line, message: `expected ${this.width} fields, found ${fields.length}` });
      return;
    }
    if (this.layout === "shopify") this.shopifyRow(fields, line);
    else this.genericRow(fields, line);
  }

  private field(fields: string[], name: string): string {
    const i = this.col[name] ?? -1;
    return i < 0 ? "" : (fields[i] ?? "");
  }

  private genericRow(f: string[], line: number): void {
    const problems: string[] = [];
    const customerId = this.field(f, "customer_id").trim();
    const orderId = this.field(f, "order_id").trim();
    const at = parseTime(this.field(f, "created_at"));
    const total = parseAmount(this.field(f, "total"), Number.NaN);
    const currency = this.field(f, "currency").trim().toUpperCase();
    const discount = parseAmount(this.field(f, "discount"), 0);
    const refunded = parseAmount(this.field(f, "refunded"), 0);
    if (!customerId) problems.push("customer_id is empty");
    else if (customerId.length > 128) problems.push("customer_id is longer than 128 characters");
    if (!orderId) problems.push("order_id is empty");
    if (Number.isNaN(at)) problems.push(`created_at ${JSON.stringify(this.field(f, "created_at"))} is not a date (2026-05-01 or 2026-05-01T10:00:00Z)`);
    if (Number.isNaN(total) || total < 0) problems.push(`total ${JSON.stringify(this.field(f, "total"))} is not an amount (59.90)`);
    if (!CURRENCY_CODE.test(currency)) problems.push(`currency ${JSON.stringify(this.field(f, "currency"))} is not an ISO 4217 code (EUR)`);
    if (Number.isNaN(discount) || discount < 0) problems.push(`discount ${JSON.stringify(this.field(f, "discount"))} is not an amount`);
    if (Number.isNaN(refunded) || refunded < 0) problems.push(`refunded ${JSON.stringify(this.field(f, "refunded"))} is not an amount`);
    if (problems.length) return this.sink.issue({ line, message: problems.join("; ") });
    this.sink.order({ line, customerId, orderId, at, total, currency, discounted: discount > 0, refunded: Math.min(refunded, total) });
  }

  private shopifyRow(f: string[], line: number): void {
    const name = this.field(f, "Name").trim();
    const email = this.field(f, "Email").trim().toLowerCase();
    const totalText = this.field(f, "Total");
    // The further line items of an order repeat its Name and leave the order's own columns empty.
    if (name && name === this.currentName && !totalText.trim()) return;
    this.currentName = name;
    const problems: string[] = [];
    const at = parseTime(this.field(f, "Created at"));
    const total = parseAmount(totalText, Number.NaN);
    const currency = this.field(f, "Currency").trim().toUpperCase();
    const discountAmount = parseAmount(this.field(f, "Discount Amount"), 0);
    const refunded = parseAmount(this.field(f, "Refunded Amount"), 0);
    if (!name) problems.push("Name (the order number) is empty");
    if (Number.isNaN(at)) problems.push(`Created at ${JSON.stringify(this.field(f, "Created at"))} is not a date`);
    if (Number.isNaN(total) || total < 0) problems.push(`Total ${JSON.stringify(totalText)} is not an amount`);
    if (!CURRENCY_CODE.test(currency)) problems.push(`Currency ${JSON.stringify(this.field(f, "Currency"))} is not an ISO 4217 code`);
    if (Number.isNaN(discountAmount)) problems.push(`Discount Amount ${JSON.stringify(this.field(f, "Discount Amount"))} is not an amount`);
    if (Number.isNaN(refunded) || refunded < 0) problems.push(`Refunded Amount ${JSON.stringify(this.field(f, "Refunded Amount"))} is not an amount`);
    if (problems.length) return this.sink.issue({ line, message: problems.join("; ") });
    const status = this.field(f, "Financial Status").trim().toLowerCase();
    if (this.field(f, "Cancelled at").trim() || SHOPIFY_NOT_SOLD.has(status)) {
      this.skipped.cancelled++;
      return;
    }
    const customerId = email ? this.customers?.get(email) : undefined;
    if (!customerId) {
      this.skipped.noCustomer++;
      return;
    }
    this.sink.order({
      line,
      customerId,
      orderId: name,
      at,
      total,
      currency,
      discounted: Math.abs(discountAmount) > 0 || this.field(f, "Discount Code").trim() !== "",
      refunded: Math.min(refunded, total),
    });
  }
}

/**
 * Reads Shopify's customers export into a map from lowercase email to customer id. Shopify writes the id
 * with a leading apostrophe ('7033482035) so spreadsheets keep it as text; that is dropped.
 */
export class CustomerRows {
  readonly byEmail = new Map<string, string>();
  private idColumn = -1;
  private emailColumn = -1;
  private started = false;

  constructor(private readonly issue: (issue: RowIssue) => void) {}

  record(fields: string[], line: number): void {
    if (fields.length === 1 && fields[0]?.trim() === "") return;
    if (!this.started) {
      this.started = true;
      const names = fields.map((h) => h.trim());
      this.idColumn = names.indexOf("Customer ID");
      this.emailColumn = names.indexOf("Email");
      if (this.idColumn < 0 || this.emailColumn < 0) {
        throw new InputError(`--customers is not Shopify's customers export: its header needs the columns "Customer ID" and "Email"`);
      }
      return;
    }
    const id = (fields[this.idColumn] ?? "").trim().replace(/^'/, "");
    const email = (fields[this.emailColumn] ?? "").trim().toLowerCase();
    if (!email) return; // customers without an email have no orders to match
    if (!id) return this.issue({ line, message: "Customer ID is empty" });
    this.byEmail.set(email, id);
  }
}
