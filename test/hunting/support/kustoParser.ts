/*
 * Microsoft's Kusto parser (@kusto/language-service-next, a Bridge.NET build of Kusto.Language), loaded once and
 * lazily: the tests read the queries the bot builds exactly as the service would.
 */

/** The few members of a Kusto syntax node the tests read. */
export interface KustoNode {
  ChildCount: number;
  GetChild(index: number): KustoNode | null;
  ValueText?: string;
  Text?: string;
}

interface KustoDiagnostic {
  Message: string;
  Start: number;
}

interface KustoCode {
  Syntax: KustoNode;
  GetDiagnostics(): { Count: number; getItem(index: number): KustoDiagnostic };
}

let loaded: { Parse(text: string): KustoCode } | undefined;

function kusto(): { Parse(text: string): KustoCode } {
  if (!loaded) {
    // Bridge.NET scripts that define the global `Kusto`: loaded for their effect, in this order.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@kusto/language-service-next/bridge.min.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
    const global = globalThis as unknown as { Kusto: { Language: { KustoCode: { Parse(text: string): KustoCode } } } };
    loaded = global.Kusto.Language.KustoCode;
  }
  return loaded;
}

/** A parsed query: its syntax errors, and every node of its tree with the node's class name. */
export interface ParsedKql {
  diagnostics: string[];
  nodes: { kind: string; node: KustoNode }[];
}

/** Parses `text` as the service's parser does (syntax only). */
export function parseKql(text: string): ParsedKql {
  const code = kusto().Parse(text);
  const found = code.GetDiagnostics();
  const diagnostics: string[] = [];
  for (let i = 0; i < found.Count; i++) diagnostics.push(found.getItem(i).Message);
  const nodes: ParsedKql['nodes'] = [];
  const walk = (node: KustoNode | null) => {
    if (!node) return;
    const kind = String((node as unknown as { constructor: { $$name?: string } }).constructor.$$name ?? '');
    nodes.push({ kind: kind.replace(/^Kusto\.Language\.Syntax\./, ''), node });
    for (let i = 0; i < node.ChildCount; i++) walk(node.GetChild(i));
  };
  walk(code.Syntax);
  return { diagnostics, nodes };
}

/** The values of every string literal token of a parsed query. */
export function stringLiterals(parsed: ParsedKql): string[] {
  return parsed.nodes
    .filter((n) => n.kind === 'SyntaxToken+LiteralToken' && /^[hH]?['"@]/.test(n.node.Text ?? ''))
    .map((n) => n.node.ValueText ?? '');
}

/** How many statements a parsed query has (`let` statements and the final expression). */
export function statementCount(parsed: ParsedKql): number {
  return parsed.nodes.filter((n) => n.kind === 'LetStatement' || n.kind === 'ExpressionStatement').length;
}
