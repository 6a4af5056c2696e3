import type { Page } from 'playwright-core';

/** A 4,439-character utterance (far past the demo model's 48-token limit), as in issue 21. */
export const LONG_UTTERANCE = (() => {
  const sentence = 'I am so happy today because my best friend came back from her trip and we are going to celebrate tonight. ';
  let text = '';
  while (text.length < 4439) text += sentence;
  return text.slice(0, 4439).trimEnd();
})();

/** How many CSS pixels the page is wider than the viewport (0 = no horizontal scrolling, WCAG 1.4.10 reflow). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - document.documentElement.clientWidth);
}

/** A rectangle in page coordinates. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Whether two boxes overlap by more than `slack` pixels both ways. */
export function overlaps(a: Box, b: Box, slack = 0.5): boolean {
  return a.x + a.width - slack > b.x && b.x + b.width - slack > a.x && a.y + a.height - slack > b.y && b.y + b.height - slack > a.y;
}

/**
 * Records every value `attribute` of `selector` takes from now on (a MutationObserver in the page), so a test
 * can check a state that lasts only while the page works, such as `aria-busy="true"` during a prediction.
 * Returns a function that reads the values seen so far.
 */
export async function watchAttribute(page: Page, selector: string, attribute: string): Promise<() => Promise<string[]>> {
  const key = `__watch_${Math.random().toString(36).slice(2)}`;
  await page.evaluate(
    ([s, a, k]) => {
      const element = document.querySelector(s);
      if (!element) throw new Error(`no ${s}`);
      const seen: string[] = [];
      (window as unknown as Record<string, string[]>)[k] = seen;
      new MutationObserver(() => seen.push(element.getAttribute(a) ?? '')).observe(element, { attributes: true, attributeFilter: [a] });
    },
    [selector, attribute, key] as const,
  );
  return () => page.evaluate((k) => [...(window as unknown as Record<string, string[]>)[k]], key);
}

/** Like {@link watchAttribute}, for the text of `selector` (e.g. what the status line said while the page worked). */
export async function watchText(page: Page, selector: string): Promise<() => Promise<string[]>> {
  const key = `__watch_${Math.random().toString(36).slice(2)}`;
  await page.evaluate(
    ([s, k]) => {
      const element = document.querySelector(s);
      if (!element) throw new Error(`no ${s}`);
      const seen: string[] = [];
      (window as unknown as Record<string, string[]>)[k] = seen;
      new MutationObserver(() => seen.push(element.textContent ?? '')).observe(element, { childList: true, characterData: true, subtree: true });
    },
    [selector, key] as const,
  );
  return () => page.evaluate((k) => [...(window as unknown as Record<string, string[]>)[k]], key);
}
