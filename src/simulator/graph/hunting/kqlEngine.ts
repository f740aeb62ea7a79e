import { KqlError } from './kqlError';
import { constantValue, firstTokenText, formatTimespan, sourceOf } from './kqlScalar';
import type { KqlRow, KqlValue } from './kqlScalar';
import { compileTabular } from './kqlTabular';
import type { QueryScope, TableSource, Tabular } from './kqlTabular';
import { analyseKql, childNodes, kindOf, lineAndColumn, listElements } from './kustoLanguage';
import type { KqlColumn, KustoDiagnostic, KustoNode } from './kustoLanguage';

/*
 * The simulator's KQL engine: Microsoft's parser and analyser decide what is valid and what every column is
 * called and typed; the compiled pipeline (kqlTabular, kqlScalar) computes the rows. Anything valid but outside
 * the implemented subset is refused (KqlError 'unsupported'), never answered approximately.
 */

/** What a query runs against. */
export interface KqlRunOptions {
  /** `now()` and `ago()` read this instant (ms since the epoch). */
  now: number;
  tables: TableSource;
}

/** A compiled query: its columns, and its rows read lazily (once). */
export interface KqlResult {
  columns: KqlColumn[];
  rows: Iterable<KqlRow>;
}

function positionOf(text: string, offset: number): string {
  const { line, column } = lineAndColumn(text, offset);
  return `[line:position=${line}:${column}]`;
}

/** The enclosing query operator's keyword of a node (`where`, `project`, ...), if any. */
function operatorKeywordAt(node: KustoNode | null): string | undefined {
  for (let at = node; at !== null; at = at.Parent) {
    if (kindOf(at).endsWith('Operator')) return firstTokenText(at);
  }
  return undefined;
}

function nodeAt(root: KustoNode, offset: number): KustoNode {
  let node = root;
  for (;;) {
    const child = childNodes(node).find((c) => c.TextStart <= offset && offset < c.TextStart + Math.max(c.Width, 1));
    if (child === undefined) return node;
    node = child;
  }
}

function syntaxError(text: string, d: KustoDiagnostic): KqlError {
  const near = text.slice(d.Start, d.Start + Math.max(d.Length, 1)).trim();
  return new KqlError(
    'syntax',
    `Syntax error: Query could not be parsed${near === '' ? '' : ` at '${near}'`}: ${d.Message} ${positionOf(text, d.Start)}`,
  );
}

/**
 * Kusto's own wording for unresolved names ("'where' operator: Failed to resolve scalar expression named 'x'"),
 * the analyser's message for every other semantic error; both with the position.
 */
function semanticError(text: string, root: KustoNode, d: KustoDiagnostic): KqlError {
  const name = text.slice(d.Start, d.Start + d.Length);
  const where = positionOf(text, d.Start);
  if (d.Code === 'KS204' || d.Code === 'KS142') {
    const operator = operatorKeywordAt(nodeAt(root, d.Start));
    if (d.Code === 'KS142' && operator !== undefined) {
      return new KqlError(
        'semantic',
        `Semantic error: '${operator}' operator: Failed to resolve scalar expression named '${name}' ${where}`,
      );
    }
    return new KqlError(
      'semantic',
      `Semantic error: '${operator ?? name}' operator: Failed to resolve table or column expression named '${name}' ${where}`,
    );
  }
  return new KqlError('semantic', `Semantic error: ${d.Message} ${where}`);
}

function unsupported(what: string): KqlError {
  return new KqlError('unsupported', `Semantic error: ${what} is not supported by this advanced hunting service.`);
}

/** Parses, checks and compiles `text`; throws KqlError for a syntax, semantic or unsupported query. */
export function compileKql(text: string, options: KqlRunOptions): KqlResult {
  const analysis = analyseKql(text);
  const firstSyntax = analysis.syntaxErrors[0];
  if (firstSyntax !== undefined) throw syntaxError(text, firstSyntax);
  const firstSemantic = analysis.semanticErrors[0];
  if (firstSemantic !== undefined) throw semanticError(text, analysis.syntax, firstSemantic);
  const scope: QueryScope = {
    now: options.now,
    variables: new Map<string, KqlValue>(),
    source: text,
    tables: options.tables,
    tabularVariables: new Map<string, Tabular>(),
  };
  const lists = childNodes(analysis.syntax).filter((c) => kindOf(c) === 'List');
  if (listElements(lists[0]).length > 0) throw unsupported('a query directive');
  const statements = listElements(lists[1]);
  let query: Tabular | undefined;
  statements.forEach((statement, index) => {
    const kind = kindOf(statement);
    if (kind === 'LetStatement') {
      const [declaration, value] = childNodes(statement);
      if (declaration === undefined || value === undefined || kindOf(value) === 'FunctionDeclaration') {
        throw unsupported(`the let statement '${sourceOf(statement, text)}'`);
      }
      const name = firstTokenText(declaration);
      if (value.ResultType?.Columns !== undefined && value.ResultType.Columns !== null) {
        scope.tabularVariables.set(name, compileTabular(value, scope));
      } else {
        scope.variables.set(name, constantValue(value, scope, 'a let statement'));
      }
      return;
    }
    if (kind === 'ExpressionStatement' && index === statements.length - 1) {
      const expression = childNodes(statement)[0];
      if (expression === undefined) throw unsupported(`'${sourceOf(statement, text)}'`);
      query = compileTabular(expression, scope);
      return;
    }
    throw unsupported(`the statement '${sourceOf(statement, text)}'`);
  });
  if (query === undefined) throw unsupported('a query without a tabular expression');
  return { columns: query.columns, rows: query.rows() };
}

/** A value as advanced hunting writes it in `results`: datetimes ISO-8601 UTC, timespans `d.hh:mm:ss`. */
export function toWireValue(value: KqlValue | undefined, kqlType: string): unknown {
  if (value === undefined) return kqlType === 'string' ? '' : null;
  if (value === null) return null;
  if (kqlType === 'datetime' && typeof value === 'number') return new Date(value).toISOString();
  if (kqlType === 'timespan' && typeof value === 'number') return formatTimespan(value);
  return value;
}
