/** Driving a Monaco editor from the browser tests: its text as shown, and a paste that replaces it all. */
import type { Locator, Page } from 'playwright-core';

/** The editor's text as shown, line by line in screen order (Monaco renders spaces as no-break spaces). */
export async function editorTextOf(editor: Locator): Promise<string> {
  const lines = await editor
    .locator('.view-line')
    .evaluateAll((nodes) => nodes.map((node) => ({ top: parseFloat((node as HTMLElement).style.top), text: node.textContent ?? '' })).sort((a, b) => a.top - b.top));
  return lines.map((line) => line.text.replace(/\u00a0/g, ' ')).join('\n');
}

/** Replaces the editor's whole text with `text` as a paste would (one edit, as a person pasting makes it). */
export async function pasteInto(page: Page, editor: Locator, text: string): Promise<void> {
  await editor.locator('.view-lines').first().click();
  await page.keyboard.press('Control+A');
  await editor
    .locator('textarea')
    .first()
    .evaluate((textarea, pasted) => {
      const data = new DataTransfer();
      data.setData('text/plain', pasted);
      textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, text);
}
