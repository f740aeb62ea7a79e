/** A tab API call answered with an error status: the code and plain words the page shows. */
export class TabRefusal extends Error {
  override readonly name = 'TabRefusal';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
