/**
 * @module The marketer's editor in the browser: sign in with a site and a token (or go on with this tab's
 * session), then the site's editor. The screens live in their folders (sign-in, grid, preview, publish,
 * experiments, segments), the one API client in api.ts, the signed-in state in state.ts; this file wires them.
 */
import type { Session } from "./api";
import { AdminApi, refusal } from "./api";
import { openEditor } from "./shell";
import { forgetSession, savedSession } from "./sign-in/session";
import { showSignIn } from "./sign-in/sign-in";
import type { EditorState } from "./state";
import { loadState } from "./state";

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
  let state: EditorState;
  try {
    state = await loadState(api);
  } catch (error) {
    const refused = refusal(error);
    return signIn(refused.status === 401 ? "Your token is no longer valid. Sign in again." : refused.message);
  }
  await open(api, state);
}

const session = savedSession();
if (session) void resume(session);
else signIn();
