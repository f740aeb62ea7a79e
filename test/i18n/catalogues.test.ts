import assert from 'node:assert/strict';
import { IntlMessageFormat } from 'intl-messageformat';
import { CATALOGUES } from '../../src/i18n/catalogues';
import { LOCALES, localeOf } from '../../src/i18n/locale';
import { translatorFor } from '../../src/i18n/translator';

describe('message catalogues (English and Brazilian Portuguese)', () => {
  const english = Object.keys(CATALOGUES.en).sort();

  for (const locale of LOCALES) {
    it(`${locale} has exactly English's keys, each a message ICU MessageFormat parses`, () => {
      const keys = Object.keys(CATALOGUES[locale]).sort();
      assert.deepEqual(
        english.filter((k) => !keys.includes(k)),
        [],
        `missing in ${locale}`,
      );
      assert.deepEqual(
        keys.filter((k) => !english.includes(k)),
        [],
        `only in ${locale}`,
      );
      for (const [key, source] of Object.entries(CATALOGUES[locale]))
        assert.doesNotThrow(() => new IntlMessageFormat(source, locale), `${locale} ${key}`);
    });
  }

  it('picks Brazilian Portuguese for any Portuguese Teams locale, English otherwise', () => {
    assert.equal(localeOf('pt-BR'), 'pt-BR');
    assert.equal(localeOf('pt-PT'), 'pt-BR');
    assert.equal(localeOf('en-US'), 'en');
    assert.equal(localeOf('de-DE'), 'en');
    assert.equal(localeOf(undefined), 'en');
  });

  it('formats dates and numbers the way each language writes them, in the viewer’s time zone', () => {
    const at = new Date('2026-12-07T02:15:00Z');
    assert.equal(translatorFor('pt-BR', 'America/Sao_Paulo').dateTime(at), '6 de dez. de 2026, 23:15');
    assert.equal(translatorFor('en', 'UTC').dateTime(at), 'Dec 7, 2026, 2:15 AM');
    assert.equal(translatorFor('pt-BR').number(1234.5), '1.234,5');
    assert.equal(translatorFor('en', 'Not/AZone').timeZone, 'UTC');
  });
});
