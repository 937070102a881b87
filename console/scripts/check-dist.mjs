// After `vite build`: the built console must hold no inline script or style (the CSP forbids
// them), and its first screen must stay small. Prints the compressed size of the JavaScript and
// CSS that index.html loads (scripts, module preloads, stylesheets), and fails over the budget.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const DIST = new URL("../dist/", import.meta.url).pathname;
const BUDGET_BYTES = 150 * 1024;
const problems = [];

for (const page of ["index.html", "silent-callback.html"]) {
  const html = readFileSync(join(DIST, page), "utf8");
  for (const [tag] of html.matchAll(/<script\b[^>]*>/gi)) {
    if (!/\bsrc=/.test(tag)) problems.push(`${page}: an inline script: ${tag}`);
  }
  for (const tag of ["<style", " style=", "javascript:", " on"]) {
    const pattern = tag === " on" ? /<[^>]+\son[a-z]+=/i : new RegExp(tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
    if (pattern.test(html)) problems.push(`${page}: inline style or script (${tag.trim()})`);
  }
}

const index = readFileSync(join(DIST, "index.html"), "utf8");
const loaded = [
  ...[...index.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/gi)].map((m) => m[1]),
  ...[...index.matchAll(/<link\b[^>]*\brel="(?:stylesheet|modulepreload)"[^>]*\bhref="([^"]+)"/gi)].map((m) => m[1]),
];
let total = 0;
for (const path of loaded) {
  const file = join(DIST, path.replace(/^\/console\//, ""));
  const bytes = gzipSync(readFileSync(file), { level: 9 }).length;
  total += bytes;
  console.log(`  ${path.padEnd(44)} ${(bytes / 1024).toFixed(1).padStart(6)} KB gzip`);
}
console.log(`first screen: ${(total / 1024).toFixed(1)} KB of compressed JavaScript and CSS (budget ${BUDGET_BYTES / 1024} KB)`);
if (total > BUDGET_BYTES) problems.push(`the first screen loads ${total} bytes compressed, over ${BUDGET_BYTES}`);

if (problems.length > 0) {
  console.error(problems.map((problem) => `error: ${problem}`).join("\n"));
  process.exit(1);
}
