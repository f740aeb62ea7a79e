import { demoSeed } from './demoTenant';

/** A device of the demo tenant by host name (the part before the first dot); throws for an unknown one. */
export function demoMachine(name: string) {
  const found = demoSeed.machines.find((m) => m.computerDnsName.startsWith(`${name}.`));
  if (!found) throw new Error(`no device ${name}`);
  return found;
}

/** The `data` of the card's first Action.Execute with `verb` (what a click would send), if it has one. */
export function actionData(card: unknown, verb: string): Record<string, unknown> | undefined {
  const json = JSON.stringify(card);
  const match = new RegExp(`"verb":"${verb.replace('.', '\\.')}","data":(\\{[^}]*\\})`).exec(json);
  return match ? (JSON.parse(match[1]!) as Record<string, unknown>) : undefined;
}

/** An Action.Execute of a card as a click would send it. */
export interface ExecuteAction {
  type: string;
  title: string;
  verb: string;
  data: Record<string, unknown>;
}

/** Every Action.Execute of a card (buttons, ShowCard forms, select actions, refresh), in document order. */
export function executeActions(card: unknown): ExecuteAction[] {
  const found: ExecuteAction[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const element = node as Record<string, unknown>;
    if (element.type === 'Action.Execute') found.push(element as unknown as ExecuteAction);
    Object.values(element).forEach(walk);
  };
  walk(card);
  return found;
}

/** The first Action.Execute titled `title` (cards repeat titles per device: the first one's); fails the test if none. */
export function executeAction(card: unknown, title: string): ExecuteAction {
  const found = executeActions(card).find((a) => a.title === title);
  if (!found) throw new Error(`the card has no "${title}" button`);
  return found;
}
