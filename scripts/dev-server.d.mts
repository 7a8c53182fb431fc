// Types of scripts/dev-server.mjs for the TypeScript tests that start the Worker.
export declare const root: string;
export declare function ensureDevVars(): Record<string, string>;
export declare function freePort(): Promise<number>;
export interface RunningWorker {
  url: string;
  /** The process group of `wrangler dev` (workerd runs inside it). */
  pid: number;
  stop(): Promise<void>;
  output(): string;
}
export declare function startWorker(options?: { port?: number; persistTo?: string; vars?: Record<string, string>; quiet?: boolean; timeoutMs?: number }): Promise<RunningWorker>;
export interface Persona {
  key: string;
  label: string;
  customerId: string;
  segments: string[];
}
export declare function seedDemo(url: string, token: string): Promise<{ personas: Persona[]; config: unknown }>;
