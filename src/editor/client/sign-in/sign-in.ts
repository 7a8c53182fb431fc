/**
 * @module The sign-in form: a site id and a token, checked by reading the site's config. A token not valid for
 * the site is said so and nothing is kept; a site with no config (nor draft) is said so, and offered to be created
 * to a role that may; otherwise the pair is kept for the tab and the editor opens.
 */
import { SITE_ID, SITE_ID_RULE } from "../../../core/shared";
import { AdminApi, ApiError } from "../api";
import { button, el, showStatus } from "../dom";
import type { EditorState } from "../state";
import { loadState, NoSite } from "../state";
import { saveSession, savedSession } from "./session";

/** Shows the form in `app`, with `problem` said in its alert; `signedIn` gets the site's API and starting state. */
export function showSignIn(app: HTMLElement, problem: string, signedIn: (api: AdminApi, state: EditorState) => Promise<void>): void {
  const site = el("input", { id: "site", name: "site", required: "", autocomplete: "off", pattern: SITE_ID.source.slice(1, -1), title: SITE_ID_RULE, value: savedSession()?.site ?? "" });
  const token = el("input", { id: "token", name: "token", type: "password", required: "", autocomplete: "off" });
  const error = el("p", { id: "sign-in-error", role: "alert", class: "error" }, problem);
  const create = el("div");
  const form = el(
    "form",
    { class: "sign-in", "aria-describedby": "sign-in-error" },
    el("h1", {}, "valuebar editor"),
    el("label", { for: "site" }, "Site id"),
    site,
    el("label", { for: "token" }, "Token"),
    token,
    error,
    create,
    el("button", { type: "submit" }, "Sign in"),
  );
  form.onsubmit = async (event) => {
    event.preventDefault();
    const session = { site: site.value.trim(), token: token.value.trim() };
    const api = new AdminApi(session);
    const state = await loadState(api);
    create.replaceChildren();
    if (state instanceof ApiError) return void (error.textContent = state.status === 401 ? "This token is not valid for that site." : state.message);
    if (state instanceof NoSite) {
      // A mistyped id would otherwise open an empty editor; creating a site is a choice said out loud.
      error.textContent = `There is no site "${session.site}": it has no config yet. Check the site id${state.mayCreate ? ", or create the site." : "."}`;
      if (state.mayCreate) create.append(button(`Create site "${session.site}"`, `Create site "${session.site}"`, () => void createSite(api, signedIn, error)));
      return;
    }
    saveSession(session);
    await signedIn(api, state);
  };
  app.replaceChildren(form);
  (site.value ? token : site).focus();
}

/** Opens the editor on an empty config for a new site: it exists once its first version is published. */
async function createSite(api: AdminApi, signedIn: (api: AdminApi, state: EditorState) => Promise<void>, error: HTMLElement): Promise<void> {
  const state = await loadState(api, true);
  if (state instanceof ApiError) return void (error.textContent = state.message);
  if (state instanceof NoSite) return;
  saveSession(api.session);
  await signedIn(api, state);
  showStatus(`New site "${api.session.site}": add messages, then publish to create it`);
}
