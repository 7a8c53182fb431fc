// Types of scripts/generate-orders.mjs for the TypeScript tests.
export declare const ARCHETYPES: Record<string, string[]>;
export declare const SHOPIFY_ORDER_COLUMNS: string[];
export declare const SHOPIFY_CUSTOMER_COLUMNS: string[];
export interface GenerateOptions {
  customers: number;
  seed?: number;
  /** ms since epoch of the export (the last day orders can have). */
  asOf?: number;
  /** Share of customers who buy in USD (the rest in EUR). */
  usdShare?: number;
  /** Share of customers with one order in the other currency. */
  mixedShare?: number;
  block?: number;
}
export interface GeneratedCustomer {
  id: string;
  email: string;
  archetype: string;
  expected: string[];
  currency: string;
}
/** mulberry32: a seeded PRNG, uniform on [0, 1). */
export declare function random(seed: number): () => number;
export declare function genericOrdersCsv(options: GenerateOptions): Generator<string>;
export declare function shopifyOrdersCsv(options: GenerateOptions): Generator<string>;
export declare function shopifyCustomersCsv(options: GenerateOptions): Generator<string>;
export declare function expectedSegments(options: GenerateOptions): Map<string, GeneratedCustomer>;
