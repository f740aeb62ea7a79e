import { MemoryStorage } from 'botbuilder';
import { describeStorageContract } from './storageContract';

// botbuilder's own store: if the contract suite passes here, it describes botbuilder's semantics, not ours.
describeStorageContract('botbuilder MemoryStorage', () => new MemoryStorage(), { eTagOnMissingKey: 'creates' });
