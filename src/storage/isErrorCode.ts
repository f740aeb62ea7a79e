/** True for a Node.js system error (fs, child_process…) with one of the given codes, e.g. `ENOENT`. */
export function isErrorCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' && codes.includes(error.code);
}
