/*
 * `npm run demo:alert [-- --severity High --device ws-fin-042]`: while `npm start` runs, raises a believable new
 * alert in the simulated tenant (through the simulator's /_sim/alerts control endpoint), so a newcomer sees a
 * notification arrive in the Playground's General channel within one poll interval.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, simulatorUrl } from '../config/config';
import { HttpClient } from '../http/httpClient';

const SCENARIOS = [
  {
    title: 'Suspicious PowerShell download cradle',
    category: 'Execution',
    mitreTechniques: ['T1059.001', 'T1105'],
    description: 'PowerShell downloaded and ran a script from an unfamiliar host.',
  },
  {
    title: 'Credential dumping: LSASS memory accessed by an unsigned process',
    category: 'CredentialAccess',
    mitreTechniques: ['T1003.001'],
    description: 'A process read the memory of lsass.exe, a common step before lateral movement.',
  },
  {
    title: 'Ransomware behaviour: mass file renames with a new extension',
    category: 'Ransomware',
    mitreTechniques: ['T1486'],
    description: 'Hundreds of files were renamed within seconds.',
  },
  {
    title: 'Beaconing to a known command-and-control domain',
    category: 'CommandAndControl',
    mitreTechniques: ['T1071.001'],
    description: 'Regular HTTPS connections to a domain in Microsoft threat intelligence.',
  },
];

/** The devices of the simulated tenant, from its state dump. */
const devicesOf = (body: string) =>
  (JSON.parse(body) as { tenants: { machines: { id: string; computerDnsName: string; healthStatus: string }[] }[] })
    .tenants[0]!.machines;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { severity: { type: 'string', default: 'High' }, device: { type: 'string' }, title: { type: 'string' } },
  });
  const severity = ['High', 'Medium', 'Low', 'Informational'].find(
    (s) => s.toLowerCase() === values.severity.toLowerCase(),
  );
  if (!severity) throw new Error('--severity is High, Medium, Low or Informational');
  const config = loadConfig(process.env);
  if (!config.demo) throw new Error('demo:alert is for demo mode (BOT_ID unset)');
  const url = simulatorUrl(config.demo.simulatorPort);
  const caFile = path.join(config.dataDir, 'certs', 'ca.crt.pem');
  if (!fs.existsSync(caFile)) throw new Error('start the demo first (npm start): its certificates are not there yet');
  const http = new HttpClient({ extraCaPem: [fs.readFileSync(caFile, 'utf8')] });
  try {
    const machines = devicesOf(
      (await http.request({ method: 'GET', url: `${url}/_sim/state`, timeoutMs: 5_000 })).body,
    );
    const wanted = values.device?.toLowerCase();
    const active = machines.filter((m) => m.healthStatus === 'Active');
    const machine = wanted
      ? machines.find((m) => m.id === wanted || m.computerDnsName.toLowerCase().split('.')[0] === wanted)
      : active[Math.floor(Math.random() * active.length)];
    if (!machine) throw new Error(`no device ${values.device ?? ''} in the simulated tenant`);
    const scenario = SCENARIOS[Math.floor(Math.random() * SCENARIOS.length)]!;
    const response = await http.request({
      method: 'POST',
      url: `${url}/_sim/alerts`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...scenario,
        ...(values.title ? { title: values.title } : {}),
        severity,
        machineId: machine.id,
      }),
      timeoutMs: 5_000,
    });
    if (response.status !== 201) throw new Error(`the simulator answered ${response.status}: ${response.body}`);
    const alert = JSON.parse(response.body) as { id: string; title: string };
    process.stdout.write(
      `New ${severity} alert on ${machine.computerDnsName}: ${alert.title}\n  id ${alert.id}\n` +
        `It appears in the Playground's General channel (subscribed to Medium and High) within ${
          config.notifications.pollIntervalMs / 1000
        } s.\n`,
    );
  } finally {
    http.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exitCode = 1;
});
