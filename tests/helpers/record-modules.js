// `node --import ./record-modules.js …`: appends the URL of every module the process
// resolves through the ESM loader to the file RECORD_MODULES_FILE, one a line, so a test
// can tell which packages a command loaded. Plain JavaScript, for plain node and tsx alike.
import { register } from 'node:module';

register('./record-modules-hooks.js', import.meta.url, { data: { file: process.env.RECORD_MODULES_FILE } });
