/**
 * @module The working copy saved as the site's draft as the marketer edits: once a preview has checked it (the
 * draft route validates like a publish, so a copy with problems is not saved: the draft bar says how many to fix),
 * a second after the last edit, over the draft this editor last read or saved (a colleague's draft saved meanwhile
 * is never written over: draft-bar.ts says whose it is and offers to save ours over it).
 */
import type { Draft } from "../../../core/config-history";
import type { AdminApi } from "../api";
import { ApiError } from "../api";
import type { EditorState } from "../state";
import { hasChanges, unsaved } from "../state";

/** How long after the last checked edit the working copy is saved. */
const SAVE_DELAY_MS = 1000;

export class DraftSaver {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> | null = null;

  /** `render` says where the draft stands (showDraftState). */
  constructor(
    private readonly api: AdminApi,
    private readonly state: EditorState,
    private readonly render: () => void,
  ) {}

  /** After a preview checked the working copy: saves it soon if it has no problems, else says it is not saved. */
  checked(problems: number): void {
    const { state } = this;
    clearTimeout(this.timer);
    if (state.save.kind === "conflict") return;
    if (!unsaved(state)) state.save = { kind: state.saved && hasChanges(state) ? "saved" : "idle" };
    else if (!this.api.may("config:write")) state.save = { kind: "forbidden" };
    else if (problems) state.save = { kind: "invalid", problems };
    else {
      state.save = { kind: "pending" };
      this.timer = setTimeout(() => void this.saveNow(), SAVE_DELAY_MS);
    }
    this.render();
  }

  /**
   * The working copy saved now (after any save under way): the site's draft equal to it, or null when not saved.
   * `over`: the `savedAt` of another draft to save over (null: none), instead of the one last read or saved.
   */
  async saveNow(over?: string | null): Promise<Draft | null> {
    clearTimeout(this.timer);
    while (this.writing) await this.writing;
    const { state } = this;
    // Read after the wait: a save that just ended changed the draft this one goes over.
    const base = over === undefined ? (state.saved?.savedAt ?? null) : over;
    if (unsaved(state) || over !== undefined) {
      this.writing = this.write(base);
      await this.writing;
      this.writing = null;
    }
    return unsaved(state) ? null : state.saved;
  }

  /** No save scheduled (the page is about to show the live config again). */
  cancel(): void {
    clearTimeout(this.timer);
  }

  /** Someone else's draft is the site's now (a save or a publish was refused): the bar says whose, and offers to save ours over it. */
  async conflict(): Promise<void> {
    const theirs = await this.api.draft();
    this.state.save = { kind: "conflict", theirs: theirs instanceof ApiError ? null : theirs };
    this.render();
  }

  private async write(base: string | null): Promise<void> {
    const { state } = this;
    const config = structuredClone(state.draft);
    state.save = { kind: "saving" };
    this.render();
    const saved = await this.api.saveDraft(config, base);
    if (!(saved instanceof ApiError)) {
      // The copy as sent, not as the Worker parsed it (its keys in the schema's order): compared with the working
      // copy, that would look unsaved for ever.
      state.saved = { ...saved, config };
      state.save = { kind: unsaved(state) ? "pending" : "saved" };
      // Edits made while this save was under way are saved next.
      if (unsaved(state)) this.timer = setTimeout(() => void this.saveNow(), SAVE_DELAY_MS);
    } else if (saved.status === 409) return this.conflict();
    else if (saved.status === 403) state.save = { kind: "forbidden" };
    else if (saved.issues.length) state.save = { kind: "invalid", problems: saved.issues.length };
    else state.save = { kind: "failed", message: saved.message };
    this.render();
  }
}

