/**
 * @module The signed-in site and token, kept in this tab's sessionStorage: they last as long as the tab, travel in
 * the Authorization header (see api.ts), never in a cookie, and are gone at sign-out.
 */
import type { Session } from "../api";

const SESSION_KEY = "valuebar_editor";

export function savedSession(): Session | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null") as Session | null;
    return value && typeof value.site == "string" && typeof value.token == "string" ? value : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forgetSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
}
