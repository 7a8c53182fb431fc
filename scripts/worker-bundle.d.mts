// Types of scripts/worker-bundle.mjs for the TypeScript tests.
export declare const WORKER_BUNDLE_GZIP_BUDGET: number;
export interface WorkerBundle {
  path: string;
  text: string;
  raw: number;
  gzip: number;
}
export declare function bundleWorker(outDir: string): Promise<WorkerBundle>;
