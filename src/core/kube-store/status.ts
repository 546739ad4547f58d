/**
 * API errors as the apiserver returns them: a `Status` object with code, reason, message and details. Shapes and
 * messages follow k8s.io/apimachinery/pkg/api/errors/errors.go (facts §2): `details.kind` is the resource plural
 * for NotFound/Conflict/AlreadyExists and the Kind for Invalid.
 */
import {qualifiedKind, qualifiedName, type ResourceType} from './resources.js'

export interface StatusCause {
  reason?: string
  message?: string
  field?: string
}

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  causes?: StatusCause[]
  retryAfterSeconds?: number
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message?: string
  reason?: string
  details?: StatusDetails
  code: number
}

/** Thrown by the store and the API layer; the HTTP server turns it into the response. */
export class StatusError extends Error {
  readonly status: Status

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message)
    this.name = 'StatusError'
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? {details} : {}),
      code,
    }
  }

  get code(): number {
    return this.status.code
  }
}

export function successStatus(code: number): Status {
  return {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code}
}

function nameDetails(resource: ResourceType, name: string): StatusDetails {
  return {name, ...(resource.group ? {group: resource.group} : {}), kind: resource.plural}
}

export function notFound(resource: ResourceType, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedName(resource)} "${name}" not found`, nameDetails(resource, name))
}

export function alreadyExists(resource: ResourceType, name: string): StatusError {
  return new StatusError(
    409,
    'AlreadyExists',
    `${qualifiedName(resource)} "${name}" already exists`,
    nameDetails(resource, name),
  )
}

export function conflict(resource: ResourceType, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    nameDetails(resource, name),
  )
}

export function invalid(
  resource: ResourceType,
  name: string,
  field: string,
  value: unknown,
  detail: string,
): StatusError {
  const message = `Invalid value: ${JSON.stringify(value)}: ${detail}`
  return new StatusError(422, 'Invalid', `${qualifiedKind(resource)} "${name}" is invalid: ${field}: ${message}`, {
    name,
    ...(resource.group ? {group: resource.group} : {}),
    kind: resource.kind,
    causes: [{reason: 'FieldValueInvalid', message, field}],
  })
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message)
}

/** The watch-cache's answer to a resourceVersion older than its history (cacher.go, `NewResourceExpired`). */
export function expired(requested: number, oldest: number): StatusError {
  return new StatusError(410, 'Expired', `too old resource version: ${requested} (${oldest})`)
}
