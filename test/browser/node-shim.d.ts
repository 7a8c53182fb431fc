/**
 * @module The few Node 22 APIs the browser suites' helpers use, typed here because the project has no
 * @types/node. Each signature is a subset of Node's own. Once @types/node is a devDependency, delete this
 * file and set "types": ["node"] in test/browser/tsconfig.json.
 */

declare module "node:fs" {
  export function existsSync(path: string | URL): boolean;
  export function readFileSync(path: string | URL, encoding: "utf8"): string;
}

declare module "node:http" {
  export interface IncomingMessage {
    readonly method?: string;
    readonly url?: string;
    resume(): this;
  }
  export interface ServerResponse {
    writeHead(status: number, headers?: Record<string, string>): this;
    end(body?: string): this;
  }
  export interface Server {
    listen(port: number, host: string, listening?: () => void): this;
    address(): { address: string; family: string; port: number } | string | null;
    close(callback?: (error?: Error) => void): this;
    closeAllConnections(): void;
  }
  export function createServer(listener: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>): Server;
}

declare var process: { env: Record<string, string | undefined> };
