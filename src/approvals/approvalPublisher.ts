import type { ApprovalRequest } from './approvalTypes';

/**
 * Shows a request's current state wherever its cards were posted (the bot layer updates the Teams messages
 * in place). Failures to reach a card are the publisher's to handle; they never change the request.
 */
export interface ApprovalPublisher {
  publish(request: ApprovalRequest): Promise<void>;
}
