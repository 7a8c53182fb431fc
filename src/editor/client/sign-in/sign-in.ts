/**
 * @module The sign-in form: a site id and a token, checked by reading the site's config. A token not valid for
 * the site is said so and nothing is kept; otherwise the pair is kept for the tab and the editor opens.
 */
import { SITE_ID } from "../../../core/shared";
import { AdminApi, ApiError } from "../api";
import { el } from "../dom";
import type { EditorState } from "../state";
import { loadState } from "../state";
import { saveSession, savedSession } from "./session";

/** Shows the form in `app`, with `problem` said in its alert; `signedIn` gets the site's API and starting state. */
export function showSignIn(app: HTMLElement, problem: string, signedIn: (api: AdminApi, state: EditorState) => Promise<void>): void {
  const site = el("input", { id: "site", name: "site", required: "", autocomplete: "off", pattern: SITE_ID.source.slice(1, -1), value: savedSession()?.site ?? "" });
  const token = el("input", { id: "token", name: "token", type: "password", required: "", autocomplete: "off" });
  const error = el("p", { id: "sign-in-error", role: "alert", class: "error" }, problem);
  const form = el(
    "form",
    { class: "sign-in", "aria-describedby": "sign-in-error" },
    el("h1", {}, "valuebar editor"),
    el("label", { for: "site" }, "Site id"),
    site,
    el("label", { for: "token" }, "Token"),
    token,
    error,
    el("button", { type: "submit" }, "Sign in"),
  );
  form.onsubmit = async (event) => {
    event.preventDefault();
    const session = { site: site.value.trim(), token: token.value.trim() };
    const api = new AdminApi(session);
    const state = await loadState(api);
    if (state instanceof ApiError) return void (error.textContent = state.status === 401 ? "This token is not valid for that site." : state.message);
    saveSession(session);
    await signedIn(api, state);
  };
  app.replaceChildren(form);
  (site.value ? token : site).focus();
}
