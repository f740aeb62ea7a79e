import { createHash } from 'node:crypto';
import type { Seed } from '../../src/simulator/seed/seedSchema';
import { seedSchema } from '../../src/simulator/seed/seedSchema';
import { demoSeed } from './demoTenant';

/** The second customer of an MSSP: the demo tenant's story with every id, name and person of its own. */
export const FABRIKAM_TENANT_ID = '2b7c9d1e-3f4a-4b5c-8d6e-7f8091a2b3c4';

/** A Fabrikam copy of the demo seed (validated), so partner tests can tell the two tenants' data apart. */
export function fabrikamSeed(): Seed {
  const machineId = (id: string) => createHash('sha1').update(`fabrikam:${id}`).digest('hex');
  const rename = (name: string | null) => (name === null ? null : name.replace('contoso.com', 'fabrikam.com'));
  const copy = JSON.parse(JSON.stringify(demoSeed)) as Seed;
  return seedSchema.parse({
    ...copy,
    tenant: { id: FABRIKAM_TENANT_ID, name: 'Fabrikam Inc' },
    users: copy.users.map((u, i) => ({
      ...u,
      aadObjectId: `fabf0000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      userPrincipalName: u.userPrincipalName.replace('contoso.com', 'fabrikam.com'),
      displayName: `${u.displayName} (Fabrikam)`,
      signInError: undefined,
    })),
    machines: copy.machines.map((m) => ({ ...m, id: machineId(m.id), computerDnsName: rename(m.computerDnsName) })),
    alerts: copy.alerts.map((a) => ({
      ...a,
      id: `fb${a.id.slice(2)}`,
      title: `[Fabrikam] ${a.title}`,
      aadTenantId: FABRIKAM_TENANT_ID,
      machineId: a.machineId === null ? null : machineId(a.machineId),
      computerDnsName: rename(a.computerDnsName),
      assignedTo: rename(a.assignedTo),
    })),
    machineActions: copy.machineActions.map((x) => ({
      ...x,
      id: `fb${x.id.slice(2)}`,
      machineId: machineId(x.machineId),
      computerDnsName: rename(x.computerDnsName),
    })),
    incidents: copy.incidents.map((i) => ({ ...i, tenantId: FABRIKAM_TENANT_ID, assignedTo: rename(i.assignedTo) })),
    alertsV2: copy.alertsV2.map((a) => ({
      ...a,
      id: `fb${a.id.slice(2)}`,
      title: `[Fabrikam] ${a.title}`,
      tenantId: FABRIKAM_TENANT_ID,
      assignedTo: rename(a.assignedTo),
      evidence: a.evidence.map((e) =>
        e.mdeDeviceId === undefined ? e : { ...e, mdeDeviceId: machineId(e.mdeDeviceId) },
      ),
    })),
  });
}
