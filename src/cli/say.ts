/** @module How the CLI writes figures and line problems on the terminal. */
import type { LineIssue } from "../core/import-rows";

/** A count with thousands separators: 25,000. */
export const count = (n: number) => n.toLocaleString("en");

/** One problem of a file's line: "line 3: segments.0: ...". */
export const describeIssue = (issue: LineIssue) => `line ${issue.line}: ${issue.path ? `${issue.path}: ` : ""}${issue.message}`;
