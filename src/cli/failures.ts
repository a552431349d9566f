// How a command fails, as the `otter` command's exit status tells it: a usage error (2) or a failure (1).

/** The command line is wrong: the message and the usage go to stderr, and the exit status is 2. */
export class UsageError extends Error {}

/** The command could not do its work (a node not reached, an evaluation that raised): one line, exit status 1. */
export class CommandFailed extends Error {}
