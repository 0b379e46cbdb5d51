import { parseOptions, type Command } from './command.ts';

export const fakesCommand: Command = {
  summary: 'run local Slack, GitLab and EC2/STS fakes on 127.0.0.1 until stopped',
  help: `Usage:
  portcullis fakes

Starts protocol-faithful fakes of Slack (Web API + Socket Mode), GitLab (REST v4,
pipelines, webhooks, Terraform state) and EC2/STS (Query API) on loopback ports and
prints one JSON line on stdout with their base URLs and the tokens they accept:
  {"slackApiUrl": ..., "slackBotToken": ..., "slackAppToken": ..., "gitlabUrl": ...,
   "gitlabToken": ..., "gitlabProject": ..., "awsEndpoint": ..., "awsAccessKeyId": ..., ...}
Runs until SIGINT or SIGTERM. The tokens are the fakes' own, never real credentials.
`,
  async run(args, io) {
    parseOptions(args, {});
    // Loaded here, not with the command table's summaries: the fakes are a server of their own.
    const { startFakes } = await import('../fakes/all.ts');
    const fakes = await startFakes();
    io.stdout(`${JSON.stringify(fakes.endpoints)}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await fakes.close();
    return 0;
  },
};
