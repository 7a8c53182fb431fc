/**
 * @module The upload of a memberships file of any size, the files the import API takes (the NDJSON that
 * `segments compute` writes for `segments push` too): CSV (`customer_id,segments[,expires_at]`, several segments in
 * one cell separated by `|`) or NDJSON, told apart by their first character, not their name. The formats are
 * explained next to the file input. Every batch is checked first (`?dry_run=1`), and only a file without a bad line
 * is written, batch by batch, with a progress bar; a bad file gets its problems listed by file line and nothing is
 * imported. Once written, every warning the API returned is said: segments the config does not list, rows that
 * removed customers (expired ones too), rows unchanged.
 */
import type { AdminApi, ImportWritten } from "../api";
import { ApiError } from "../api";
import { el } from "../dom";
import { counted } from "../plural";
import type { Batch } from "./batches";
import { fileLine, toBatches } from "./batches";

/** Problems listed at most. */
const MAX_LISTED = 200;

/** What the import answers of a file add up to. */
type Totals = Required<Omit<ImportWritten, "unknownSegments">> & { unknownSegments: Set<string> };

/** The form; `imported` runs after a file is written. */
export function uploadForm(api: AdminApi, imported: () => Promise<void>): HTMLFormElement {
  const file = el("input", { id: "upload-file", type: "file", accept: ".csv,.ndjson,.jsonl,.json,.txt", "aria-describedby": "upload-help" });
  const progress = el("progress", { id: "upload-progress", max: "1", value: "0", "aria-label": "Upload progress" });
  const status = el("p", { id: "upload-status", role: "status" });
  const warnings = el("ul", { id: "upload-warnings", class: "warnings", "aria-live": "polite" });
  const errors = el("ul", { id: "upload-errors", class: "issues" });
  const form = el("form", { class: "upload" }, el("label", { for: "upload-file" }, "Upload memberships (CSV or NDJSON)"), formatHelp(), file, el("button", { type: "submit" }, "Upload"), progress, status, warnings, errors);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return void (status.textContent = "Choose a file first.");
    errors.replaceChildren();
    warnings.replaceChildren();
    const text = await chosen.text();
    // The content says what the file is: NDJSON lines start with "{", a CSV file with its header (trimStart also
    // drops a byte-order mark).
    const csv = !text.trimStart().startsWith("{");
    const batches = toBatches(text, csv);
    progress.max = batches.length * 2;
    progress.value = 0;
    const problems = await check(api, batches, csv, () => progress.value++);
    if (problems.length) {
      progress.value = 0;
      status.textContent = `Nothing was imported: ${counted(problems.length, "problem")} in the file.`;
      errors.replaceChildren(...problems.slice(0, MAX_LISTED).map((p) => el("li", { class: "error" }, p)));
      return;
    }
    const totals: Totals = { written: 0, removed: 0, expired: 0, unchanged: 0, unknownSegments: new Set() };
    for (const batch of batches) {
      const answer = await api.importMembers(batch.body, csv);
      if (answer instanceof ApiError) {
        status.textContent = `Stopped after ${counted(totals.written, "row")} (${answer.status}); upload the file again to finish.`;
        break;
      }
      add(totals, answer);
      progress.value++;
      status.textContent = `Imported ${counted(totals.written, "row")}…`;
    }
    if (progress.value === progress.max) status.textContent = `Imported ${counted(totals.written, "row")}.`;
    warnings.replaceChildren(...warningsOf(totals).map((w) => el("li", {}, w)));
    await imported();
  };
  return form;
}

/** The accepted formats, said next to the file input (which it describes). */
function formatHelp(): HTMLElement {
  const code = (text: string) => el("code", {}, text);
  return el(
    "div",
    { id: "upload-help", class: "hint" },
    el("p", {}, "CSV: a header line ", code("customer_id,segments"), " (or ", code("customer_id,segments,expires_at"), "), then a customer per line. Several segments go in one cell separated by ", code("|"), ": ", code("123,vip|high_returner"), ". Quote a field that holds a comma, a quote or a line break."),
    el("p", {}, "NDJSON: one JSON object per line, e.g. ", code('{"customer_id":"123","segments":["vip","high_returner"]}'), "."),
    el("p", {}, "A row replaces the customer's segments; no segments removes them. ", code("expires_at"), " is an ISO time with a zone, e.g. ", code("2026-12-31T23:59:59Z"), ". Files of any size are checked whole, then sent 10,000 rows at a time. The import API takes the same files; ", code("valuebar segments compute"), " writes NDJSON you can upload here."),
  );
}

function add(totals: Totals, answer: ImportWritten): void {
  totals.written += answer.written;
  totals.removed += answer.removed;
  totals.expired += answer.expired ?? 0;
  totals.unchanged += answer.unchanged;
  for (const segment of answer.unknownSegments ?? []) totals.unknownSegments.add(segment);
}

/** Every warning of the API's answers, in words. */
function warningsOf(t: Totals): string[] {
  const warnings: string[] = [];
  if (t.unknownSegments.size) {
    warnings.push(`The config does not list ${[...t.unknownSegments].sort().join(", ")}: no message targets these members until it does (add it under Segments and precedence).`);
  }
  if (t.removed) {
    const expired = t.expired ? ` (${t.expired.toLocaleString("en")} of them because ${t.expired === 1 ? "its" : "their"} expires_at has passed)` : "";
    warnings.push(`${counted(t.removed, "row")} took ${t.removed === 1 ? "its customer" : "their customers"} out of every segment${expired}.`);
  }
  if (t.unchanged) warnings.push(`${counted(t.unchanged, "row")} already matched what the site holds and ${t.unchanged === 1 ? "was" : "were"} not written again.`);
  return warnings;
}

/** Every batch checked without writing: the problems of the file, by file line. */
async function check(api: AdminApi, batches: Batch[], csv: boolean, checked: () => void): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, batch] of batches.entries()) {
    const answer = await api.checkImport(batch.body, csv);
    checked();
    if (!(answer instanceof ApiError)) continue;
    if (answer.status !== 400) problems.push(`Batch ${i + 1} was refused (${answer.status})`);
    else if (answer.issues.length === 0) problems.push(answer.message);
    else for (const issue of answer.issues) problems.push(issue.line === undefined ? issue.message : `Line ${fileLine(batch, issue.line)}: ${issue.path ? `${issue.path}: ` : ""}${issue.message}`);
  }
  return problems;
}
