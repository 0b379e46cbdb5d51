/**
 * Slack's Block Kit and message limits (Slack's Block Kit reference; confirm-dialog limits from
 * @slack/types composition-objects), in one place. Lengths are in characters; the
 * builders measure UTF-16 units, which is never fewer.
 */
export const SLACK_LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  /** Section `text`, and any text object (context elements). */
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  blockId: 255,
  actionId: 255,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  inputLabel: 2000,
  placeholder: 150,
  viewTitle: 24,
  viewButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  /** Top-level `text`: Slack truncates above this (the post still succeeds). */
  messageText: 40_000,
} as const;

/**
 * Our own caps, tighter than Slack's: a fallback `text` is read in notifications, and
 * Slack rejects messages whose blocks hold too much text in total (`msg_blocks_too_long`,
 * an undocumented limit, ISS2867), so every message keeps its block text under a budget.
 */
export const OUR_LIMITS = {
  fallbackText: 1000,
  /** Characters of text across all blocks of one message. */
  messageBlockText: 12_000,
} as const;
