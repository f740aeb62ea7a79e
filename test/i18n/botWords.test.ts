import assert from 'node:assert/strict';
import type { ActionParameters, DeviceSnapshot } from '../../src/approvals/approvalTypes';
import { requiredApprovals } from '../../src/approvals/approvalPolicy';
import type { ApprovalPolicy } from '../../src/approvals/approvalPolicy';
import { queuedNoticeActivity } from '../../src/bot/queuedNotice';
import { PROBLEM_EXAMPLES, parseCommand, problemExampleIn } from '../../src/commands/parseCommand';
import { portuguese as portuguesePhrasebook } from '../../src/commands/phrasebook';
import { riskNoteText } from '../../src/cards/approvalCards';
import { translatorFor } from '../../src/i18n/translator';
import { resolutionApprovalReason } from '../../src/incidents/resolutionPolicy';
import { A_DEVICE_SNAPSHOT } from '../fixtures/approvalRequests';

const pt = translatorFor('pt-BR');
const en = translatorFor('en');

describe('the bot’s own sentences in both languages', () => {
  it('says every reason an approval policy gives in the reader’s language, and an unknown one as stored', () => {
    const policy = {
      autoApproved: ['runAntiVirusScan:Quick'],
      highRiskActions: ['isolate'],
      highRiskTags: ['VIP'],
      highRiskApprovals: 2,
      defaultApprovals: 1,
    } as unknown as ApprovalPolicy;
    const device = (overrides: Partial<DeviceSnapshot>): DeviceSnapshot => ({ ...A_DEVICE_SNAPSHOT, ...overrides });
    const scan: ActionParameters = { scanType: 'Quick' };
    const notes = [
      requiredApprovals(policy, 'runAntiVirusScan', scan, device({})).note,
      requiredApprovals(policy, 'isolate', {}, device({ deviceValue: 'High' })).note,
      requiredApprovals(policy, 'isolate', {}, device({ deviceValue: 'Normal', tags: ['vip'] })).note,
      requiredApprovals(policy, 'restrictCodeExecution', {}, device({ deviceValue: 'Normal' })).note,
      resolutionApprovalReason(['all'], { severity: 'low' }, 'truePositive')!,
      resolutionApprovalReason(['high'], { severity: 'high' }, 'truePositive')!,
      resolutionApprovalReason(['falsePositive'], { severity: 'low' }, 'falsePositive')!,
    ];
    const portuguese = notes.map((note) => riskNoteText(note, pt));
    assert.deepEqual(portuguese, [
      'Ação de baixo impacto: a política não exige aprovação',
      'Dispositivo de alto valor',
      'Dispositivo com a tag vip',
      'Política padrão',
      'Toda resolução precisa de um aprovador (política)',
      'Incidente de gravidade Alta',
      'Resolvido como Falso positivo',
    ]);
    assert.deepEqual(
      notes.map((note) => riskNoteText(note, en)),
      notes,
      'English reads as stored',
    );
    assert.equal(
      riskNoteText('High-value device (policy at approval time)', pt),
      'Dispositivo de alto valor (política no momento da aprovação)',
    );
    assert.equal(riskNoteText('A future policy', pt), 'A future policy');
  });

  it('tells a queued person when their answer comes, in their language', () => {
    assert.equal(
      queuedNoticeActivity(12_000, 0, pt).text,
      'A cota de solicitações do Defender da sua organização está em uso: sua resposta será publicada aqui em cerca de 15 segundos (você é o próximo).',
    );
    assert.equal(
      queuedNoticeActivity(150_000, 1, en).text,
      "Defender's request quota for your organisation is in use: your answer will be posted here in about 3 minutes (1 request ahead of you).",
    );
  });
});

describe('the examples a mistyped command is answered with', () => {
  it('mean the same in Portuguese as in English', () => {
    for (const example of PROBLEM_EXAMPLES) {
      const portuguese = problemExampleIn('pt-BR', example);
      assert.notEqual(portuguese, example, `${example} has a Portuguese phrasing`);
      const english = parseCommand(example);
      assert.notEqual(english.id, 'unknown', example);
      assert.deepEqual(parseCommand(portuguese, portuguesePhrasebook), english, portuguese);
    }
  });
});
