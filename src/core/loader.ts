/**
 * @module The inline loader a store puts in its pages: it keeps the first-party visitor id in the
 * store's own localStorage (so a visitor keeps their variant where third-party cookies are blocked),
 * then loads the snippet async with `vid`, `new` and `path`. With `window.valuebar = { consent: false }` set
 * before it, it stores nothing and asks with `consent=0`. At most 400 bytes around the URL.
 */
import { scriptJson } from "./script-json";

/** The loader's code; `__URL__` stands for the snippet URL (a JSON string literal). */
export const LOADER_TEMPLATE =
  '(function(d,u){var c=(window.valuebar||0).consent!==!1,k="valuebar_vid",v,n,s;try{v=c&&localStorage.getItem(k);if(c&&!v){n=1;v=((crypto.randomUUID||Math.random).call(crypto)+"").replace(/\\W/g,"");localStorage.setItem(k,v)}}catch(e){}s=d.createElement("script");s.src=u+"&path="+encodeURIComponent(location.pathname)+(v?"&vid="+v:"")+(n?"&new=1":"")+(c?"":"&consent=0");d.head.append(s)})(document,__URL__);';

/**
 * A `<script>` element with the loader for `snippetUrl` (which must already carry a query string,
 * e.g. ".../v1/s/demo.js?cid=..&sig=.." or ".../v1/s/demo.js?").
 */
export function loaderTag(snippetUrl: string): string {
  const url = scriptJson(snippetUrl);
  return `<script>${LOADER_TEMPLATE.replace("__URL__", () => url)}</script>`;
}
