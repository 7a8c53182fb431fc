/**
 * @module The `valuebar` command: `segments compute` (segments from an orders export), `segments rules`
 * (the default rules, to start a rules file from) and `segments push` (memberships to a site, resumable).
 */
import { parseArgs } from "node:util";
import { DEFAULT_RULES } from "../core/segments/rules";
import { runCompute } from "./compute";
import { CliError } from "./errors";
import { runPush } from "./push";
import { DEFAULT_MAX_REMOVE_SHARE, parseShare } from "./removal-guard";
import { MAX_IMPORT_ROWS } from "../core/shared";

const USAGE = `valuebar: value segments for the valuebar Worker

  valuebar segments compute --orders orders.csv --out memberships.ndjson
      [--customers customers_export.csv]  Shopify: maps the orders export's emails to customer ids
      [--rules rules.json]                segment rules (default: valuebar segments rules)
      [--rates rates.json]                {"base":"EUR","rates":{"USD":0.92}}: score in one currency
      [--as-of 2026-11-01]                reference day (default: the latest order in the file); later orders
                                          are left out, their repeat orders shown against the earlier ones
      [--horizon-days 365]                the horizon of expected orders: the next this many days
      [--metrics metrics.csv]             every customer's metrics and scores
      [--strict]                          any bad row is fatal (default: reported by line and left out)

  valuebar segments rules                 prints the default rules as JSON

  valuebar segments push memberships.ndjson --site my-store --url https://valuebar.example.workers.dev
      [--token TOKEN]                     default: $VALUEBAR_TOKEN (an owner or importer token)
      [--replace]                         also remove members who are not in this file
      [--max-remove-share ${DEFAULT_MAX_REMOVE_SHARE * 100}]             with --replace: above this % of the site's members, ask first
      [--yes]                             with --replace: remove without asking, whatever the share
      [--dry-run]                         check the file against the site and say what would happen; write nothing
      [--batch-size ${MAX_IMPORT_ROWS}]                rows per request (at most ${MAX_IMPORT_ROWS.toLocaleString("en")})
      [--retries 6]                       attempts per batch on 429, 5xx or a network error
      [--checkpoint FILE]                 default: memberships.ndjson.checkpoint.json
      [--restart]                         ignore a checkpoint and start from the first line
      [--strict]                          any bad row is fatal, before anything is sent

Exit codes: 0 done; 1 bad input or refused (a --replace not confirmed too: nobody removed, run again with --yes
to go on); 75 stopped by the network or server, run again to resume; 130 interrupted, run again to resume.`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  try {
    if (group === undefined || group === "help" || group === "--help" || group === "-h") {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (group !== "segments") throw new CliError(`unknown command "${group}"; see valuebar --help`);
    if (command === "compute") {
      const { values } = parseArgs({
        args: rest,
        options: {
          orders: { type: "string" },
          customers: { type: "string" },
          rules: { type: "string" },
          rates: { type: "string" },
          "as-of": { type: "string" },
          "horizon-days": { type: "string" },
          out: { type: "string" },
          metrics: { type: "string" },
          strict: { type: "boolean", default: false },
        },
        strict: true,
      });
      if (!values.orders) throw new CliError("--orders is required: the orders export (CSV)");
      if (!values.out) throw new CliError("--out is required: where to write the memberships (NDJSON)");
      return await runCompute(
        {
          orders: values.orders,
          customers: values.customers,
          rules: values.rules,
          rates: values.rates,
          asOf: values["as-of"],
          horizonDays: values["horizon-days"],
          out: values.out,
          metrics: values.metrics,
          strict: values.strict,
        },
        log,
      );
    }
    if (command === "rules") {
      process.stdout.write(`${JSON.stringify(DEFAULT_RULES, null, 2)}\n`);
      return 0;
    }
    if (command === "push") {
      const { values, positionals } = parseArgs({
        args: rest,
        options: {
          site: { type: "string" },
          url: { type: "string" },
          token: { type: "string" },
          replace: { type: "boolean", default: false },
          "batch-size": { type: "string", default: String(MAX_IMPORT_ROWS) },
          retries: { type: "string", default: "6" },
          checkpoint: { type: "string" },
          restart: { type: "boolean", default: false },
          strict: { type: "boolean", default: false },
          "max-remove-share": { type: "string", default: String(DEFAULT_MAX_REMOVE_SHARE * 100) },
          yes: { type: "boolean", default: false },
          "dry-run": { type: "boolean", default: false },
        },
        allowPositionals: true,
        strict: true,
      });
      const file = positionals[0];
      if (!file || positionals.length > 1) throw new CliError("give one memberships file: valuebar segments push memberships.ndjson --site ... --url ...");
      const token = values.token ?? process.env.VALUEBAR_TOKEN;
      if (!values.site) throw new CliError("--site is required");
      if (!values.url) throw new CliError("--url is required: where the Worker runs, e.g. https://valuebar.example.workers.dev");
      if (!token) throw new CliError("a token is required: --token or $VALUEBAR_TOKEN (an owner or importer token)");
      const batchSize = Number(values["batch-size"]);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_IMPORT_ROWS) throw new CliError(`--batch-size must be a whole number from 1 to ${MAX_IMPORT_ROWS}`);
      const retries = Number(values.retries);
      if (!Number.isInteger(retries) || retries < 0 || retries > 20) throw new CliError("--retries must be a whole number from 0 to 20");
      const maxRemoveShare = parseShare(values["max-remove-share"]);
      if (maxRemoveShare === null) throw new CliError("--max-remove-share must be a percentage from 0 to 100, e.g. 10");
      return await runPush(
        {
          file,
          site: values.site,
          url: values.url.replace(/\/+$/, ""),
          token,
          replace: values.replace,
          batchSize,
          retries,
          checkpoint: values.checkpoint ?? `${file}.checkpoint.json`,
          restart: values.restart,
          strict: values.strict,
          maxRemoveShare,
          yes: values.yes,
          dryRun: values["dry-run"],
        },
        log,
      );
    }
    throw new CliError(`unknown command "segments ${command ?? ""}": use compute, rules or push; see valuebar --help`);
  } catch (error) {
    if (error instanceof CliError) {
      for (const line of error.lines()) log(line);
      return error.exitCode;
    }
    // parseArgs' own errors (unknown option, missing value) are usage errors, not crashes.
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      log(`valuebar: ${error.message}; see valuebar --help`);
      return 1;
    }
    throw error;
  }
}
