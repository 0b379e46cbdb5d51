/**
 * What a request puts in GitLab, in GitLab's words: its one commit (message and file
 * change) and its merge request (title and Markdown description).
 */
import { requestTitle, type ChangeRequest } from '../domain/request.ts';
import { ruleFilePath, serializeRuleFile, type RuleFile } from '../domain/rule.ts';
import type { FileAction } from './ports.ts';

export interface GitLabChange {
  commitMessage: string;
  action: FileAction;
  title: string;
  description: string;
}

/** The commit and merge request of a request (a rule to add) or a revocation (a rule to remove). */
export function gitLabChange(request: ChangeRequest, rule: RuleFile, requesterName?: string): GitLabChange {
  const path = ruleFilePath(rule.id);
  if (request.kind === 'revocation') {
    return {
      commitMessage: `${requestTitle(request)}\n\nRule ${rule.id} expired at ${rule.expires_at}; revocation opened by Portcullis.`,
      action: { action: 'delete', path },
      title: `${requestTitle(request)} (${rule.id} expired)`,
      description: revocationDescription(rule),
    };
  }
  return {
    commitMessage: `${requestTitle(request)}\n\nRequested from Slack by ${rule.requester}.`,
    action: { action: 'create', path, content: serializeRuleFile(rule) },
    title: `${requestTitle(request)} (for ${requesterName ?? rule.requester})`,
    description: mergeRequestDescription(rule, requesterName),
  };
}

/** GitLab Markdown; the Slack id is kept so the bot (and a reader) can find the person. */
function mergeRequestDescription(rule: RuleFile, requesterName?: string): string {
  return [
    `Requested from Slack by **${requesterName ?? rule.requester}** (Slack user ${rule.requester}) with /sg-request.`,
    '',
    `- Justification: ${rule.description}`,
    `- Ticket: ${rule.ticket ?? 'none'}`,
    `- Expires: ${rule.expires_at ?? 'never'}`,
    `- Rule file: \`${ruleFilePath(rule.id)}\``,
    '',
    'The pipeline checks the policy and plans the change; the deploy job is approved in Slack.',
  ].join('\n');
}

/** Why the bot removes a rule, for the reviewer of its merge request. */
function revocationDescription(rule: RuleFile): string {
  return [
    `Rule \`${rule.id}\` expired at ${rule.expires_at}; Portcullis opened this merge request to remove it.`,
    '',
    `- Originally requested by: Slack user ${rule.requester}`,
    `- Justification: ${rule.description}`,
    `- Ticket: ${rule.ticket ?? 'none'}`,
    `- Rule file removed: \`${ruleFilePath(rule.id)}\``,
    '',
    'The pipeline plans the removal; the deploy job is approved in Slack.',
  ].join('\n');
}
