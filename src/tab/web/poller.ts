/** How often the queue and the actions are asked for changes while the tab is visible. */
export const POLL_INTERVAL_MS = 15_000;

/**
 * Calls `tick` every interval while the document is visible, and at once when it becomes visible again (a hidden
 * tab asks nothing). Answers a function that stops it.
 */
export function pollWhileVisible(
  tick: () => void,
  intervalMs = POLL_INTERVAL_MS,
  doc: Document = document,
): () => void {
  const timer = setInterval(() => {
    if (doc.visibilityState === 'visible') tick();
  }, intervalMs);
  const onVisibility = () => {
    if (doc.visibilityState === 'visible') tick();
  };
  doc.addEventListener('visibilitychange', onVisibility);
  return () => {
    clearInterval(timer);
    doc.removeEventListener('visibilitychange', onVisibility);
  };
}
