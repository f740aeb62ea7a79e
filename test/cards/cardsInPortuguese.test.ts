import assert from 'node:assert/strict';
import type { ActionApprovalRequest, ApprovalState, IncidentApprovalRequest } from '../../src/approvals/approvalTypes';
import { FINAL_STATES } from '../../src/approvals/approvalTypes';
import { toAlertCard } from '../../src/cards/alertCard';
import { toAlertDigestCard, toAlertNoticeCard, toAlertNotificationCard } from '../../src/cards/alertNotificationCards';
import { toApprovalCard, toConfirmationCard, toRecordListCard } from '../../src/cards/approvalCards';
import { toAlertListCard } from '../../src/cards/alertListCard';
import { toAlertNoticeDigestCard } from '../../src/cards/alertNoticeDigestCard';
import { toChoiceCard } from '../../src/cards/choiceCard';
import { deriveIsolationState, toDeviceCard } from '../../src/cards/deviceCard';
import * as labels from '../../src/cards/labels';
import { LABEL_TABLES } from '../../src/cards/labels';
import { toIncidentCard } from '../../src/cards/incidentCard';
import { toIncidentListCard } from '../../src/cards/incidentListCard';
import { toSourcedAlertNoticeCard, toSourcedAlertPersonalNoticeCard } from '../../src/cards/incidentNoticeAlertCards';
import { toIncidentNoticeCard, toIncidentPersonalNoticeCard } from '../../src/cards/incidentNoticeCards';
import { toShowMeCard } from '../../src/cards/showMeCard';
import type { Incident } from '../../src/graph/graphSchemas';
import { incidentSchema } from '../../src/graph/graphSchemas';
import { toCustomerListCard, toOffboardConfirmCard } from '../../src/customers/customerCards';
import type { CustomerTenant } from '../../src/customers/customerDirectory';
import { formatAge } from '../../src/cards/text';
import type { MessageKey } from '../../src/i18n/catalogues';
import { translatorFor } from '../../src/i18n/translator';
import { aMachine, aMachineAction, anAlert, anEvidence, anIncidentView } from '../fixtures/builders';
import { assertValidAdaptiveCard } from '../fixtures/adaptiveCards';
import { A_DEVICE_SNAPSHOT, anIsolationRequest } from '../fixtures/approvalRequests';

const pt = translatorFor('pt-BR', 'America/Sao_Paulo');
const en = translatorFor('en');
const now = new Date('2026-12-07T02:15:00Z');

/** Every string a card shows (texts, titles, labels, placeholders), nested cards included. */
function visibleText(card: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object')
      for (const [key, value] of Object.entries(node)) {
        if (typeof value === 'string' && ['text', 'title', 'label', 'placeholder', 'errorMessage'].includes(key))
          out.push(value);
        else walk(value);
      }
  };
  walk(card);
  return out.join('\n');
}

/** Asserts the Portuguese words are on the card and none of the English label words are left. */
function assertPortuguese(card: unknown, portuguese: string[], english: RegExp[]): void {
  assertValidAdaptiveCard(card, { maxActions: 6 }); // Teams shows six buttons
  const text = visibleText(card);
  for (const word of portuguese) assert.ok(text.includes(word), `"${word}" missing in:\n${text}`);
  for (const word of english) assert.doesNotMatch(text, word);
}

describe('cards in Brazilian Portuguese', () => {
  it('every enum value of every label table has its own words in both languages, never the raw value', () => {
    const functions: Record<string, labels.LabelFor> = {
      severity: labels.severityLabel,
      status: labels.statusLabel,
      health: labels.healthLabel,
      level: labels.levelLabel,
      deviceValue: labels.deviceValueLabel,
      graphSeverity: labels.graphSeverityLabel,
      incidentStatus: labels.incidentStatusLabel,
      classification: labels.classificationLabel,
      determination: labels.determinationLabel,
      serviceSource: labels.serviceSourceLabel,
    };
    assert.deepEqual(Object.keys(functions).sort(), Object.keys(LABEL_TABLES).sort(), 'a test for every table');
    for (const [table, values] of Object.entries(LABEL_TABLES)) {
      for (const value of [...values, 'SomethingNew', null]) {
        for (const i18n of [en, pt]) {
          const label = functions[table]!(value, i18n);
          assert.ok(label.text.length > 0);
          assert.ok(!label.text.startsWith('label.'), `${table}.${value} has no message in ${i18n.locale}`);
          // A camel-case enum value ("InProgress", "truePositive") is never shown as is.
          assert.doesNotMatch(label.text, /[a-z][A-Z]/, `${table}.${value} in ${i18n.locale}: "${label.text}"`);
        }
      }
    }
    assert.equal(labels.statusLabel('InProgress', pt).text, 'Em andamento');
    assert.equal(labels.classificationLabel('truePositive', pt).text, 'Verdadeiro positivo');
    assert.equal(labels.severityLabel('Medium').text, 'Medium', 'English without a translator');
  });

  it('progress is not shown in low-contrast yellow: warning colour only for a real caution', () => {
    assert.equal(labels.statusLabel('InProgress').color, 'accent');
    assert.equal(labels.incidentStatusLabel('inProgress').color, 'accent');
    assert.equal(labels.severityLabel('Medium').color, 'warning');
  });

  it('plurals are right for 0, 1 and 2 in both languages', () => {
    const count = (key: MessageKey, n: number, i18n = pt) => i18n.t(key, { count: n });
    assert.deepEqual(
      [0, 1, 2].map((n) => count('card.alertList.total', n)),
      ['nenhum alerta', '1 alerta', '2 alertas'],
    );
    assert.deepEqual(
      [0, 1, 2].map((n) => count('card.alertList.total', n, en)),
      ['no alerts', '1 alert', '2 alerts'],
    );
    assert.deepEqual(
      [1, 2].map((n) => count('card.device.showOpenAlerts', n)),
      ['Mostrar 1 alerta aberto', 'Mostrar 2 alertas abertos'],
    );
    assert.deepEqual(
      [0, 1, 2].map((n) => count('card.alert.evidence', n, en)),
      ['Evidence (none)', 'Evidence (1)', 'Evidence (2)'],
    );
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
    assert.equal(formatAge(daysAgo(3), now, pt), 'há 3 dias');
    assert.equal(formatAge(daysAgo(3), now), '3 days ago');
  });

  it('the alert card speaks Portuguese, with dates as Brazilians write them in their time zone', () => {
    const alert = anAlert({
      status: 'InProgress',
      severity: 'High',
      alertCreationTime: '2026-12-06T23:00:00Z',
      evidence: [anEvidence({ entityType: 'File', fileName: 'a.exe' })],
    });
    const card = toAlertCard({ alert, now }, pt);
    assertPortuguese(
      card,
      [
        'Alta',
        'Em andamento',
        'Categoria',
        'Atribuído a',
        'Descrição',
        'Evidências (1)',
        'Abrir no Microsoft Defender',
      ],
      [/\bIn progress\b/, /\bAssigned to\b/, /\bOpen in\b/, /\bEvidence\b/, /\bUTC\b/],
    );
    assert.match(visibleText(card), /6 de dez\. de 2026, 20:00 \(há 3 h\)/);
  });

  it('the alert list card speaks Portuguese, with a correct plural', () => {
    const alerts = Array.from({ length: 12 }, (_, i) => anAlert({ id: `da${i}`, status: 'New' }));
    const card = toAlertListCard(
      {
        query: { severities: [], status: { kind: 'unresolved' }, assignedToMe: false },
        page: 0,
        alerts,
        truncated: false,
        now,
      },
      pt,
    );
    assertPortuguese(
      card,
      ['12 alertas', 'exibindo 1–10', 'Nova', 'Mostrar mais'],
      [/\bShow more\b/, /\bUnassigned\b/],
    );
    const one = toAlertListCard(
      {
        query: { severities: [], status: { kind: 'unresolved' }, assignedToMe: false },
        page: 0,
        alerts: alerts.slice(0, 1),
        truncated: false,
        now,
      },
      pt,
    );
    assert.match(visibleText(one), /1 alerta\b/);
  });

  it('the device card speaks Portuguese, isolation and buttons included', () => {
    const machine = aMachine({ healthStatus: 'ImpairedCommunication', riskScore: 'High', deviceValue: 'Normal' });
    const isolation = deriveIsolationState([
      aMachineAction({ type: 'Isolate', status: 'Succeeded', creationDateTimeUtc: '2026-12-07T01:00:00Z' }),
    ]);
    const card = toDeviceCard({ machine, isolation, openAlerts: 2, now }, pt);
    assertPortuguese(
      card,
      [
        'Integridade',
        'Comunicação prejudicada',
        'Risco',
        'Alto',
        'Isolado desde',
        'Mostrar 2 alertas abertos',
        'Liberar do isolamento',
      ],
      [/\bHealth\b/, /\bIsolated since\b/, /\bShow\b/, /\bMore actions\b/, /\bOpen alerts\b/],
    );
  });

  it('the show-me and choice cards speak Portuguese', () => {
    const showMe = toShowMeCard({ requester: 'Adele', command: 'mostrar alertas', refreshUserIds: [] }, pt);
    assertPortuguese(showMe, ['Mostrar para mim', ' perguntou '], [/\bShow me\b/, /\basked\b/]);
    const choice = toChoiceCard(
      {
        heading: 'Qual?',
        subject: 'ws',
        text: '…',
        choices: [{ label: 'a', detail: '', verb: 'device.show', data: {} }],
      },
      pt,
    );
    assertPortuguese(choice, ['Escolher'], [/\bChoose\b/]);
  });

  it('the incident list card speaks Portuguese, with plurals for its incidents and their alerts', () => {
    // The list shows only how many alerts an incident has: empty objects stand for them.
    const incident = (id: string, alerts: number): Incident => ({
      ...incidentSchema.parse({
        id,
        displayName: `Ransomware ${id}`,
        severity: 'high',
        status: 'inProgress',
        assignedTo: null,
        classification: 'unknown',
        determination: 'unknown',
        createdDateTime: '2026-12-06T23:00:00Z',
        lastUpdateDateTime: '2026-12-07T00:15:00Z',
        alerts: [],
      }),
      alerts: Array.from({ length: alerts }, () => ({})) as Incident['alerts'],
    });
    const card = toIncidentListCard(
      {
        query: { severities: ['high'], status: 'open', owner: 'anyone' },
        page: 0,
        incidents: [incident('1', 1), incident('2', 2)],
        truncated: false,
        now,
      },
      pt,
    );
    assertPortuguese(
      card,
      ['2 incidentes', 'Alta', 'Em andamento', 'Abrir incidente'],
      [/\bOpen incident\b/, /\bupdated\b/],
    );
    assert.match(JSON.stringify(card), / · 1 alerta · atualizado há 2 h · /);
    assert.match(JSON.stringify(card), / · 2 alertas · atualizado há 2 h · /);
  });

  it('the incident card speaks Portuguese, its triage forms included', () => {
    const incident = incidentSchema.parse({
      id: '2301',
      displayName: 'Ransomware em ws-fin-042',
      severity: 'medium',
      status: 'active',
      assignedTo: null,
      classification: 'truePositive',
      determination: 'malware',
      createdDateTime: '2026-12-06T23:00:00Z',
      lastUpdateDateTime: '2026-12-07T00:15:00Z',
      comments: [{ comment: 'olhando', createdByDisplayName: 'Adele', createdDateTime: '2026-12-07T00:10:00Z' }],
      alerts: [],
    });
    const card = toIncidentCard({ incident, tenantId: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', now }, pt);
    assertPortuguese(
      card,
      [
        'Média',
        'Ativo',
        'Proprietário',
        'Não atribuído',
        'Verdadeiro positivo',
        'Malware',
        'Comentários (1)',
        'Atribuir a mim',
        'Marcar como em andamento',
        'Classificação e determinação',
        'Verdadeiro positivo: Malware',
        'Resolver incidente',
        'Incidente 2301 · atualizado em 6 de dez. de 2026, 21:15',
      ],
      [/\bOwner\b/, /\bAssign\b/, /\bComments?\b/, /\bResolve\b/, /\bUnassigned\b/, /\bupdated\b/],
    );
  });

  const device = A_DEVICE_SNAPSHOT;
  const isolation = (state: ApprovalState): ActionApprovalRequest =>
    anIsolationRequest(state, { riskNote: 'high-value device', parameters: { isolationType: 'Selective' } });

  it('the confirmation card speaks Portuguese, with the approvers counted correctly', () => {
    const confirm = (requiredApprovals: number) =>
      toConfirmationCard(
        {
          draftId: 'D-1',
          kind: 'isolate',
          device,
          isolation: 'Não isolado',
          openAlerts: 1,
          requiredApprovals,
          riskNote: 'dispositivo de alto valor',
        },
        pt,
      );
    assertPortuguese(
      confirm(1),
      [
        'Isolar dispositivo?',
        'Precisa de 1 aprovador além de você',
        'Motivo (obrigatório',
        'Solicitar aprovação',
        'Cancelar',
        'Seletivo:',
      ],
      [/\bCancel\b/, /\bReason\b/, /\bapprovers?\b/, /\bHealth\b/],
    );
    assert.match(visibleText(confirm(2)), /Precisa de 2 aprovadores além de você/);
    assert.match(visibleText(confirm(0)), /Executar agora/);
  });

  it('the approval card speaks Portuguese in every state, for approvers and requesters', () => {
    // Every state: the three in flight, then the final ones as the approval domain lists them (a new one is covered).
    const states: ApprovalState[] = ['pending', 'executing', 'submitted', ...FINAL_STATES];
    const seen = new Set<string>();
    for (const state of states)
      for (const view of ['base', 'approver', 'requester'] as const) {
        const card = toApprovalCard(isolation(state), view, now, pt);
        assertPortuguese(
          card,
          ['Solicitação: Isolar dispositivo', 'Isolamento seletivo', 'Solicitada por', 'Aprovada por'],
          [/\brequest\b/, /\bRequested by\b/, /\bApproved by\b/, /\bApprovals\b/],
        );
        seen.add(
          JSON.stringify(card).match(
            /"text":"(Aguardando aprovação|Enviando ao Defender|No Defender|Concluída|Falhou|Tempo esgotado|Cancelada|Rejeitada|Expirada — não executada|Retirada|Já solicitada no Defender|Interrompida — não confirmada)"/,
          )?.[1] ?? state,
        );
      }
    assert.equal(seen.size, states.length, [...seen].join(', '));
    const approver = visibleText(toApprovalCard(isolation('pending'), 'approver', now, pt));
    assert.match(approver, /Aprovar/);
    assert.match(approver, /Rejeitar/);
    assert.match(approver, /1 de 2 · high-value device/);
  });

  it('an incident resolution request shows labels, never Graph enum names', () => {
    const request: IncidentApprovalRequest = {
      ...isolation('pending'),
      kind: 'resolveIncident',
      parameters: { classification: 'truePositive', determination: 'malware', comment: '' },
      incident: {
        id: '2301',
        title: 'Ransomware',
        severity: 'high',
        status: 'inProgress',
        classification: null,
        determination: null,
        assignedTo: null,
        lastUpdateDateTime: '2026-12-07T00:15:00Z',
      },
    };
    const card = toApprovalCard(request, 'approver', now, pt);
    assertPortuguese(
      card,
      ['Resolver como Verdadeiro positivo · Malware', 'Alta', 'Em andamento', 'Incidente 2301'],
      [/inProgress/, /truePositive/],
    );
  });

  it('the record list card’s buttons speak Portuguese', () => {
    const card = toRecordListCard(
      {
        heading: 'Ações',
        summary: '1 ação',
        rows: [
          {
            title: 't',
            detail: '',
            status: { text: 'ok', color: 'good' },
            select: { verb: 'approval.view', data: {} },
          },
        ],
      },
      pt,
    );
    assertPortuguese(card, ['Abrir'], [/\bOpen\b/]);
  });

  it('the alert notification, digest and notice cards speak Portuguese', () => {
    const alert = anAlert({ severity: 'High', status: 'Resolved', classification: 'TruePositive' });
    assertPortuguese(
      toAlertNotificationCard({ alert, now, subscription: 'alertas altos' }, pt),
      ['Alta', 'Resolvida', 'Verdadeiro positivo', 'criado', 'Assinatura: ', 'Detalhes', 'Abrir no Microsoft Defender'],
      [/\bcreated\b/, /\bSubscription\b/, /\bDetails\b/, /TruePositive/],
    );
    const alerts = [
      anAlert({ id: 'da1', severity: 'High' }),
      anAlert({ id: 'da2', severity: 'Medium' }),
      anAlert({ id: 'da3', severity: 'Medium' }),
    ];
    const digest = toAlertDigestCard({ alerts, now, subscription: 'todos', windowLabel: 'em 2 minutos' }, pt);
    assertPortuguese(
      digest,
      ['3 alertas em 2 minutos', '1 Alta', '2 Média', 'Abrir alerta'],
      [/\balerts\b/, /\bOpen\b/],
    );
    const notice = toAlertNoticeCard(
      {
        alertId: 'da1',
        severity: 'High',
        createdTime: alert.alertCreationTime,
        now,
        subscription: 'x',
        refreshUserIds: [],
      },
      pt,
    );
    assertPortuguese(
      notice,
      ['Novo alerta de gravidade ', 'para a sua assinatura', 'Mostrar'],
      [/\bNew\b/, /\bShow\b/],
    );
  });

  it('the incident notices speak Portuguese, with their words in Portuguese order', () => {
    const view = anIncidentView();
    const input = { incidentId: '2301', view, now, subscription: 'incidentes altos' };
    assertPortuguese(
      toIncidentNoticeCard(input, pt),
      ['Incidente 2301: ', 'Alta', 'Em andamento', ' · 1 alerta · não atribuído · criado ', 'Assinatura: ', 'Mostrar'],
      [/\bIncident\b/, /\bunassigned\b/, /\bShow\b/, /In progress/],
    );
    const personal = toIncidentPersonalNoticeCard({ ...input, refreshUserIds: [] }, pt);
    assertPortuguese(
      personal,
      ['Incidente 2301 de gravidade ', 'Alta', 'para a sua assinatura'],
      [/\bincident\b/, /\bShow\b/],
    );
    assert.match(
      visibleText(toIncidentPersonalNoticeCard({ ...input, refreshUserIds: [] })),
      /High \nincident 2301 for your subscription/,
    );
  });

  it('the personal digest counts by severity in Portuguese, with a correct plural', () => {
    const card = toAlertNoticeDigestCard(
      {
        severities: ['High', 'Medium', 'Medium'],
        windowLabel: 'em 2 minutos',
        subscription: 'altos',
        subscribed: ['High'],
      },
      pt,
    );
    assertPortuguese(
      card,
      ['3 novos alertas para a sua assinatura em 2 minutos', '1 Alta · 2 Média', 'Assinatura: altos', 'Mostrar'],
      [/\bHigh\b/, /\bShow\b/, /\bnew\b/],
    );
    const one = toAlertNoticeDigestCard({
      severities: ['Low'],
      windowLabel: 'in 2 minutes',
      subscription: 'x',
      subscribed: [],
    });
    assert.match(visibleText(one), /^1 new alert for your subscription in 2 minutes$/m);
  });

  it('alerts from other Defender sources are announced in Portuguese', () => {
    const alert = anAlert({ severity: 'Medium', status: 'New', category: 'Phishing', incidentId: 2301 });
    const input = { alert, serviceSource: 'microsoftDefenderForOffice365', now, subscription: 'todos' };
    assertPortuguese(
      toSourcedAlertNoticeCard(input, pt),
      ['Média', 'Nova', 'Categoria Phishing', 'Atribuído a', 'Incidente 2301', ' · criado ', 'Mostrar incidente'],
      [/\bCategory\b/, /\bAssigned\b/, /\bcreated\b/, /\bShow\b/],
    );
    assertPortuguese(
      toSourcedAlertPersonalNoticeCard({ ...input, refreshUserIds: [] }, pt),
      ['Novo alerta de gravidade ', 'para a sua assinatura', 'Assinatura: ', 'Mostrar incidente'],
      [/\bNew\b/, /\bSubscription\b/, /\bShow\b/],
    );
  });

  it('the customer cards speak Portuguese, with plurals for customers and conversations', () => {
    const customer = {
      tenantId: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      name: 'Fabrikam',
      status: 'active',
      requestedBy: { aadObjectId: '00000000-0000-4000-8000-000000000001', displayName: 'Elena' },
      requestedAt: '2026-12-01T10:00:00Z',
      consentedAt: '2026-12-01T10:05:00Z',
    } as CustomerTenant;
    const list = toCustomerListCard({ rows: [{ customer, conversations: 1, boundHere: true }], now }, pt);
    assertPortuguese(
      list,
      [
        'Locatários de clientes',
        '1 cliente, 1 conectado',
        'Conectado',
        'Consentimento',
        'Verificar integridade',
        'Integridade',
      ],
      [/\bConnected\b/, /\bgranted\b/, /\bConsent\b/, /\bCheck health\b/],
    );
    assert.match(
      visibleText(toOffboardConfirmCard(customer, 2, pt)),
      /2 conversas vinculadas a ele serão desvinculadas/,
    );
    assert.match(visibleText(toOffboardConfirmCard(customer, 1)), /1 conversation bound to it will be unbound/);
  });
});
