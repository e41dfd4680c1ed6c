/** Errors cross the process boundary as plain objects. */
export interface SerializedError {
  name: string
  message: string
  code?: string
}

/** An error meant for the user: a precise message, optionally a code the UI can act on. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code?: string
  ) {
    super(message)
    this.name = 'UserError'
  }
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof UserError) return { name: err.name, message: err.message, code: err.code }
  if (err instanceof Error) return { name: err.name, message: err.message }
  return { name: 'Error', message: String(err) }
}

export class ApiCallError extends Error {
  constructor(readonly error: SerializedError) {
    super(error.message)
    this.name = error.name
  }
}
