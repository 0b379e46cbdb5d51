/** The environment the bot's own commands read, with `.env` loaded as `npm start` loads it. */
import { config as loadDotenv } from 'dotenv';
import type { Env } from './database.ts';

export function processEnv(): Env {
  loadDotenv({ quiet: true });
  return process.env;
}
