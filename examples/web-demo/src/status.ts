/** What the status line shows besides its text: a fraction done (0 to 1), work of unknown length, or nothing. */
export type Progress = number | 'busy' | null;

/** The page's status line (a live region) and the progress bar beside it. */
export interface StatusLine {
  /** Shows `text`; `progress` fills the bar, `'busy'` makes it indeterminate, `null` hides it. */
  show(text: string, options?: { error?: boolean; progress?: Progress }): void;
  /** The text shown now. */
  readonly text: string;
}

/** Drives `status` (a `role=status` element) and `bar` (a `<progress>`, hidden when idle). */
export function statusLine(status: HTMLElement, bar: HTMLProgressElement): StatusLine {
  return {
    show(text, { error = false, progress = null } = {}) {
      status.textContent = text;
      status.classList.toggle('error', error);
      bar.hidden = progress === null;
      if (progress === 'busy') bar.removeAttribute('value');
      else if (progress !== null) bar.value = Math.min(1, Math.max(0, progress));
      bar.max = 1;
    },
    get text() {
      return status.textContent ?? '';
    },
  };
}
