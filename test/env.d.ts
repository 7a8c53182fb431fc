import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** Tests only (vitest.config.ts): the edge-mode tests' origin Worker, fetched straight for reference answers. */
      EDGE_ORIGIN: Fetcher;
    }
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "SiteAdmin" | "ExperimentShard";
    }
  }
}
