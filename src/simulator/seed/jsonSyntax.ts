/*
 * Where a JSON text stops being valid JSON. V8's JSON.parse names a position for most mistakes but not all
 * ("Unexpected token '}', ... is not valid JSON" has none), and its wording differs between Node versions, so
 * seed files are re-scanned here to give users a line and column they can jump to.
 */

/** A 1-based line and column in a text. */
export interface TextPosition {
  line: number;
  column: number;
}

class ScanStop extends Error {
  constructor(readonly offset: number) {
    super(`invalid JSON at offset ${offset}`);
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const SIMPLE_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX = /^[0-9a-fA-F]{4}$/;

class JsonScanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  scanDocument(): void {
    this.skipWhitespace();
    this.scanValue();
    this.skipWhitespace();
    if (this.pos < this.text.length) this.stop();
  }

  private stop(at: number = this.pos): never {
    throw new ScanStop(at);
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length && WHITESPACE.has(this.text[this.pos] ?? '')) this.pos++;
  }

  private expect(char: string): void {
    if (this.peek() !== char) this.stop();
    this.pos++;
  }

  private scanValue(): void {
    const char = this.peek();
    if (char === '{') this.scanObject();
    else if (char === '[') this.scanArray();
    else if (char === '"') this.scanString();
    else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) this.scanNumber();
    else if (char === 't') this.scanLiteral('true');
    else if (char === 'f') this.scanLiteral('false');
    else if (char === 'n') this.scanLiteral('null');
    else this.stop();
  }

  private scanObject(): void {
    this.expect('{');
    this.skipWhitespace();
    if (this.peek() === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.peek() !== '"') this.stop();
      this.scanString();
      this.skipWhitespace();
      this.expect(':');
      this.skipWhitespace();
      this.scanValue();
      this.skipWhitespace();
      if (this.peek() === '}') {
        this.pos++;
        return;
      }
      this.expect(',');
    }
  }

  private scanArray(): void {
    this.expect('[');
    this.skipWhitespace();
    if (this.peek() === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      this.scanValue();
      this.skipWhitespace();
      if (this.peek() === ']') {
        this.pos++;
        return;
      }
      this.expect(',');
    }
  }

  private scanString(): void {
    this.expect('"');
    for (;;) {
      const char = this.peek();
      if (char === undefined || char < ' ') this.stop();
      this.pos++;
      if (char === '"') return;
      if (char === '\\') {
        const escape = this.peek();
        if (escape === 'u') {
          if (!HEX.test(this.text.slice(this.pos + 1, this.pos + 5))) this.stop();
          this.pos += 5;
        } else if (escape !== undefined && SIMPLE_ESCAPES.has(escape)) {
          this.pos++;
        } else {
          this.stop();
        }
      }
    }
  }

  private scanDigits(): void {
    const start = this.pos;
    while (this.pos < this.text.length && (this.peek() ?? '') >= '0' && (this.peek() ?? '') <= '9') this.pos++;
    if (this.pos === start) this.stop();
  }

  private scanNumber(): void {
    if (this.peek() === '-') this.pos++;
    if (this.peek() === '0') this.pos++;
    else this.scanDigits();
    if (this.peek() === '.') {
      this.pos++;
      this.scanDigits();
    }
    if (this.peek() === 'e' || this.peek() === 'E') {
      this.pos++;
      if (this.peek() === '+' || this.peek() === '-') this.pos++;
      this.scanDigits();
    }
  }

  private scanLiteral(word: string): void {
    for (const char of word) this.expect(char);
  }
}

/** Offset of the first character that makes `text` invalid JSON, or undefined when it is valid. */
export function findJsonSyntaxError(text: string): number | undefined {
  try {
    new JsonScanner(text).scanDocument();
    return undefined;
  } catch (err) {
    if (err instanceof ScanStop) return err.offset;
    throw err;
  }
}

/** Converts a 0-based offset into the 1-based line and column editors show (a `\n` starts a new line). */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: Math.min(offset, text.length) - lineStart + 1 };
}
