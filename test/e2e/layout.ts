/**
 * Layout checks the browser tests share: what a reader sees as a word cut in two.
 */
import type { Page } from 'playwright-core';

/**
 * The words under `selector` that the page broke inside, across two lines ("Serien|nummer", "03.1|2.2026"). A word
 * is a run of letters, digits and punctuation without spaces or hyphens (a break at a hyphen is where German breaks
 * words itself), of 3 to `longest` characters: a longer run is a free value without spaces (a 60-character address
 * part), which the tables may break to stay on screen. `alsoBetween` adds characters a word ends at: "@." for an
 * address, which may wrap after its "@" and before a dot.
 */
export function wordsBrokenInside(page: Page, selector: string, longest = 20, alsoBetween = ''): Promise<string[]> {
  return page.evaluate(
    ({ selector, longest, alsoBetween }) => {
      const escaped = alsoBetween.replace(/[\\\]^-]/g, '\\$&');
      const word = new RegExp(`[^\\s\\u00a0\\u2010-\\u2015${escaped}-]+`, 'g');
      const broken = new Set<string>();
      for (const root of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const text = node.textContent ?? '';
          for (const match of text.matchAll(word)) {
            if (match[0].length < 3 || match[0].length > longest) continue;
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const lines = new Set([...range.getClientRects()].filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top)));
            if (lines.size > 1) broken.add(match[0]);
          }
        }
      }
      return [...broken];
    },
    { selector, longest, alsoBetween },
  );
}
