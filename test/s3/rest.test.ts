// The same tests as test/publish/rest.test.ts, with every depot's payloads in an S3-compatible bucket.
import { useS3Payloads } from '../helpers/s3.js'
await useS3Payloads()
await import('../publish/rest.test.js')
