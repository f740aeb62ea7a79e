import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { environmentWithFiles } from '../../src/config/envFiles';

const BOT = '7d1e5a2b-8c4f-4e9a-b3d6-0f2a9c8e1b54';
const TENANT = '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

/** The least a production configuration needs. */
const PRODUCTION = { BOT_ID: BOT, BOT_PASSWORD: 'secret-value', BOT_TENANT_ID: TENANT, BOT_DOMAIN: 'soc.contoso.com' };

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, '/srv');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  it('runs in demo mode with documented defaults when BOT_ID is unset', () => {
    const config = loadConfig({}, '/srv');
    assert.equal(config.mode, 'demo');
    assert.equal(config.port, 3978);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.demo?.simulatorPort, 3979);
    assert.equal(config.demo?.playgroundPort, 56150);
    assert.equal(config.demo?.playground, true);
    assert.equal(config.defender.apiUrl, 'https://127.0.0.1:3979');
    assert.equal(config.entra.authorityHost, 'https://127.0.0.1:3979');
    assert.equal(config.defender.rateLimitPerMinute, 100);
    assert.equal(config.dataDir, '/srv/.data');
    assert.equal(config.logLevel, 'warn');
  });

  it('reads HUNTS_DIR relative to the working folder; unset or empty means the shipped hunts only', () => {
    assert.equal(loadConfig({}, '/srv').hunting.huntsDir, undefined);
    assert.equal(loadConfig({ HUNTS_DIR: ' ' }, '/srv').hunting.huntsDir, undefined);
    assert.equal(loadConfig({ HUNTS_DIR: 'our-hunts' }, '/srv').hunting.huntsDir, '/srv/our-hunts');
    assert.equal(loadConfig({ HUNTS_DIR: '/etc/soc/hunts' }, '/srv').hunting.huntsDir, '/etc/soc/hunts');
  });

  it('treats empty values as unset (the Toolkit writes BOT_ID= in env files)', () => {
    assert.equal(loadConfig({ BOT_ID: '', PORT: ' ' }, '/srv').mode, 'demo');
  });

  it('switches to production with BOT_ID and uses Microsoft endpoints by default', () => {
    const config = loadConfig(
      { BOT_ID: BOT, BOT_PASSWORD: 'secret-value', BOT_TENANT_ID: TENANT, BOT_DOMAIN: 'soc.contoso.com' },
      '/srv',
    );
    assert.equal(config.bot.publicUrl, 'https://soc.contoso.com');
    assert.deepEqual(config.allowedTenantIds, [TENANT], 'a single-tenant bot serves its own tenant only');
    assert.equal(config.channel.openIdMetadataUrl, 'https://login.botframework.com/v1/.well-known/openidconfiguration');
    assert.equal(config.channel.tokenIssuer, 'https://api.botframework.com');
    assert.equal(config.channel.loginUrl, `https://login.microsoftonline.com/${TENANT}`);
    assert.equal(config.mode, 'production');
    assert.equal(config.demo, undefined);
    assert.equal(config.defender.apiUrl, 'https://api.security.microsoft.com');
    assert.equal(config.entra.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(config.logLevel, 'info');
  });

  it('lists every problem at once and never prints a value', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      BOT_ID: BOT,
      BOT_PASSWORD: '',
      DEFENDER_API_URL: 'http://insecure.example/SECRET-IN-URL',
      LOG_LEVEL: 'chatty',
    });
    const text = problems.join('\n');
    for (const name of ['PORT', 'DEFENDER_API_URL', 'LOG_LEVEL']) assert.match(text, new RegExp(`^${name}:`, 'm'));
    assert.ok(!text.includes('SECRET-IN-URL') && !text.includes('eighty') && !text.includes('chatty'));
  });

  it('reads DEMO_CREDENTIAL in demo mode and refuses it in production', () => {
    assert.equal(loadConfig({}, '/srv').demo?.credential, 'secret');
    assert.equal(loadConfig({ DEMO_CREDENTIAL: 'certificate' }, '/srv').demo?.credential, 'certificate');
    assert.match(problemsOf({ DEMO_CREDENTIAL: 'pfx' }).join('\n'), /^DEMO_CREDENTIAL/m);
    assert.match(
      problemsOf({ BOT_ID: BOT, DEMO_CREDENTIAL: 'certificate' }).join('\n'),
      /^DEMO_CREDENTIAL: only valid/m,
    );
  });

  it('reports production settings that are missing together', () => {
    const problems = problemsOf({ BOT_ID: BOT, DEMO_SEED: 'x.json' });
    assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), [
      'BOT_DOMAIN',
      'BOT_PASSWORD',
      'BOT_TENANT_ID',
      'DEMO_SEED',
    ]);
  });

  it('serves the customer tenants listed for a partner (MSSP) bot, its token still from the home tenant', () => {
    const base = { BOT_ID: BOT, BOT_PASSWORD: 'secret-value', BOT_TENANT_ID: TENANT, BOT_DOMAIN: 'soc.contoso.com' };
    const other = '11111111-2222-4333-8444-555555555555';
    const config = loadConfig({ ...base, ALLOWED_TENANT_IDS: `${TENANT}, ${other}` }, '/srv');
    assert.deepEqual(config.allowedTenantIds, [TENANT, other]);
    assert.equal(config.channel.loginUrl, `https://login.microsoftonline.com/${TENANT}`);
    assert.match(problemsOf({ ...base, ALLOWED_TENANT_IDS: 'not-a-guid' }).join('\n'), /^ALLOWED_TENANT_IDS/m);
  });

  it('starts only as a SingleTenant Azure Bot and refuses any other BOT_TYPE with what to set instead', () => {
    const base = { BOT_ID: BOT, BOT_PASSWORD: 'secret-value', BOT_TENANT_ID: TENANT, BOT_DOMAIN: 'soc.contoso.com' };
    for (const type of [{}, { BOT_TYPE: 'SingleTenant' }]) {
      const config = loadConfig({ ...base, ...type }, '/srv');
      assert.equal(config.bot.type, 'SingleTenant');
      assert.equal(config.channel.loginUrl, `https://login.microsoftonline.com/${TENANT}`);
    }
    for (const [type, expected] of [
      ['MultiTenant', /^BOT_TYPE: MultiTenant is not supported: .*BOT_TENANT_ID, not botframework\.com.*MSSP/m],
      ['UserAssignedMSI', /^BOT_TYPE: UserAssignedMSI is not supported: .*BOT_PASSWORD or BOT_CERTIFICATE_FILE/m],
      ['multitenant', /^BOT_TYPE: must be SingleTenant$/m],
    ] as const) {
      assert.match(problemsOf({ ...base, BOT_TYPE: type }).join('\n'), expected);
      // Demo mode too: a wrong BOT_TYPE in a local env file is refused rather than ignored.
      assert.match(problemsOf({ BOT_TYPE: type }).join('\n'), expected);
    }
  });

  it('lets sovereign and private clouds override the channel endpoints, http only on loopback', () => {
    const base = { BOT_ID: BOT, BOT_PASSWORD: 'secret-value', BOT_TENANT_ID: TENANT, BOT_DOMAIN: 'soc.contoso.us' };
    const config = loadConfig(
      {
        ...base,
        AUTHORITY_HOST: 'https://login.microsoftonline.us',
        BOT_OPENID_METADATA_URL: 'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
        BOT_TOKEN_ISSUER: 'https://api.botframework.us',
        BOT_OAUTH_SCOPE: 'https://api.botframework.us',
      },
      '/srv',
    );
    assert.equal(config.channel.loginUrl, `https://login.microsoftonline.us/${TENANT}`);
    assert.equal(config.channel.tokenIssuer, 'https://api.botframework.us');
    assert.match(
      problemsOf({ ...base, BOT_OPENID_METADATA_URL: 'http://metadata.example/keys' }).join('\n'),
      /^BOT_OPENID_METADATA_URL/m,
    );
    assert.equal(
      loadConfig(
        { ...base, BOT_OPENID_METADATA_URL: 'http://127.0.0.1:9999/v1/.well-known/openidconfiguration' },
        '/srv',
      ).channel.openIdMetadataUrl,
      'http://127.0.0.1:9999/v1/.well-known/openidconfiguration',
    );
  });

  it('accepts a certificate credential instead of a secret, but not both', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cert-'));
    const file = path.join(dir, 'bot.pem');
    fs.writeFileSync(file, 'placeholder');
    const base = { BOT_ID: BOT, BOT_TENANT_ID: TENANT, BOT_DOMAIN: 'soc.contoso.com' };
    assert.equal(loadConfig({ ...base, BOT_CERTIFICATE_FILE: file }, '/srv').bot.certificateFile, file);
    assert.match(
      problemsOf({ ...base, BOT_CERTIFICATE_FILE: file, BOT_PASSWORD: 'x' }).join('\n'),
      /^BOT_CERTIFICATE_FILE: set either/m,
    );
    assert.match(
      problemsOf({ ...base, BOT_CERTIFICATE_FILE: path.join(dir, 'missing.pem') }).join('\n'),
      /^BOT_CERTIFICATE_FILE: cannot be read/m,
    );
  });

  it('makes a real authority impossible in demo mode', () => {
    const problems = problemsOf({ AUTHORITY_HOST: 'https://login.microsoftonline.com' });
    assert.match(problems.join('\n'), /^AUTHORITY_HOST: demo mode uses the built-in Entra ID emulator/m);
    assert.match(
      problemsOf({ DEFENDER_API_URL: 'https://api.security.microsoft.com' }).join('\n'),
      /^DEFENDER_API_URL:/m,
    );
  });

  it("accepts DEFENDER_SCOPE only as an MDE resource's .default, public or sovereign", () => {
    for (const scope of [
      'https://api.securitycenter.microsoft.com/.default',
      'https://securitycenter.onmicrosoft.com/windowsatpservice/.default',
      'https://api.securitycenter.windows.com/.default',
      'fc780465-2017-40d4-a0c5-307022471b92/.default',
      'https://api-gcc.securitycenter.microsoft.us/.default',
      'https://api-gov.securitycenter.microsoft.us/.default',
      'https://API.SecurityCenter.Microsoft.com/.default',
    ]) {
      assert.equal(loadConfig({ ...PRODUCTION, DEFENDER_SCOPE: scope }, '/srv').defender.scope, scope);
    }
    assert.equal(loadConfig({}, '/srv').defender.scope, 'https://api.securitycenter.microsoft.com/.default');
  });

  it('keeps the demo to the commercial MDE scopes its Entra ID emulator issues', () => {
    const scope = 'https://api.securitycenter.windows.com/.default';
    assert.equal(loadConfig({ DEFENDER_SCOPE: scope }, '/srv').defender.scope, scope);
    assert.match(
      problemsOf({ DEFENDER_SCOPE: 'https://api-gov.securitycenter.microsoft.us/.default' }).join('\n'),
      /^DEFENDER_SCOPE: demo mode's Entra ID emulator is the commercial cloud; use one of https:\/\/api\.securitycenter\.microsoft\.com\/\.default/m,
    );
  });

  it('refuses a DEFENDER_SCOPE for another resource, naming the setting and the accepted values', () => {
    for (const scope of [
      'https://graph.microsoft.com/.default',
      'https://api.security.microsoft.com/.default',
      '8ee8fdad-f234-4243-8f3b-15c294843740/.default',
      'https://api.securitycenter.microsoft.com/Machine.Isolate',
      'https://api.securitycenter.microsoft.com.evil.example/.default',
      'https://api-us.securitycenter.microsoft.com/.default',
    ]) {
      const problems = problemsOf({ DEFENDER_SCOPE: scope }).join('\n');
      assert.match(
        problems,
        /^DEFENDER_SCOPE: must be the Defender for Endpoint API's "<resource>\/\.default", one of /m,
      );
      assert.match(problems, /https:\/\/api\.securitycenter\.microsoft\.com\/\.default/);
      assert.match(problems, /https:\/\/api-gov\.securitycenter\.microsoft\.us\/\.default/);
      assert.ok(!problems.includes(scope), 'the refused value is not echoed');
    }
  });

  it('keeps GRAPH_SCOPE to Microsoft Graph hosts', () => {
    assert.equal(
      loadConfig({ GRAPH_SCOPE: 'https://graph.microsoft.us/.default' }, '/srv').graph.scope,
      'https://graph.microsoft.us/.default',
    );
    assert.match(
      problemsOf({ GRAPH_SCOPE: 'https://api.securitycenter.microsoft.com/.default' }).join('\n'),
      /^GRAPH_SCOPE: must be Microsoft Graph/m,
    );
  });

  it('refuses clashing demo ports', () => {
    assert.match(problemsOf({ PORT: '4000', SIMULATOR_PORT: '4000' }).join('\n'), /^SIMULATOR_PORT:/m);
  });

  it('layers env/.env.<name>, its .user file and the process environment', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'env-'));
    fs.writeFileSync(path.join(dir, '.env.local'), 'PORT=4001\nLOG_LEVEL=debug\nPLAYGROUND=on\n');
    fs.writeFileSync(path.join(dir, '.env.local.user'), 'PORT=4002\n');
    const env = environmentWithFiles({ PLAYGROUND: 'off' }, dir);
    assert.equal(env.PORT, '4002');
    assert.equal(env.LOG_LEVEL, 'debug');
    assert.equal(env.PLAYGROUND, 'off');
    assert.throws(() => environmentWithFiles({ ENV_NAME: '../etc' }, dir), /ENV_NAME/);
  });
});
