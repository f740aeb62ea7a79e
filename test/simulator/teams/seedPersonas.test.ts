import assert from 'node:assert/strict';
import { personasFromSeed } from '../../../src/simulator/teams/seedPersonas';
import { demoSeed } from '../../support/demoTenant';

describe('Teams host personas from a seed', () => {
  it('offers every user of the demo tenant with their Entra identity, admins as team owners', () => {
    const personas = personasFromSeed(demoSeed);
    assert.deepEqual(
      personas.map((p) => p.aadObjectId),
      demoSeed.users.map((u) => u.aadObjectId),
    );
    const adele = personas.find((p) => p.displayName === 'Adele Vance');
    assert.equal(adele?.userPrincipalName, 'adelev@contoso.com');
    assert.equal(adele?.teamRole, 'owner');
    const alex = personas.find((p) => p.displayName === 'Alex Wilber');
    assert.equal(alex?.teamRole, 'member');
  });
});
