/**
 * @module A site's issued admin tokens (table `tokens` of its SiteAdmin): each a name, a role and the SHA-256 of
 * the token (the token itself is shown once and never stored), with who issued it and when. Issuing and revoking
 * write their audit line in the same transaction.
 */
import type { Actor, IssuedRole } from "../core/access";
import { isIssuedRole } from "../core/access";
import type { AuditLog } from "./audit-log";
import { readRow, readRows } from "./sql-rows";

export interface TokenSummary {
  name: string;
  role: IssuedRole;
  createdAt: string;
  createdBy: string;
}

const ROLE = "an issued role (editor, analyst, importer)";

export class SiteTokens {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly audit: AuditLog,
  ) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** The holder of the token with this SHA-256, or null. */
  actor(hash: string): Actor | null {
    const row = readRow(this.sql.exec("SELECT name, role FROM tokens WHERE hash = ?", hash).toArray()[0], "tokens");
    return row ? { name: row.text("name"), role: row.check("role", isIssuedRole, ROLE) } : null;
  }

  /** Issues a token (stored as its hash); false when the name is taken. */
  create(name: string, role: IssuedRole, hash: string, by: Actor): boolean {
    if (this.sql.exec("SELECT 1 FROM tokens WHERE name = ?", name).toArray().length > 0) return false;
    this.storage.transactionSync(() => {
      this.sql.exec("INSERT INTO tokens (name, role, hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)", name, role, hash, new Date().toISOString(), by.name);
      this.audit.record(by, "token.create", `issued token "${name}" with the ${role} role`);
    });
    return true;
  }

  list(): TokenSummary[] {
    return readRows(this.sql.exec("SELECT name, role, created_at, created_by FROM tokens ORDER BY name"), "tokens").map((row) => ({
      name: row.text("name"),
      role: row.check("role", isIssuedRole, ROLE),
      createdAt: row.text("created_at"),
      createdBy: row.text("created_by"),
    }));
  }

  /** Revokes a token at once; its hash (to drop from the KV index), or null when there is none by that name. */
  revoke(name: string, by: Actor): string | null {
    const hash = readRow(this.sql.exec("SELECT hash FROM tokens WHERE name = ?", name).toArray()[0], "tokens")?.text("hash");
    if (hash === undefined) return null;
    this.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM tokens WHERE name = ?", name);
      this.audit.record(by, "token.delete", `revoked token "${name}"`);
    });
    return hash;
  }
}
