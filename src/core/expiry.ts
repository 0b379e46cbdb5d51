/**
 * Expiring rules: once a rule's `expires_at` has passed, the bot opens its revocation — a
 * request of kind `revocation` whose one commit deletes the rule file — through the same
 * queue, branch, merge request, pipeline and approval as any request (queue.ts). Its id
 * is derived from the rule's, so a second pass or a restart never opens a second one; a
 * revocation that was rejected or failed is not reopened by itself (a person decided, or
 * must look), and stays visible in its thread.
 *
 * With AUTO_APPROVE_EXPIRED_REVOCATIONS the bot plays the deploy itself, since removing a
 * rule only closes access — but only when its own verdict on the plan (gate.ts) says the
 * plan does exactly that: remove this rule and nothing else. Anything more waits for a
 * person.
 */
import { createHash } from 'node:crypto';
import type { ChangeRequest } from '../domain/request.ts';
import { DEFAULT_ENVIRONMENT, ruleFileOf, rulesDirOf, type Environment } from '../domain/environment.ts';
import { parseRuleFile, RULE_ID_PATTERN, type RuleFile } from '../domain/rule.ts';
import type { BotDeps } from './deps.ts';
import { environmentsOf } from './environments.ts';
import { judgePipeline } from './gate.ts';
import type { RequestTx } from './lifecycle.ts';
import type { PipelineFacts } from './pipeline.ts';
import { recordAndOpen } from './queue.ts';

const PREFIX = 'REV-';
const HASH_LENGTH = 8;
/** The audit detail of the bot's own approval; the decided approval message shows it. */
export const AUTO_APPROVAL_DETAIL = 'expired rule revocation, auto-approved';

/**
 * `REV-<rule id>` (`REV-<environment>-<rule id>` in a named environment, where another
 * environment may hold a rule of the same id); a rule id too long for that keeps its
 * head plus a hash of the whole id.
 */
export function revocationIdFor(ruleId: string, environment: string = DEFAULT_ENVIRONMENT): string {
  if (environment !== DEFAULT_ENVIRONMENT) ruleId = `${environment}-${ruleId}`;
  const plain = `${PREFIX}${ruleId}`;
  if (RULE_ID_PATTERN.test(plain)) return plain;
  const hash = createHash('sha256').update(ruleId).digest('hex').slice(0, HASH_LENGTH);
  const room = 64 - PREFIX.length - 1 - HASH_LENGTH;
  return `${PREFIX}${ruleId.slice(0, room)}-${hash}`;
}

/**
 * Opens a revocation for every rule on the default branch whose expiry has passed and
 * that has none yet; returns the ones opened. Called once per reconciliation pass.
 */
export async function openDueRevocations(deps: BotDeps): Promise<ChangeRequest[]> {
  const opened: ChangeRequest[] = [];
  for (const env of environmentsOf(deps).list) {
    for (const rule of await dueRules(deps, env)) {
      const id = revocationIdFor(rule.id, env.name);
      // Checked and recorded with no await between them (recordAndOpen saves synchronously).
      if (deps.store.requests.get(id)) continue;
      deps.log.info({ requestId: id, ruleId: rule.id, environment: env.name, expiresAt: rule.expires_at }, 'rule expired; opening its revocation');
      opened.push(await recordAndOpen(deps, { id, kind: 'revocation', environment: env.name, rule, requester: null }));
    }
  }
  return opened;
}

/** Rules on the default branch whose expiry has passed and whose revocation is not recorded yet. */
async function dueRules(deps: BotDeps, env: Environment): Promise<RuleFile[]> {
  const ref = await deps.vcs.defaultBranch();
  const now = deps.now().getTime();
  const due: RuleFile[] = [];
  for (const path of await deps.vcs.listFiles(ref, rulesDirOf(env))) {
    const fileId = /([^/]+)\.json$/.exec(path)?.[1];
    // Terraform keys rules by file name; a revocation already recorded needs no read.
    if (fileId === undefined || deps.store.requests.get(revocationIdFor(fileId, env.name))) continue;
    const rule = await readRule(deps, ref, path);
    if (rule === null || rule.expires_at === null || Date.parse(rule.expires_at) > now) continue;
    if (ruleFileOf(env, rule.id) !== path) {
      deps.log.warn({ path, ruleId: rule.id }, 'expired rule file is not named after its id; not revoked (its pipeline would refuse it anyway)');
      continue;
    }
    due.push(rule);
  }
  return due;
}

async function readRule(deps: BotDeps, ref: string, path: string): Promise<RuleFile | null> {
  const text = await deps.vcs.readFile(ref, path);
  if (text === null) return null; // removed since the folder was listed
  try {
    return parseRuleFile(text, path);
  } catch (err) {
    deps.log.warn({ path, err: (err as Error).message }, 'rule file on the default branch does not parse; its expiry is not checked');
    return null;
  }
}

/**
 * With the setting on, plays the deploy of a revocation waiting for approval when its
 * plan is a pure removal of its rule, and audits the bot as its approver; true when it
 * played. syncPipeline calls it in its unit of work on the request, right after rendering
 * the thread: the approval request is posted first, so the thread then shows it decided.
 */
export async function autoApproveRevocation(deps: BotDeps, tx: RequestTx, facts: PipelineFacts): Promise<boolean> {
  const request = tx.current();
  const { rule, deployJobId } = request;
  if (!deps.settings.autoApproveExpiredRevocations || request.kind !== 'revocation' || request.state !== 'awaiting_approval') return false;
  if (rule === null || deployJobId === null) return false;
  // Only a plan the bot read and judged itself to remove exactly this rule, and nothing else.
  const verdict = await judgePipeline(deps, request, facts);
  if (!verdict.ok) {
    deps.log.info({ requestId: request.id, why: verdict.problems }, 'revocation not auto-approved; it waits for a person');
    return false;
  }
  // The same compare-and-set as a person's approval: a click at the same moment plays once.
  if (!tx.transition('awaiting_approval', 'deploying')) return false;
  try {
    await deps.vcs.playJob(deployJobId);
  } catch (err) {
    // Left waiting: the next sync tries again, or a person approves.
    tx.transition('deploying', 'awaiting_approval', { audit: { actor: 'bot', action: 'play', outcome: 'error', detail: (err as Error).message } });
    deps.log.warn({ err, requestId: request.id }, 'playing the revocation deploy failed');
    return false;
  }
  tx.audit({ actor: 'bot', action: 'approve', outcome: 'ok', detail: AUTO_APPROVAL_DETAIL });
  tx.audit({ actor: 'bot', action: 'play', outcome: 'ok', detail: `job ${deployJobId}` });
  return true;
}
