// s3rver ships no types; these are the parts the tests use.
declare module 's3rver' {
  interface Options {
    address?: string
    port?: number
    directory: string
    silent?: boolean
    configureBuckets?: Array<{ name: string }>
  }
  export default class S3rver {
    constructor (options: Options)
    run (): Promise<{ address: string, port: number }>
    close (): Promise<void>
    readonly httpServer: import('node:http').Server
  }
}
