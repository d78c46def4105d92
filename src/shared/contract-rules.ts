// IPC contract, rules section: aliases, .forward and out-of-office editors and the expansion preview.
export const rulesCalls = {} as const

export const rulesEvents = {} as const
