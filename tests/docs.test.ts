import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { repoRoot } from "@facerec/common";
import { describe, expect, it } from "vitest";

/** The README and every page under docs/: what a newcomer walks. */
const documents = [
  "README.md",
  ...readdirSync(join(repoRoot, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => join("docs", name)),
];

/** A document's text without fenced code blocks and inline code, where brackets are not links. */
const prose = (text: string) => text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "").replace(/`[^`\n]*`/g, "");

/** The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces as hyphens. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(readFileSync(join(repoRoot, file), "utf8")).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (heading as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

describe("the documents' links", () => {
  it("finds the README and the pages it maps", () => {
    expect(documents.length).toBeGreaterThan(1);
  });

  it.each(documents)("%s: every relative link points to a file that exists, and at a heading it has", (file) => {
    const broken: string[] = [];
    for (const [, target] of prose(readFileSync(join(repoRoot, file), "utf8")).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target as string)) continue; // https:, mailto: and the like
      const [path = "", anchor] = (target as string).split("#");
      const resolved = path ? join(dirname(join(repoRoot, file)), path) : join(repoRoot, file);
      if (!existsSync(resolved)) broken.push(`${target}: no ${relative(repoRoot, resolved)}`);
      else if (anchor && resolved.endsWith(".md") && !anchors(relative(repoRoot, resolved)).has(anchor))
        broken.push(`${target}: no heading #${anchor}`);
    }
    expect(broken).toEqual([]);
  });
});
