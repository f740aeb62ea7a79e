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
