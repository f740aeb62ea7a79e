import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { parseCommand } from '../../src/commands/parseCommand';

const root = path.resolve(__dirname, '../../..');
const appPackage = path.join(root, 'appPackage');

/** What the Agents Toolkit substitutes into `${{NAME}}` placeholders at packaging time. */
const placeholders: Record<string, string> = {
  TEAMS_APP_ID: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  BOT_ID: '7d1e5a2b-8c4f-4e9a-b3d6-0f2a9c8e1b54',
  APP_WEBSITE_URL: 'https://soc.contoso.com',
  BOT_DOMAIN: 'socbotdev.azurewebsites.net',
};

function loadManifest(): Record<string, unknown> {
  const text = fs.readFileSync(path.join(appPackage, 'manifest.json'), 'utf8');
  const filled = text.replace(/\$\{\{([A-Z0-9_]+)\}\}/g, (_, name: string) => {
    assert.ok(name in placeholders, `unknown placeholder ${name}`);
    return placeholders[name]!;
  });
  return JSON.parse(filled) as Record<string, unknown>;
}

/** The official schema of the manifest's version, as shipped in @microsoft/app-manifest (no network). */
function officialSchema(version: string): object {
  const file = require.resolve(
    `@microsoft/app-manifest/build/json-schemas/teams/v${version}/MicrosoftTeams.schema.json`,
  );
  // Same workaround the package applies after download (microsoft-teams-app-schema#190).
  return JSON.parse(fs.readFileSync(file, 'utf8').replace(/\\a/g, '\\x07')) as object;
}

/** True when a JSON schema pattern is a valid Unicode regular expression. */
function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

function pngInfo(file: string): { width: number; height: number; pixels: Buffer } {
  const data = fs.readFileSync(file);
  assert.equal(data.subarray(1, 4).toString('latin1'), 'PNG');
  const width = data.readUInt32BE(16);
  const height = data.readUInt32BE(20);
  assert.equal(data[24], 8, 'bit depth 8');
  assert.equal(data[25], 6, 'RGBA');
  const idat: Buffer[] = [];
  for (let offset = 8; offset < data.length;) {
    const length = data.readUInt32BE(offset);
    const type = data.subarray(offset + 4, offset + 8).toString('latin1');
    if (type === 'IDAT') idat.push(data.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  return { width, height, pixels: zlib.inflateSync(Buffer.concat(idat)) };
}

describe('app package', () => {
  it('validates against the official Teams manifest schema of its version', async () => {
    const manifest = loadManifest();
    const version = manifest.manifestVersion as string;
    assert.match(
      String(manifest.$schema),
      new RegExp(`/v${version.replace('.', '\\.')}/MicrosoftTeams\\.schema\\.json$`),
    );
    const errors = await AppManifestUtils.validateAgainstSchema(manifest as never, officialSchema(version) as never);
    assert.deepEqual(errors, []);
  });

  it('is localized in Brazilian Portuguese: the file validates against the official localization schema', async () => {
    const manifest = loadManifest();
    const info = manifest.localizationInfo as { additionalLanguages: { languageTag: string; file: string }[] };
    const [portuguese] = info.additionalLanguages;
    assert.equal(portuguese?.languageTag, 'pt-br');
    const file = path.join(appPackage, portuguese.file);
    const localized = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    const schemaFile = require.resolve(
      `@microsoft/app-manifest/build/json-schemas/teams/v${manifest.manifestVersion as string}/MicrosoftTeams.Localization.schema.json`,
    );
    const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as { patternProperties: Record<string, unknown> };
    // Some of the schema's patterns (activities, ribbons: none of them ours) are not valid Unicode regular
    // expressions, which the validator requires: they are left out, every other rule stays.
    schema.patternProperties = Object.fromEntries(
      Object.entries(schema.patternProperties).filter(([pattern]) => compiles(pattern)),
    );
    assert.deepEqual(await AppManifestUtils.validateAgainstSchema(localized as never, schema as never), []);
  });

  it('gives every command of the menu a Portuguese title that the bot understands as the same command', () => {
    const bots = loadManifest().bots as { commandLists: { commands: { title: string }[] }[] }[];
    const localized = JSON.parse(fs.readFileSync(path.join(appPackage, 'pt-br.json'), 'utf8')) as Record<
      string,
      string
    >;
    // Teams puts a menu command's title into the compose box; placeholders are what a person replaces.
    const filled = (title: string) =>
      title
        .replace(/NUMBER|NÚMERO/, '2301')
        .replace(/ALERT-ID|ID-DO-ALERTA/, 'da637472900382838869_1364969609')
        .replace(/NAME|NOME/, 'ws-fin-042');
    bots[0]!.commandLists[0]!.commands.forEach((command, i) => {
      const title = localized[`bots[0].commandLists[0].commands[${i}].title`];
      assert.ok(title, `a Portuguese title for "${command.title}"`);
      const english = parseCommand(filled(command.title));
      const portuguese = parseCommand(filled(title));
      assert.notEqual(english.id, 'unknown', command.title);
      assert.deepEqual(portuguese, english, `"${title}" means "${command.title}"`);
    });
  });

  it('offers the bot in personal, group chat and team scopes with a command list', () => {
    const bots = loadManifest().bots as { scopes: string[]; commandLists: { commands: { title: string }[] }[] }[];
    assert.deepEqual([...bots[0]!.scopes].sort(), ['groupChat', 'personal', 'team']);
    const titles = bots[0]!.commandLists[0]!.commands.map((c) => c.title);
    assert.ok(titles.includes('show high alerts') && titles.includes('help'));
  });

  it('names the bot Entra app as the Teams SSO resource of a bot with a tab (api://<BOT_DOMAIN>/botid-<BOT_ID>)', () => {
    const info = loadManifest().webApplicationInfo as { id: string; resource: string } | undefined;
    assert.ok(info, 'webApplicationInfo is required for Teams SSO');
    assert.equal(info.id, placeholders.BOT_ID);
    assert.equal(info.resource, `api://${placeholders.BOT_DOMAIN}/botid-${placeholders.BOT_ID}`);
    // The Entra app carries both Application ID URIs: the bot's token exchange names api://botid-<id>.
    const aad = fs.readFileSync(path.join(root, 'aad.manifest.json'), 'utf8');
    const uris = (JSON.parse(aad) as { identifierUris: string[] }).identifierUris;
    assert.deepEqual(uris, ['api://botid-${{BOT_ID}}', 'api://${{BOT_DOMAIN}}/botid-${{BOT_ID}}']);
  });

  it('offers the SOC console as a personal tab and a configurable channel tab on the bot’s own domain', () => {
    const manifest = loadManifest();
    const staticTabs = manifest.staticTabs as { entityId: string; contentUrl: string; scopes: string[] }[];
    const console = staticTabs.find((t) => t.entityId === 'soc-console');
    assert.ok(console, 'a personal SOC console tab');
    assert.equal(console.contentUrl, `https://${placeholders.BOT_DOMAIN}/tab/`);
    assert.deepEqual(console.scopes, ['personal']);
    const configurable = manifest.configurableTabs as { configurationUrl: string; scopes: string[] }[];
    assert.equal(configurable[0]?.configurationUrl, `https://${placeholders.BOT_DOMAIN}/tab/config`);
    assert.deepEqual(configurable[0]?.scopes, ['team']);
  });

  it('lists the bot domain as its only valid domain (SSO sign-in pages live there)', () => {
    const validDomains = loadManifest().validDomains as string[];
    assert.ok(validDomains.includes(placeholders.BOT_DOMAIN!), 'validDomains must contain BOT_DOMAIN');
    assert.deepEqual(validDomains, [placeholders.BOT_DOMAIN]);
  });

  it('ships a 192×192 colour icon and a 32×32 white-on-transparent outline icon', () => {
    const color = pngInfo(path.join(appPackage, 'color.png'));
    assert.deepEqual([color.width, color.height], [192, 192]);
    const outline = pngInfo(path.join(appPackage, 'outline.png'));
    assert.deepEqual([outline.width, outline.height], [32, 32]);
    // Every pixel of the outline is white (any alpha) or fully transparent, as Teams requires.
    const stride = 1 + 32 * 4;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const i = y * stride + 1 + x * 4;
        const [r, g, b, a] = [outline.pixels[i], outline.pixels[i + 1], outline.pixels[i + 2], outline.pixels[i + 3]];
        assert.ok(a === 0 || (r === 255 && g === 255 && b === 255), `outline pixel ${x},${y} is not white/transparent`);
      }
    }
  });
});
