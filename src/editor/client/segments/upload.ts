/**
 * @module The upload of a memberships file (CSV with customer_id,segments, or NDJSON) of any size: every batch is
 * checked first (`?dry_run=1`), and only a file without a bad line is written, batch by batch, with a progress
 * bar; a bad file gets its problems listed by file line and nothing is imported.
 */
import type { AdminApi } from "../api";
import { ApiError } from "../api";
import { el } from "../dom";
import type { Batch } from "./batches";
import { fileLine, toBatches } from "./batches";

/** Problems listed at most. */
const MAX_LISTED = 200;

/** The form; `imported` runs after a file is written. */
export function uploadForm(api: AdminApi, imported: () => Promise<void>): HTMLFormElement {
  const file = el("input", { id: "upload-file", type: "file", accept: ".csv,.ndjson,.jsonl,.txt" });
  const progress = el("progress", { id: "upload-progress", max: "1", value: "0", "aria-label": "Upload progress" });
  const status = el("p", { id: "upload-status", role: "status" });
  const errors = el("ul", { id: "upload-errors", class: "issues" });
  const form = el(
    "form",
    { class: "upload" },
    el("label", { for: "upload-file" }, "Upload memberships (CSV with customer_id,segments, or NDJSON)"),
    file,
    el("button", { type: "submit" }, "Upload"),
    progress,
    status,
    errors,
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return void (status.textContent = "Choose a file first.");
    errors.replaceChildren();
    const csv = /\.csv$/i.test(chosen.name);
    const batches = toBatches(await chosen.text(), csv);
    progress.max = batches.length * 2;
    progress.value = 0;
    const problems = await check(api, batches, csv, () => progress.value++);
    if (problems.length) {
      progress.value = 0;
      status.textContent = `Nothing was imported: ${problems.length} problem(s) in the file.`;
      errors.replaceChildren(...problems.slice(0, MAX_LISTED).map((p) => el("li", { class: "error" }, p)));
      return;
    }
    let written = 0;
    for (const batch of batches) {
      const answer = await api.importMembers(batch.body, csv);
      if (answer instanceof ApiError) return void (status.textContent = `Stopped after ${written} rows (${answer.status}); upload the file again to finish.`);
      written += answer.written;
      progress.value++;
      status.textContent = `Imported ${written} rows…`;
    }
    status.textContent = `Imported ${written} rows.`;
    await imported();
  };
  return form;
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
