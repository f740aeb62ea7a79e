import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import { AppError } from '../../src/errors';
import { translatorFor } from '../../src/i18n/translator';
import { describeIncidentQuery } from '../../src/incidents/incidentListQuery';
import { toOffboardConfirmCard } from '../../src/customers/customerCards';
import { userMessageFor } from '../../src/userMessages';
import type { TeamsConversation, TeamsUser } from '../support/botClient';
import { BotClient, cardsOf, visibleText } from '../support/botClient';
import { demoSeed, persona, personalChat } from '../support/demoTenant';
import { startTestApp } from '../support/testApp';

/*
 * The bot answers a person whose Teams speaks Portuguese (activity.locale "pt-BR") in Brazilian Portuguese, through
 * the real POST /api/messages, and a person whose Teams speaks English exactly as before.
 */

let channels = 0;

/** A fresh channel of the demo tenant, so subscriptions of one test do not meet another's. */
function freshChannel(): TeamsConversation {
  return { id: `19:i18n-${++channels}@thread.tacv2`, conversationType: 'channel', tenantId: demoSeed.tenant.id };
}

describe('Brazilian Portuguese replies through POST /api/messages (demo tenant)', function () {
  this.timeout(60_000);
  let app: RunningApp;
  let portuguese: BotClient;
  let english: BotClient;

  before(async () => {
    app = await startTestApp();
    portuguese = new BotClient(app.url, DEMO_BOT_ID, 'pt-BR');
    english = new BotClient(app.url, DEMO_BOT_ID, 'en-US');
  });
  after(async () => app.stop());

  /** A command run as the person would by clicking "Show me" in a shared conversation (the per-viewer answer). */
  async function shown(bot: BotClient, command: string, who: TeamsUser, where: TeamsConversation): Promise<string> {
    const body = await bot.execute('command.view', { command }, who, where);
    return body.type === 'application/vnd.microsoft.activity.message' ? String(body.value) : visibleText(body.value);
  }

  it('explains a refused permission in Portuguese', async () => {
    const user = persona('Lynne');
    const [reply] = await portuguese.say('show high alerts', user, personalChat(user));
    assert.match(
      visibleText(reply),
      /Permissão necessária[\s\S]*Você não tem permissão para ver alertas no Microsoft Defender/,
    );
  });

  it('keeps a person’s own choice of language over their Teams locale', async () => {
    const user = persona('Isaiah');
    const [chosen] = await english.say('idioma português', user, personalChat(user));
    assert.match(visibleText(chosen), /respondo em português/);
    const [reply] = await english.say('help', user, personalChat(user));
    assert.match(visibleText(cardsOf(reply!)[0]), /^O que eu sei fazer/, 'an en-US Teams, answered in Portuguese');
    const [back] = await portuguese.say('language english', user, personalChat(user));
    assert.match(visibleText(back), /in English from now on/);
  });

  it('shows the help card in Portuguese, with Portuguese examples, for a pt-BR Teams', async () => {
    const user = persona('Megan');
    const [reply] = await portuguese.say('help', user, personalChat(user));
    const text = visibleText(cardsOf(reply!)[0]);
    assert.match(text, /^O que eu sei fazer/);
    assert.match(text, /Pergunte-me sobre alertas, incidentes e dispositivos do Microsoft Defender/);
    assert.match(text, /mostrar alertas altos/);
    assert.match(text, /isolar dispositivo NOME porque MOTIVO/);
    assert.match(text, /Mostrar alertas altos/, 'the button');
    assert.doesNotMatch(text, /What I can do|show high alerts/);
  });

  it('shows the same help card in English as before for an en-US Teams', async () => {
    const user = persona('Megan');
    const [reply] = await english.say('help', user, personalChat(user));
    const text = visibleText(cardsOf(reply!)[0]);
    assert.match(
      text,
      /^What I can do\nAsk me about Microsoft Defender alerts, incidents and devices in plain words\./,
    );
    assert.match(text, /show high alerts\nUnresolved High alerts, newest first/);
    assert.match(text, /\nShow high alerts$/);
  });

  it('refuses a channel subscription by someone without an admin role in Portuguese', async () => {
    const where = freshChannel();
    assert.equal(
      await shown(portuguese, 'subscribe to high alerts', persona('Alex'), where),
      'Só pessoas com a função SOC.Admin ou SOC.Approver alteram as notificações de um canal. ' +
        'Você pode assinar o seu chat pessoal comigo.',
    );
    assert.equal(
      await shown(english, 'subscribe to high alerts', persona('Alex'), where),
      'Only people with the SOC.Admin or SOC.Approver role change the notifications of a channel. ' +
        'You can subscribe your personal chat with me.',
    );
  });

  it('answers a subscription in Portuguese, and in English for an English Teams', async () => {
    const answer = await shown(portuguese, 'subscribe to high alerts', persona('Adele'), freshChannel());
    assert.match(
      answer,
      /^Assinatura criada: este canal recebe Alertas de gravidade Alta \(S-[0-9a-f]{8}\)\. Novos alertas aparecem/,
    );
    assert.match(answer, /Todos aqui veem estes alertas/);
    assert.match(answer, /"cancelar assinatura S-[0-9a-f]{8}" encerra\.$/);
    assert.match(
      await shown(english, 'subscribe to high alerts', persona('Adele'), freshChannel()),
      /^Subscribed this channel to High alerts \(S-[0-9a-f]{8}\)\. New alerts appear here .*"unsubscribe S-[0-9a-f]{8}" stops it\.$/,
    );
  });

  it('says in Portuguese that no device has the name typed', async () => {
    const user = persona('Megan');
    const [reply] = await portuguese.say('device ws-nope-999', user, personalChat(user));
    const text = visibleText(cardsOf(reply!)[0]);
    assert.match(text, /^Nenhum dispositivo com este nome\nws-nope-999\nEu comparo IDs de dispositivo/);
  });

  it('says it did not understand in Portuguese', async () => {
    const user = persona('Megan');
    const [reply] = await portuguese.say('xyzzy plugh', user, personalChat(user));
    assert.match(String(reply!.text), /^Não entendi\./);
    assert.match(String(reply!.text), /Digite "ajuda" para ver tudo o que eu sei fazer\.$/);
  });
});

describe('userMessageFor in both languages', () => {
  const pt = translatorFor('pt-BR');

  it('explains a refused permission in Portuguese, naming the operation in Portuguese', () => {
    const message = userMessageFor(new AppError('forbidden', 'no'), 'view alerts', pt);
    assert.equal(message.heading, 'Permissão necessária');
    assert.match(message.text, /^Você não tem permissão para ver alertas no Microsoft Defender\./);
  });

  it('keeps every English message as it was when no translator is given', () => {
    assert.equal(
      userMessageFor(new AppError('forbidden', 'no'), 'view alerts').text,
      "You don't have permission to view alerts in Microsoft Defender. Ask your Defender administrator for a role " +
        'that includes it for the device groups you work on.',
    );
    const busy = (seconds?: number) =>
      userMessageFor(new AppError('rateLimited', 'busy', { retryAfterSeconds: seconds }), 'view alerts').text;
    assert.equal(busy(1), "Defender's request limit was reached. Try again in 1 second.");
    assert.equal(busy(30), "Defender's request limit was reached. Try again in 30 seconds.");
    assert.equal(busy(), "Defender's request limit was reached. Try again in a minute.");
    const choices = ['Contoso', 'Fabrikam', 'Tailspin'];
    assert.equal(
      userMessageFor(new AppError('customerNotChosen', 'which', { customerChoices: choices }), 'view alerts').text,
      'This conversation serves Contoso, Fabrikam and Tailspin. Add "for <customer>" to your command, for example ' +
        '"show high alerts for Contoso".',
    );
    assert.equal(
      userMessageFor(new AppError('customerNotBound', 'no', { customerName: 'Litware' }), 'view alerts').text,
      'Litware is not served in this conversation. A SOC.Admin binds a conversation to a customer with "bind <customer>".',
    );
  });

  it('asks "which customer?" in Portuguese with a Portuguese list', () => {
    const message = userMessageFor(
      new AppError('customerNotChosen', 'which', { customerChoices: ['Contoso', 'Fabrikam', 'Tailspin'] }),
      'view alerts',
      pt,
    );
    assert.equal(message.heading, 'Qual cliente?');
    assert.match(message.text, /^Esta conversa atende Contoso, Fabrikam e Tailspin\./);
    assert.match(
      userMessageFor(new AppError('rateLimited', 'busy', { retryAfterSeconds: 2 }), 'view alerts', pt).text,
      /Tente novamente em 2 segundos\.$/,
    );
  });
});

describe('incident list and customer card words in both languages', () => {
  const pt = translatorFor('pt-BR');

  it('describes an incident list query in Portuguese, and in English as before', () => {
    const query = { severities: ['high', 'medium'], status: 'resolved', owner: 'me' } as const;
    assert.deepEqual(describeIncidentQuery({ ...query, severities: [...query.severities] }, pt), {
      heading: 'Incidentes resolvidos de gravidade Alta ou Média atribuídos a você',
      qualifiers: ['resolvidos', 'gravidade Alta ou Média', 'atribuídos a você'],
    });
    assert.deepEqual(describeIncidentQuery({ severities: ['low'], status: 'any', owner: 'nobody' }), {
      heading: 'Unassigned Low incidents',
      qualifiers: ['any status', 'Low severity', 'unassigned'],
    });
  });

  it('asks to confirm offboarding a customer in Portuguese', () => {
    const customer = {
      tenantId: '11111111-2222-4333-8444-555555555555',
      name: 'Contoso',
    } as unknown as Parameters<typeof toOffboardConfirmCard>[0];
    const text = visibleText(toOffboardConfirmCard(customer, 2, pt));
    assert.match(text, /^Desligar este cliente\?/);
    assert.match(text, /2 conversas vinculadas a ele serão desvinculadas/);
    assert.match(visibleText(toOffboardConfirmCard(customer, 1)), /1 conversation bound to it will be unbound/);
  });
});
