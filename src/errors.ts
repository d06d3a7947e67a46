/**
 * One error taxonomy for the whole depot. Every error that reaches a client
 * carries its HTTP status and the message the client is shown; the HTTP layer
 * decides only how to render it (XHTML for pkg(5) ops, problem+json for REST).
 */
export class DepotError extends Error {
  readonly status: number
  readonly code: string
  readonly headers: Record<string, string>

  constructor (code: string, status: number, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.status = status
    this.headers = headers
  }
}

/** A malformed request: bad FMRI, bad action, bad query, bad header. */
export class BadRequestError extends DepotError {
  constructor (message: string, code = 'ERR_BAD_REQUEST') { super(code, 400, message) }
}

export class NotFoundError extends DepotError {
  constructor (message: string, code = 'ERR_NOT_FOUND') { super(code, 404, message) }
}

export class ForbiddenError extends DepotError {
  constructor (message: string, code = 'ERR_FORBIDDEN') { super(code, 403, message) }
}

/** The request cannot apply to the repository as it is: it names more than one thing, or something already there. */
export class ConflictError extends DepotError {
  constructor (message: string, code = 'ERR_CONFLICT') { super(code, 409, message) }
}

export class MethodNotAllowedError extends DepotError {
  constructor (method: string, allowed: readonly string[]) {
    super('ERR_METHOD_NOT_ALLOWED', 405, `${method} is not allowed`, { Allow: allowed.join(', ') })
  }
}

export class RangeNotSatisfiableError extends DepotError {
  constructor (size: number) {
    super('ERR_RANGE_NOT_SATISFIABLE', 416, 'Invalid Range (first-byte-pos greater than Content-Length)',
      { 'Content-Range': `bytes */${size}` })
  }
}

export class PayloadTooLargeError extends DepotError {
  constructor (message: string) { super('ERR_PAYLOAD_TOO_LARGE', 413, message) }
}

export class TooManyHeadersError extends DepotError {
  constructor (max: number) { super('ERR_TOO_MANY_HEADERS', 431, `The request has more than ${max} header fields (server.max_headers).`) }
}

export class ServiceUnavailableError extends DepotError {
  constructor (message: string, retryAfterSeconds?: number) {
    super('ERR_UNAVAILABLE', 503, message, retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) })
  }
}

/** A search that would touch more of the index than one query may (search.max_work). */
export class QueryTooBroadError extends DepotError {
  constructor (maxWork: number) {
    super('ERR_QUERY_TOO_BROAD', 422, `The query is too broad: it needs more than ${maxWork} units of index work (search.max_work); narrow it down.`)
  }
}

/** One client holds as many requests of a kind as it may; Retry-After says when to come back. */
export class TooManyRequestsError extends DepotError {
  constructor (message: string, retryAfterSeconds: number) {
    super('ERR_TOO_MANY_REQUESTS', 429, message, { 'Retry-After': String(retryAfterSeconds) })
  }
}

/** A configuration error: names the offending key, stops the start. */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG'
  constructor (readonly key: string, message: string) {
    super(`${key}: ${message}`)
    this.name = 'ConfigError'
  }
}
