// Parsing mail off the main thread: createMessageParser() (a small worker pool with a timeout) and saveAttachment().
import { createParsePool, type ParsePoolOptions } from './pool'
import type { ParsedMessage } from './types'

export type { ParsedMessage, ParseLimits } from './types'
export { DEFAULT_PARSE_LIMITS } from './types'
export { saveAttachment, type SavedAttachment } from './save-attachment'

export type MessageParserOptions = ParsePoolOptions

export interface MessageParser {
  /** Parses the raw message at `path` in a worker. Fails with AppError PARSE_FAILED (timeout, crash, unreadable file). */
  parse(path: string): Promise<ParsedMessage>
  /** Stops the workers; calls waiting at that moment fail with PARSE_FAILED. */
  close(): Promise<void>
}

export function createMessageParser(options: MessageParserOptions = {}): MessageParser {
  return createParsePool(options)
}
