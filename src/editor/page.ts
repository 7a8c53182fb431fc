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
.bar { display: flex; justify-content: space-between; align-items: center; padding: 10px 24px; background: #fff; border-bottom: 1px solid var(--line); }
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
`;

export const editorRoutes = new Hono<{ Bindings: Env }>()
  .get("/admin", (c) => {
    c.header("cache-control", "no-store");
    c.header("content-security-policy", "default-src 'self'; style-src 'unsafe-inline'; frame-src 'self' blob: data:; img-src 'self' data:");
    c.header("x-frame-options", "DENY");
    return c.html(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>valuebar editor</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
<script defer src="${SCRIPT}"></script>
</head>
<body><div id="app"></div></body>
</html>`);
  })
  .get("/admin/assets/:file", (c) => {
    if (c.req.param("file") !== SCRIPT.slice("/admin/assets/".length)) return c.notFound();
    return c.body(EDITOR_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=31536000, immutable" });
  });
