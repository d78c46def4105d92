// The program version, injected at build time from package.json (falls back for unbuilt test runs).
declare const __MAILROOM_VERSION__: string | undefined

export const APP_VERSION: string = typeof __MAILROOM_VERSION__ === 'string' ? __MAILROOM_VERSION__ : '0.0.0-dev'
