/**
 * The two Query services the fake answers on one endpoint, told apart by the request's
 * `Version`: EC2 (ec2Query flavour, result elements directly under `<XResponse>`) and STS
 * (plain awsQuery, result nested in `<XResult>` plus `<ResponseMetadata>`). Each renders
 * its own success and error envelopes, as the SDK's AwsEc2QueryProtocol and
 * AwsQueryProtocol parse them.
 */
import { ec2Actions, type ActionContext } from './ec2-actions.ts';
import { AwsError } from './errors.ts';
import type { QueryObject } from './query.ts';
import { renderXmlDocument, type XmlObject } from './xml.ts';

export interface FakeContext extends ActionContext {
  caller: { arn: string; userId: string };
  /** STS AssumeRole for this caller: the AssumeRoleResult, or an AwsError (AccessDenied, ValidationError). */
  assumeRole(params: QueryObject): XmlObject;
}

export interface QueryService {
  name: string;
  /** What this service answers a missing or unknown access key with. */
  authError(): AwsError;
  actions: Record<string, (params: QueryObject, context: FakeContext) => XmlObject>;
  renderResult(action: string, result: XmlObject, requestId: string): string;
  renderError(error: AwsError, requestId: string): string;
}

export const EC2_VERSION = '2016-11-15';
export const STS_VERSION = '2011-06-15';

export const ec2Service: QueryService = {
  name: 'ec2',
  authError: () => new AwsError('AuthFailure', 'AWS was not able to validate the provided access credentials'),
  actions: ec2Actions,
  renderResult: (action, result, requestId) =>
    renderXmlDocument(`${action}Response`, { requestId, ...result }, `http://ec2.amazonaws.com/doc/${EC2_VERSION}/`),
  renderError: (error, requestId) =>
    renderXmlDocument('Response', { Errors: { Error: { Code: error.code, Message: error.message } }, RequestID: requestId }),
};

export const stsService: QueryService = {
  name: 'sts',
  authError: () => new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.'),
  actions: {
    GetCallerIdentity: (_params, { account, caller }) => ({ Arn: caller.arn, UserId: caller.userId, Account: account.accountId }),
    AssumeRole: (params, { assumeRole }) => assumeRole(params),
  },
  renderResult: (action, result, requestId) =>
    renderXmlDocument(
      `${action}Response`,
      { [`${action}Result`]: result, ResponseMetadata: { RequestId: requestId } },
      `https://sts.amazonaws.com/doc/${STS_VERSION}/`,
    ),
  renderError: (error, requestId) =>
    renderXmlDocument(
      'ErrorResponse',
      { Error: { Type: error.faultType, Code: error.code, Message: error.message }, RequestId: requestId },
      `https://sts.amazonaws.com/doc/${STS_VERSION}/`,
    ),
};

/** STS requests carry its API version; everything else is EC2, whose envelope also answers malformed requests. */
export function serviceFor(version: string | undefined): QueryService {
  return version === STS_VERSION ? stsService : ec2Service;
}
