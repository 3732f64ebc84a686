/** One line of progress on stderr, prefixed so that it stands out from server logs. */
export function progress(message: string): void {
  process.stderr.write(`[stack] ${message}\n`);
}
