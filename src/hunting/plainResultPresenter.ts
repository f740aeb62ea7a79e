import type { CommandContext, Reply } from '../commands/commandContext';
import { cardReply } from '../commands/commandContext';
import type { ConversationPort } from '../commands/responseActions';
import { renderCard } from '../cards/renderCard';
import { clipLine } from '../cards/text';
import type { HuntingAnswer, HuntRequest, HuntResultPresenter, HuntTiming } from './huntingTypes';
import template from './templates/plainHuntResult.json';

/** Rows a plain result card shows. */
const SHOWN_ROWS = 10;
/** Columns of a row shown, and characters per value. */
const SHOWN_COLUMNS = 6;
const VALUE_LENGTH = 80;

/**
 * A minimal HuntResultPresenter so hunts work end to end before the results side (src/hunting/huntResult*) lands:
 * the first 10 rows, their first columns, the row count, timing and the tenant's hunting calls. Memory stays
 * bounded: every row is counted, only 10 are kept. The lead replaces it with the real presenter.
 */
export class PlainResultPresenter implements HuntResultPresenter {
  async present(
    ctx: CommandContext,
    _conversation: ConversationPort | undefined,
    request: HuntRequest,
    answer: HuntingAnswer,
    timing: () => HuntTiming,
  ): Promise<Reply> {
    const kept: string[] = [];
    let count = 0;
    for await (const row of answer.rows) {
      count++;
      if (kept.length < SHOWN_ROWS) kept.push(rowText(row));
    }
    const columns = (await answer.columns()).map((c) => c.name);
    const measured = timing();
    const i18n = ctx.i18n;
    const card = renderCard(template, {
      heading: i18n.t('hunting.result.heading', { count }),
      title: clipLine(request.title, 200),
      summary: i18n.t('hunting.result.summary', {
        columns: clipLine(columns.slice(0, SHOWN_COLUMNS).join(', '), 300, ''),
        seconds: i18n.number(Math.round(measured.elapsedMs / 100) / 10),
        minute: measured.callsThisMinute,
        hour: measured.callsThisHour,
      }),
      rows: kept.map((text) => ({ text })),
      more: count > SHOWN_ROWS ? i18n.t('hunting.result.more', { shown: SHOWN_ROWS, count }) : '',
    });
    return cardReply(card, i18n.t('hunting.result.heading', { count }));
  }
}

function rowText(row: Readonly<Record<string, unknown>>): string {
  return Object.entries(row)
    .slice(0, SHOWN_COLUMNS)
    .map(
      ([name, value]) =>
        `${name}: ${clipLine(typeof value === 'string' ? value : JSON.stringify(value), VALUE_LENGTH, '')}`,
    )
    .join(' · ');
}
