// oidc-provider ships no types; these are the parts the tests use.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'
  interface DeviceCode {
    clientId: string
    save (): Promise<string>
  }
  interface Grant {
    addOIDCScope (scope: string): void
    addResourceScope (resource: string, scope: string): void
    save (): Promise<string>
  }
  interface Interaction {
    params: Record<string, unknown>
    returnTo: string
    result?: Record<string, unknown>
    save (ttl: number): Promise<string>
  }
  export default class Provider {
    constructor (issuer: string, configuration: Record<string, unknown>)
    callback (): (req: IncomingMessage, res: ServerResponse) => void
    on (event: string, listener: (...args: never[]) => void): this
    DeviceCode: { findByUserCode (userCode: string): Promise<DeviceCode | undefined> }
    Grant: new (init: { accountId: string, clientId: string }) => Grant
    Interaction: { find (uid: string): Promise<Interaction | undefined> }
  }
}
