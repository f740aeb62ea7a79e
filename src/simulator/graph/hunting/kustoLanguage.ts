import { HUNTING_TABLES } from '../../seed/huntingSchema';
import type { HuntingType } from '../../seed/huntingSchema';

/*
 * Microsoft's Kusto parser and semantic analyser (@kusto/language-service-next, a Bridge.NET build of
 * Kusto.Language), loaded once on first use (~0.5–1 s), with the advanced hunting tables as its database, so an
 * unknown table or column is the analyser's own diagnostic and every expression carries its KQL type.
 * Only the few members the engine reads are typed here.
 */

/** A node or token of Kusto's syntax tree. */
export interface KustoNode {
  Kind: number;
  ChildCount: number;
  GetChild(index: number): KustoNode | null;
  IsToken: boolean;
  Text: string;
  TextStart: number;
  Width: number;
  Parent: KustoNode | null;
  ResultType: KustoType | null;
  ReferencedSymbol: KustoSymbol | null;
  LiteralValue: unknown;
}

/** A symbol a name refers to (column, variable, table, function). */
export interface KustoSymbol {
  Name: string;
}

interface KustoList<T> {
  Count: number;
  getItem(index: number): T;
}

/** A scalar or tabular type as the analyser computed it. */
export interface KustoType {
  Name: string;
  Columns?: KustoList<{ Name: string; Type: { Name: string } }>;
}

/** One problem the parser or the analyser found. */
export interface KustoDiagnostic {
  Code: string;
  Message: string;
  Start: number;
  Length: number;
  Severity: string;
}

interface KustoCode {
  Syntax: KustoNode;
  ResultType: KustoType | null;
  GetDiagnostics(): KustoList<KustoDiagnostic>;
  GetSyntaxDiagnostics(): KustoList<KustoDiagnostic>;
}

interface KustoLanguageModule {
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): KustoCode };
  GlobalState: { Default: { WithDatabase(db: unknown): unknown } };
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { $ctor1: new (name: string, members: unknown[], isOpen: boolean) => unknown };
  };
  Syntax: { SyntaxKind: { $names: Record<number, string> } };
}

/** One column of a tabular result: its name and KQL type name (`long`, `string`, `datetime`, ...). */
export interface KqlColumn {
  name: string;
  kqlType: string;
}

/** A parsed and analysed query: its tree, its errors (syntax first), its result columns. */
export interface KqlAnalysis {
  text: string;
  syntax: KustoNode;
  syntaxErrors: KustoDiagnostic[];
  semanticErrors: KustoDiagnostic[];
  resultColumns: KqlColumn[] | undefined;
}

const KQL_TYPE_OF: Record<HuntingType, string> = {
  DateTime: 'datetime',
  String: 'string',
  Int32: 'int',
  Int64: 'long',
  Boolean: 'bool',
  Double: 'real',
  Object: 'dynamic',
};

/** The type name advanced hunting reports in an answer's `schema` for a KQL type. */
export function huntingTypeOf(kqlType: string): string {
  switch (kqlType) {
    case 'datetime':
      return 'DateTime';
    case 'string':
      return 'String';
    case 'int':
      return 'Int32';
    case 'long':
      return 'Int64';
    case 'bool':
      return 'Boolean';
    case 'real':
      return 'Double';
    case 'decimal':
      return 'Decimal';
    case 'timespan':
      return 'TimeSpan';
    case 'guid':
      return 'Guid';
    default:
      return 'Object';
  }
}

interface Loaded {
  kusto: KustoLanguageModule;
  globals: unknown;
  kindNames: Record<number, string>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded !== undefined) return loaded;
  // The Bridge.NET runtime and Kusto.Language register themselves as globals (`Bridge`, `Kusto`).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@kusto/language-service-next/bridge.min.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
  const kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguageModule } }).Kusto.Language;
  const tables = Object.entries(HUNTING_TABLES).map(([table, columns]) => {
    const schema = Object.entries(columns as Record<string, HuntingType>)
      .map(([column, type]) => `${column}:${KQL_TYPE_OF[type]}`)
      .join(', ');
    return new kusto.Symbols.TableSymbol.$ctor7(table, `(${schema})`, null);
  });
  const database = new kusto.Symbols.DatabaseSymbol.$ctor1('AdvancedHunting', tables, false);
  loaded = {
    kusto,
    globals: kusto.GlobalState.Default.WithDatabase(database),
    kindNames: kusto.Syntax.SyntaxKind.$names,
  };
  return loaded;
}

function listOf<T>(list: KustoList<T> | null | undefined): T[] {
  const items: T[] = [];
  for (let i = 0; i < (list?.Count ?? 0); i++) items.push(list!.getItem(i));
  return items;
}

/** The columns of a tabular type (undefined for a scalar or unknown type). */
export function columnsOf(type: KustoType | null | undefined): KqlColumn[] | undefined {
  if (type?.Columns === undefined || type.Columns === null) return undefined;
  return listOf(type.Columns).map((c) => ({ name: c.Name, kqlType: c.Type.Name }));
}

/** Parses and analyses `text` against the advanced hunting tables. */
export function analyseKql(text: string): KqlAnalysis {
  const { kusto, globals } = load();
  const code = kusto.KustoCode.ParseAndAnalyze(text, globals);
  const errors = (list: KustoList<KustoDiagnostic>) => listOf(list).filter((d) => d.Severity === 'Error');
  const syntaxErrors = errors(code.GetSyntaxDiagnostics());
  const syntaxKeys = new Set(syntaxErrors.map((d) => `${d.Code}@${d.Start}`));
  const semanticErrors = errors(code.GetDiagnostics()).filter((d) => !syntaxKeys.has(`${d.Code}@${d.Start}`));
  return { text, syntax: code.Syntax, syntaxErrors, semanticErrors, resultColumns: columnsOf(code.ResultType) };
}

/** The name of a node's kind (`FilterOperator`, `EqualExpression`, `StringLiteralToken`, ...). */
export function kindOf(node: KustoNode): string {
  return load().kindNames[node.Kind] ?? String(node.Kind);
}

/** The kind of symbol a name refers to: `ColumnSymbol`, `VariableSymbol`, `TableSymbol`, `FunctionSymbol`, .... */
export function symbolKindOf(symbol: KustoSymbol | null | undefined): string | undefined {
  const name = (symbol as { constructor?: { $$name?: string } } | null | undefined)?.constructor?.$$name;
  return name?.split('.').pop();
}

/** The non-token children of a node. */
export function childNodes(node: KustoNode): KustoNode[] {
  const children: KustoNode[] = [];
  for (let i = 0; i < node.ChildCount; i++) {
    const child = node.GetChild(i);
    if (child !== null && !child.IsToken) children.push(child);
  }
  return children;
}

/** The tokens directly under a node. */
export function childTokens(node: KustoNode): KustoNode[] {
  const tokens: KustoNode[] = [];
  for (let i = 0; i < node.ChildCount; i++) {
    const child = node.GetChild(i);
    if (child?.IsToken === true) tokens.push(child);
  }
  return tokens;
}

/** The elements of a `List` node (separated lists unwrapped). */
export function listElements(list: KustoNode | undefined): KustoNode[] {
  if (list === undefined) return [];
  return childNodes(list).map((item) => (kindOf(item) === 'SeparatedElement' ? (childNodes(item)[0] ?? item) : item));
}

/** 1-based line and column of a character offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}
