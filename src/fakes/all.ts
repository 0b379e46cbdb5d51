/**
 * All three fakes wired together the way the real services are: the GitLab pipeline
 * applies rules to the fake EC2, and the repository starts as this checkout's
 * terraform/ and policies/. Used by `portcullis fakes`, the end-to-end tests and the sandbox.
 */
import { fileURLToPath } from 'node:url';
import { startAwsFake, type AwsFake, type AwsFakeOptions } from './aws/index.ts';
import { startGitLabFake, type GitLabFake, type GitLabFakeOptions } from './gitlab/index.ts';
import { startSlackFake, type SlackFake, type SlackFakeOptions } from './slack/index.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Fakes {
  slack: SlackFake;
  gitlab: GitLabFake;
  aws: AwsFake;
  /** What a client needs to reach them: printed by `portcullis fakes`. */
  endpoints: FakeEndpoints;
  close(): Promise<void>;
}

export interface FakeEndpoints {
  slackApiUrl: string;
  slackBotToken: string;
  slackAppToken: string;
  gitlabUrl: string;
  gitlabToken: string;
  gitlabProject: string;
  awsEndpoint: string;
  awsAccessKeyId: string;
  awsSecretAccessKey: string;
  awsRegion: string;
}

export async function startFakes(options: { slack?: SlackFakeOptions; gitlab?: Omit<GitLabFakeOptions, 'ec2' | 'accounts'>; aws?: AwsFakeOptions } = {}): Promise<Fakes> {
  const aws = await startAwsFake(options.aws);
  const gitlab = await startGitLabFake({ seed: { dir: REPO_ROOT }, ...options.gitlab, ec2: aws.driver, accounts: aws.driver });
  const slack = await startSlackFake(options.slack);
  return {
    slack,
    gitlab,
    aws,
    endpoints: {
      slackApiUrl: slack.url,
      slackBotToken: slack.botToken,
      slackAppToken: slack.appToken,
      gitlabUrl: gitlab.url,
      gitlabToken: gitlab.token,
      gitlabProject: gitlab.projectPath,
      awsEndpoint: aws.url,
      awsAccessKeyId: aws.accessKeyId,
      awsSecretAccessKey: aws.secretAccessKey,
      awsRegion: 'us-east-1',
    },
    async close() {
      await Promise.all([slack.close(), gitlab.close(), aws.close()]);
    },
  };
}
