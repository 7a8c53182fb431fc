/**
 * @module The marketer's editor in the browser: sign in with a site and a token (or go on with this tab's
 * session), then the site's editor. The screens live in their folders (sign-in, grid, preview, publish,
 * experiments, segments), the one API client in api.ts, the signed-in state in state.ts; this file wires them.
 */
import type { Session } from "./api";
import { AdminApi, ApiError } from "./api";
import { openEditor } from "./shell";
import { forgetSession, savedSession } from "./sign-in/session";
import { showSignIn } from "./sign-in/sign-in";
import type { EditorState } from "./state";
import { loadState, NoSite } from "./state";

const app = document.getElementById("app") as HTMLElement;

function signIn(problem = ""): void {
  showSignIn(app, problem, open);
}

function open(api: AdminApi, state: EditorState): Promise<void> {
  return openEditor(app, api, state, () => {
    forgetSession();
    signIn();
  });
}

/** The tab's session after a reload: its token may have been revoked meanwhile. */
async function resume(session: Session): Promise<void> {
  const api = new AdminApi(session);
  // The tab opened this site before: one still without a config is being created.
  const state = await loadState(api, true);
  if (state instanceof ApiError) return signIn(state.status === 401 ? "Your token is no longer valid. Sign in again." : state.message);
  if (state instanceof NoSite) return signIn();
  await open(api, state);
}

const session = savedSession();
if (session) void resume(session);
else signIn();
