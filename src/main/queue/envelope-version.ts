// The version of the spool's envelope format (its own module: envelope.ts and envelope-schema.ts both need it, without importing each other).
export const ENVELOPE_VERSION = 1
