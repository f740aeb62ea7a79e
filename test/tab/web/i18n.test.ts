import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Messages, pickLocale } from '../../../src/tab/web/i18n';

const LOCALES = path.resolve(__dirname, '../../../../src/tab/web/locales');

describe('tab page texts (src/tab/web/i18n)', () => {
  it('pt-BR.json has exactly the keys of en.json, each with the same placeholders', () => {
    const read = (file: string) =>
      JSON.parse(fs.readFileSync(path.join(LOCALES, file), 'utf8')) as Record<string, string>;
    const en = read('en.json');
    const pt = read('pt-BR.json');
    assert.deepEqual(Object.keys(pt).sort(), Object.keys(en).sort());
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en)) assert.deepEqual(placeholders(pt[key]!), placeholders(en[key]!), key);
  });

  it('speaks pt-BR for every Portuguese tag Teams or a browser sends, English otherwise', () => {
    assert.equal(pickLocale('pt-br'), 'pt-BR');
    assert.equal(pickLocale('pt-PT'), 'pt-BR');
    assert.equal(pickLocale('PT'), 'pt-BR');
    assert.equal(pickLocale('en-gb'), 'en');
    assert.equal(pickLocale('fr-FR'), 'en');
    assert.equal(pickLocale(undefined), 'en');
  });

  it('fills {name} placeholders and leaves unknown ones visible', () => {
    const m = new Messages('en');
    assert.equal(m.t('approvals.progress', { count: 1, required: 2 }), '1 of 2 approvals');
    assert.equal(m.t('approvals.progress', { count: 1 }), '1 of {required} approvals');
    assert.equal(new Messages('pt-BR').t('approvals.progress', { count: 1, required: 2 }), '1 de 2 aprovações');
  });

  it('says ages and expiries relative to an injected clock, in the chosen language', () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    const en = new Messages('en', () => now);
    assert.equal(en.relative('2026-12-07T09:00:00Z'), '3 hours ago');
    assert.equal(en.relative('2026-12-07T12:20:00Z'), 'in 20 minutes');
    assert.equal(en.relative('2026-12-05T12:00:00Z'), '2 days ago');
    assert.equal(new Messages('pt-BR', () => now).relative('2026-12-07T09:00:00Z'), 'há 3 horas');
    assert.equal(en.relative('not a date'), 'not a date');
    assert.equal(en.date(undefined), '');
  });
});
