/**
 * @module A site's audit log (table `audit` of its SiteAdmin): who did what, when, one line per change, newest
 * read first. Lines are written in the same transaction as the change they describe, by the module making it.
 */
import type { Actor } from "../core/access";
import { readRows } from "./sql-rows";

export interface AuditEntry {
  at: string;
  /** "name (role)" of the token that did it. */
  actor: string;
  action: string;
  summary: string;
}

export class AuditLog {
  constructor(private readonly sql: SqlStorage) {}

  /** Adds a line; inside the caller's transaction when there is one. */
  record(by: Actor, action: string, summary: string): void {
    this.sql.exec("INSERT INTO audit (at, actor, action, summary) VALUES (?, ?, ?, ?)", new Date().toISOString(), `${by.name} (${by.role})`, action, summary);
  }

  /** The latest `limit` lines, newest first. */
  latest(limit: number): AuditEntry[] {
    return readRows(this.sql.exec("SELECT at, actor, action, summary FROM audit ORDER BY id DESC LIMIT ?", limit), "audit").map((row) => ({
      at: row.text("at"),
      actor: row.text("actor"),
      action: row.text("action"),
      summary: row.text("summary"),
    }));
  }
}
