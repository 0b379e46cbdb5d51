/**
 * Text as files and artifacts really arrive, and error text as one readable line.
 *
 * `terraform show -json > plan.json` writes UTF-8 in a POSIX shell, UTF-16 LE with a
 * byte-order mark in Windows PowerShell 5, and editors on Windows like to add a UTF-8
 * BOM. Every place that turns a plan's bytes into text goes through decodeText, so the
 * CLI and the bot read the same file the same way.
 */

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/**
 * The text of `bytes`, decoded by its byte-order mark: UTF-16 LE (FF FE), UTF-16 BE
 * (FE FF), else UTF-8 (a UTF-8 BOM is dropped). The mark itself is never part of the
 * text. Malformed sequences become U+FFFD rather than an exception: the caller's parser
 * (JSON) refuses what it cannot read, with its own message.
 */
export function decodeText(bytes: Uint8Array): string {
  const encoding = startsWith(bytes, [0xff, 0xfe]) ? 'utf-16le' : startsWith(bytes, [0xfe, 0xff]) ? 'utf-16be' : 'utf-8';
  // TextDecoder strips the BOM of the encoding it decodes (ignoreBOM defaults to false).
  return new TextDecoder(encoding).decode(bytes);
}

/**
 * `text` on one line with nothing unprintable in it: line breaks, control characters,
 * byte-order marks and replacement characters (what undecodable bytes become) are
 * written as \uXXXX escapes. For messages that quote input, such as JSON.parse's.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffd]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
