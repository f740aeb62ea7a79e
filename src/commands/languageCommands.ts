import type { Locale } from '../i18n/locale';
import { translatorFor } from '../i18n/translator';
import type { Reply } from './commandContext';
import type { CommandEnvironment } from './commandEnvironment';

/** "language pt-BR", "idioma inglês": the person's own language from now on, confirmed in that language. */
export async function chooseLanguage(env: CommandEnvironment, locale: Locale): Promise<Reply> {
  if (!env.chooseLanguage) return { kind: 'text', text: env.i18n.t('language.current') };
  const chosenFor = await env.chooseLanguage(locale);
  const words = translatorFor(locale, env.i18n.timeZone);
  return { kind: 'text', text: words.t(chosenFor === 'person' ? 'language.set' : 'language.setConversation') };
}

/** "language", "idioma": which language the bot answers in, and how to change it. */
export function showLanguage(env: CommandEnvironment): Reply {
  return { kind: 'text', text: env.i18n.t('language.current') };
}
