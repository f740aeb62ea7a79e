import { ConversationState, TestAdapter } from 'botbuilder';
import { toBotbuilderStorage } from '../../src/bot/storageContract';
import { FileStorage } from '../../src/storage/fileStorage';
import { useTempDirs } from './support/tempDir';

describe('FileStorage behind botbuilder state', () => {
  const tempDir = useTempDirs('soc-bot-botstate-');

  it('persists ConversationState across turns and across a restart', async () => {
    const dir = await tempDir();

    async function converse(messages: string[], expected: string[]): Promise<void> {
      // A new store and state per call: the second call is a restarted bot reading the same directory.
      const state = new ConversationState(toBotbuilderStorage(new FileStorage({ dir })));
      const turns = state.createProperty<number>('turns');
      const adapter = new TestAdapter(async (context) => {
        const count = (await turns.get(context, 0)) + 1;
        await turns.set(context, count);
        await state.saveChanges(context);
        await context.sendActivity(`turn ${count}`);
      });
      let flow = adapter.send(messages[0]!).assertReply(expected[0]!);
      for (let i = 1; i < messages.length; i++) flow = flow.send(messages[i]!).assertReply(expected[i]!);
      await flow.startTest();
    }

    await converse(['hi', 'again'], ['turn 1', 'turn 2']);
    // "turn 3" proves the count (written conditionally with botbuilder's eTag) survived the restart.
    await converse(['after restart'], ['turn 3']);
  });
});
