/**
 * Which environment a request is for, and what that environment allows: the core asks
 * here rather than reading BotSettings, so that approvers, approval count and TTL, the
 * channel and the pipeline jobs are always those of the request's own environment.
 */
import { Environments, singleEnvironment, type Environment } from '../domain/environment.ts';
import { InputError } from '../domain/errors.ts';
import type { ChangeRequest } from '../domain/request.ts';
import type { BotDeps } from './deps.ts';
import type { CloudPort } from './ports.ts';

const single = new WeakMap<object, Environments>();

/** The configured environments; without any, the one that BotSettings describes. */
export function environmentsOf(deps: Pick<BotDeps, 'environments' | 'settings'>): Environments {
  if (deps.environments) return deps.environments;
  let made = single.get(deps.settings);
  if (!made) {
    const s = deps.settings;
    made = new Environments([singleEnvironment(s.channel, { approverIds: s.approverIds, approverGroup: s.approverGroup, required: s.requiredApprovals, ttlMs: s.approvalTtlMs })]);
    single.set(deps.settings, made);
  }
  return made;
}

/** A request's environment; one no longer configured is an error, never another environment's settings. */
export function environmentOf(deps: Pick<BotDeps, 'environments' | 'settings'>, request: Pick<ChangeRequest, 'id' | 'environment'>): Environment {
  const env = environmentsOf(deps).get(request.environment);
  if (!env) throw new UnknownEnvironmentError(`${request.id} is for the environment "${request.environment}", which is not configured`);
  return env;
}

export class UnknownEnvironmentError extends InputError {
  readonly code = 'ENVIRONMENT_UNKNOWN';
}

/** AWS in the environment's own account and region. */
export function cloudOf(deps: Pick<BotDeps, 'cloud' | 'cloudFor'>, env: Environment): CloudPort {
  return deps.cloudFor?.(env) ?? deps.cloud;
}
