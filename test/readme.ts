/**
 * @module The fenced code blocks of README.md, for the tests that run its examples as written (test/cli/readme.test.ts,
 * and the browser suites for the loader, the Shopify snippet, the layout-shift CSS and the Content-Security-Policy).
 * Pure: the callers read the file.
 */

export interface CodeBlock {
  /** The fence's language: "sh", "json", "liquid", "css", "http", "js", or "" when it names none. */
  lang: string;
  code: string;
  /** The line of README.md the fence opens on, for messages. */
  line: number;
}

/** Every fenced block of `markdown`, in order; indented fences (inside list items) are unindented. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(\w*)\s*$/.exec(lines[i] ?? "");
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^ *```\s*$/.test(lines[j] ?? ""); j++) body.push((lines[j] ?? "").slice(indent));
    blocks.push({ lang: open[2] ?? "", code: body.join("\n"), line: i + 1 });
    i = j;
  }
  return blocks;
}

/** The one block of `lang` whose code contains `marker`; throws (naming both) when there is none or several. */
export function theBlock(markdown: string, lang: string, marker: string): CodeBlock {
  const found = codeBlocks(markdown).filter((b) => b.lang === lang && b.code.includes(marker));
  if (found.length !== 1) throw new Error(`README.md has ${found.length} \`\`\`${lang} blocks containing ${JSON.stringify(marker)}, expected 1`);
  return found[0] as CodeBlock;
}

/** What the README's examples call the Worker and the store; a test puts its own in their place. */
export const README_WORKER = "https://valuebar.example.workers.dev";
export const README_SITE = "my-store";
