/**
 * The database half of `portcullis doctor`: the file writable (a write lock taken and
 * let go, nothing written) and its schema version against this Portcullis's migrations.
 * A missing file is fine when its folder is writable: the bot creates it at start.
 */
import { constants, existsSync, statSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, schemaVersion } from '../store/index.ts';
import { fail, ok, reason, type CheckResult } from './report.ts';

const AREA = 'Database';

export async function databaseChecks(path: string): Promise<CheckResult[]> {
  if (!existsSync(path)) {
    // The bot makes the missing folders: the nearest one that exists must be a writable folder.
    let dir = resolve(dirname(path));
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a folder');
      await access(dir, constants.W_OK);
      return [ok(AREA, 'database', `${path} does not exist yet; the bot creates it at start`)];
    } catch {
      return [fail(AREA, 'database', `${path} does not exist and cannot be made in ${dir}`, 'Point DATABASE_PATH at a writable volume (the bot\'s user must own the folder).')];
    }
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true, timeout: 5000 });
    const version = schemaVersion(db);
    // BEGIN IMMEDIATE takes the write lock (and needs the -wal/-shm files writable); nothing is written.
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    const known = MIGRATIONS.length;
    if (version > known) return [fail(AREA, 'database', `${path}: schema version ${version}, newer than this Portcullis knows (${known})`, 'Run the Portcullis version that wrote it, or a newer one.')];
    const note = version === known ? 'current' : `the bot migrates it to ${known} at start`;
    return [ok(AREA, 'database', `${path} writable, schema version ${version} (${note})`)];
  } catch (err) {
    return [fail(AREA, 'database', `${path}: ${reason(err)}`, 'Make the file and its folder writable by the bot\'s user; a file another process keeps locked, or one that is not a Portcullis database, cannot be used.')];
  } finally {
    db?.close();
  }
}
