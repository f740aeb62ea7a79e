import type { GdapRole } from '../seed/seedSchema';

/**
 * Template ids of the Microsoft Entra built-in roles a GDAP relationship can grant, as tokens carry them in `wids`
 * (Entra's permissions-reference.md: the ids are the same in every tenant).
 */
export const ENTRA_ROLE_TEMPLATE_IDS: Record<GdapRole, string> = {
  'Security Reader': '5d6b6bb7-de71-4623-b4af-96380a352509',
  'Security Operator': '5f2222b1-57c3-48ba-8ad5-d4759f1fde6f',
  'Security Administrator': '194ae4cb-b126-40b2-bd5b-6091b380977d',
  'Global Reader': 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  'Global Administrator': '62e90394-69f5-4237-9190-012177145e10',
};
