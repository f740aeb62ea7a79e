/**
 * Why a query was refused: `syntax` (the parser's), `semantic` (the analyser's: unknown table, column,
 * function), `unsupported` (valid KQL outside the simulator's subset: refused, never answered wrongly).
 * One type so the Graph layer maps every refusal to the same 400.
 */
export type KqlErrorKind = 'syntax' | 'semantic' | 'unsupported';

/** A query the engine refuses; `message` is the text the service puts in its error body. */
export class KqlError extends Error {
  override readonly name = 'KqlError';

  constructor(
    readonly kind: KqlErrorKind,
    message: string,
  ) {
    super(message);
  }
}
