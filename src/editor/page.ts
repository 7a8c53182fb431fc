/**
 * @module The editor's page and its script, served by the Worker: GET /admin (a shell that holds no data and
 * no secret: everything comes from the admin API once the marketer signs in) and GET /admin/assets/editor.{hash}.js,
 * cached for good since its name changes with its content.
 */
import { Hono } from "hono";
import type { Env } from "../env";
import { EDITOR_HASH, EDITOR_JS } from "./client/dist/editor";

const SCRIPT = `/admin/assets/editor.${EDITOR_HASH}.js`;

const CSS = `
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5c5c66; --line: #d5d5dc; --accent: #3730a3; --error: #b00020; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: var(--ink); background: #f7f7f9; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button { font: inherit; padding: 6px 14px; border: 1px solid var(--accent); border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
button.link { background: none; color: var(--accent); border-color: transparent; text-decoration: underline; }
input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #8a8a96; border-radius: 6px; background: #fff; color: var(--ink); }
label { display: block; margin: 12px 0 4px; font-weight: 600; }
.sign-in { max-width: 360px; margin: 12vh auto; padding: 24px; background: #fff; border: 1px solid var(--line); border-radius: 10px; }
.sign-in input { width: 100%; }
.sign-in button { margin-top: 16px; }
.error { color: var(--error); min-height: 1.5em; margin: 6px 0 0; }
.bar { display: flex; flex-wrap: wrap; gap: 8px 16px; justify-content: space-between; align-items: center; padding: 10px 24px; background: #fff; border-bottom: 1px solid var(--line); }
.bar h1 { font-size: 18px; margin: 0; }
main { padding: 24px; }
.grid { border-collapse: collapse; width: 100%; background: #fff; }
.grid caption { text-align: left; font-weight: 600; padding-bottom: 8px; }
.grid th, .grid td { border: 1px solid var(--line); padding: 10px; vertical-align: top; text-align: left; }
.grid thead th { background: #eef0fb; }
.campaign + .campaign { margin-top: 10px; padding-top: 10px; border-top: 1px dashed var(--line); }
.variants { margin: 4px 0 0; padding-left: 18px; }
.message { padding-left: 6px; }
.weight, .none { color: var(--muted); }
.status { color: var(--muted); font-weight: 600; }
.layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(340px, 2fr); gap: 24px; align-items: start; }
.fallback { margin: 4px 0 0; color: var(--muted); }
.paused { display: inline-block; padding: 0 6px; border-radius: 4px; background: #fff7ed; color: #7c2d12; font-weight: 600; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px; }
.panel h2 { margin: 0 0 8px; font-size: 17px; }
.field input:not([type=checkbox]), .field textarea, .field select { width: 100%; }
.field.check { display: flex; gap: 8px; align-items: center; margin-top: 10px; }
.field.check label { margin: 0; font-weight: 400; }
fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 12px 0; padding: 8px 12px; }
legend { font-weight: 600; padding: 0 4px; }
[aria-invalid=true] { border-color: var(--error); outline: 2px solid var(--error); }
.issues { padding-left: 18px; }
#issues { margin: 0 0 12px; padding: 6px 12px; border: 2px solid var(--error); border-radius: 8px; list-style: none; }
#issues:empty { display: none; }
#issues button.link { color: var(--error); padding: 2px 0; text-align: left; }
.actions { display: flex; flex-wrap: wrap; gap: 4px; margin-bottom: 4px; }
.actions button.link { padding-left: 0; }
.hint { color: var(--muted); margin: 12px 0 0; font-size: 14px; }
.pick { display: flex; gap: 8px; }
.field .pick input[type=color] { flex: none; width: 48px; height: 38px; padding: 2px; }
.view-as { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 0 12px; }
.view-as .field input, .view-as .field select { width: 100%; }
.view-as label { margin-top: 0; font-weight: 400; font-size: 13px; }
#preview { width: 100%; height: 180px; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
.publish { margin-top: 12px; }
.publish input { width: 100%; margin-bottom: 8px; }
.bar nav { display: flex; flex-wrap: wrap; gap: 4px; }
.tab { background: none; color: var(--accent); border-color: transparent; }
.tab[aria-current=page] { border-color: var(--accent); background: #eef0fb; }
.warning { border: 2px solid #b45309; background: #fff7ed; color: #7c2d12; border-radius: 8px; padding: 4px 12px; }
.experiment { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; margin-bottom: 20px; }
.results { border-collapse: collapse; width: 100%; margin-top: 12px; }
.results caption { text-align: left; font-weight: 600; }
.results th, .results td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; font-variant-numeric: tabular-nums; }
.chart { display: block; max-width: 100%; margin: 6px 0 12px; }
.history { padding: 0 24px 24px; }
.history li { margin-bottom: 10px; }
.history button { margin-left: 8px; }
.experiment { overflow-x: auto; }
/* Phones: one column (the grid, then the panel), the grid's rows as cards naming each placement. */
@media (max-width: 900px) {
  .layout { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 640px) {
  main { padding: 12px; }
  .bar { padding: 8px 12px; }
  .history { padding: 0 12px 12px; }
  .grid, .grid caption, .grid tbody, .grid tr, .grid th, .grid td { display: block; }
  .grid thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .grid tr { margin-bottom: 12px; border: 1px solid var(--line); border-radius: 8px; }
  .grid th, .grid td { border: 0; border-top: 1px solid var(--line); }
  .grid tbody th { border: 0; background: #eef0fb; border-radius: 8px 8px 0 0; }
  .grid td::before { content: attr(data-label); display: block; font-weight: 600; }
}

/* Segments and experiments (issue 11): the segment list, the upload's help and warnings, ending a test. */
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
#segments .hint { margin: 4px 0; font-size: inherit; }
.hint code { overflow-wrap: anywhere; }
button.move, button.secondary { background: #fff; color: var(--accent); padding: 4px 10px; }
button:disabled { color: var(--muted); border-color: var(--line); cursor: default; }
.segment-list { padding-left: 22px; }
.segment-list > li { margin: 8px 0; padding: 8px 12px; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
.count, .segment-head .segment-members, .segment-head .segment-description { color: var(--muted); font-weight: 400; }
.segment-head .segment-members, .segment-head .segment-description { display: block; font-size: 13px; }
.moves { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.ordered { counter-reset: rank; padding-left: 0; list-style: none; }
.ordered > li { counter-increment: rank; }
.ordered .segment-title::before { content: counter(rank) ". "; }
.ordered .field label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.ordered .error:empty { min-height: 0; margin: 0; }
@media (min-width: 720px) {
  .ordered > li { display: grid; grid-template-columns: minmax(8rem, 14rem) minmax(0, 1fr) auto; gap: 0 12px; align-items: center; }
  .ordered .moves { margin-top: 0; }
}
.add-segment input { width: min(100%, 320px); margin-right: 8px; }
.warnings { padding-left: 18px; color: #7c2d12; }
.experiment-head { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 8px; }
.variant-list { padding-left: 18px; }
.variant-list li { margin: 4px 0; }
.variant-list button { margin-left: 8px; }
.table-scroll { overflow-x: auto; }
/* Drafts, confirmations and "Who sees what" (issue 11, H2): kept in one block at the end. */
.draft-bar { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; padding: 8px 24px 0; }
.draft-bar p { margin: 0; color: var(--muted); font-weight: 600; }
dialog.confirm { max-width: min(560px, calc(100vw - 24px)); border: 1px solid var(--line); border-radius: 10px; padding: 20px; color: var(--ink); }
dialog.confirm::backdrop { background: rgb(0 0 0 / 0.4); }
dialog.confirm h2 { margin: 0 0 8px; font-size: 18px; }
dialog.confirm .changes { max-height: 40vh; overflow: auto; padding-left: 20px; overflow-wrap: anywhere; }
dialog.confirm .actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 16px; }
.preview-as .field { margin-top: 8px; }
.visitors-on { display: flex; flex-wrap: wrap; gap: 4px 16px; }
.visitors-on .field input[type=radio] { width: auto; }
.visitors .source { display: block; color: var(--muted); font-size: 13px; }
.visitors #visitors-table { overflow-x: auto; }
@media (max-width: 640px) {
  .draft-bar { padding: 8px 12px 0; }
  .visitors thead { display: none; }
  .visitors tr, .visitors th, .visitors td { display: block; }
  .visitors td::before, .results td::before { content: attr(data-label); display: block; font-size: 13px; font-weight: 600; color: var(--muted); }
  .results thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .results tr, .results th, .results td { display: block; }
  .results tr { border: 1px solid var(--line); border-radius: 8px; margin-bottom: 8px; }
  .results td:empty { display: none; }
}
`;

export const editorRoutes = new Hono<{ Bindings: Env }>()
  .get("/admin", (c) => {
    // A fresh nonce per page: the preview frame runs the real runtime inline under it, nothing else inline runs.
    const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    c.header("cache-control", "no-store");
    c.header(
      "content-security-policy",
      `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
    );
    c.header("x-frame-options", "DENY");
    c.header("referrer-policy", "no-referrer");
    return c.html(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>valuebar editor</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
<script defer nonce="${nonce}" src="${SCRIPT}"></script>
</head>
<body><div id="app"></div></body>
</html>`);
  })
  .get("/admin/assets/:file", (c) => {
    if (c.req.param("file") !== SCRIPT.slice("/admin/assets/".length)) return c.notFound();
    return c.body(EDITOR_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=31536000, immutable" });
  });
