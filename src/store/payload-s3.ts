/**
 * Payloads in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO, R2), one
 * object per payload under prefix + hash. A PUT (or a multipart upload's
 * completion) that S3 acknowledged is durable, so a publish that awaited
 * write() may be acknowledged. Every body carries its Content-MD5, which
 * S3 checks. Credentials come from the SDK's default chain, never from
 * the depot's config.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
  S3ServiceException, UploadPartCommand
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { S3PayloadsConfig } from '../config.js'
import { ServiceUnavailableError } from '../errors.js'
import { type ByteSpan, type PayloadBackend, type PayloadLocation, PayloadMissingError, SHA1_NAME } from './payload-store.js'

/** Larger payloads go up in parts: S3 takes at most 5 GiB in one PUT, and a failed part is retried alone. */
export const MULTIPART_BYTES = 16 * 1024 * 1024
const PART_BYTES = 8 * 1024 * 1024

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64')

function notFound (err: unknown): boolean {
  return err instanceof S3ServiceException && (err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404)
}

export class S3Payloads implements PayloadBackend {
  private readonly client: S3Client
  readonly location: string

  constructor (private readonly cfg: S3PayloadsConfig) {
    this.client = new S3Client({
      region: cfg.region,
      ...(cfg.endpoint === null ? {} : { endpoint: cfg.endpoint }),
      forcePathStyle: cfg.pathStyle,
      // Checksums only where S3 demands them: S3-compatible stores differ in the newer trailing-checksum encodings.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 }
    })
    this.location = `s3://${cfg.bucket}/${cfg.prefix}`
  }

  get redirects (): boolean { return this.cfg.reads !== 'stream' }

  private key (hash: string): string { return this.cfg.prefix + hash }

  /** The bucket failing (unreachable, refusing the depot's credentials) is the depot's trouble, not the request's: 503, which clients retry. */
  private unavailable (err: unknown): ServiceUnavailableError {
    return new ServiceUnavailableError(`The payload store ${this.location} failed: ${(err as Error).message}`, 5)
  }

  localPath (): null { return null }

  async has (hash: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.cfg.bucket, Key: this.key(hash) }))
      return true
    } catch (err) {
      if (notFound(err)) return false
      throw this.unavailable(err)
    }
  }

  async write (hash: string, source: string, size: number): Promise<void> {
    const fh = await fs.promises.open(source, 'r')
    try {
      if (size <= MULTIPART_BYTES) {
        const body = await fh.readFile()
        await this.client.send(new PutObjectCommand({ Bucket: this.cfg.bucket, Key: this.key(hash), Body: body, ContentMD5: md5(body), ContentType: 'application/data' }))
      } else {
        await this.writeInParts(hash, fh, size)
      }
    } catch (err) {
      throw this.unavailable(err)
    } finally {
      await fh.close()
    }
  }

  /** One part in memory at a time; an upload that fails is aborted, so the bucket keeps no parts of it. */
  private async writeInParts (hash: string, fh: fs.promises.FileHandle, size: number): Promise<void> {
    const target = { Bucket: this.cfg.bucket, Key: this.key(hash) }
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ ...target, ContentType: 'application/data' }))
    try {
      const parts: Array<{ ETag: string, PartNumber: number }> = []
      for (let offset = 0, n = 1; offset < size; offset += PART_BYTES, n++) {
        const length = Math.min(PART_BYTES, size - offset)
        const { buffer, bytesRead } = await fh.read(Buffer.alloc(length), 0, length, offset)
        if (bytesRead !== length) throw new Error(`${hash}: the staged file changed while it was uploaded`)
        const { ETag } = await this.client.send(new UploadPartCommand({ ...target, UploadId, PartNumber: n, Body: buffer, ContentMD5: md5(buffer) }))
        parts.push({ ETag: ETag!, PartNumber: n })
      }
      await this.client.send(new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } }))
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => {})
      throw err
    }
  }

  async read (hash: string, span?: ByteSpan): Promise<Readable> {
    try {
      const got = await this.client.send(new GetObjectCommand({
        Bucket: this.cfg.bucket,
        Key: this.key(hash),
        ...(span === undefined ? {} : { Range: `bytes=${span.start}-${span.end}` })
      }))
      return got.Body as Readable
    } catch (err) {
      if (notFound(err)) throw new PayloadMissingError(hash, this.location)
      throw this.unavailable(err)
    }
  }

  async delete (hash: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: this.key(hash) }))
    } catch (err) {
      if (!notFound(err)) throw this.unavailable(err)
    }
  }

  async * list (): AsyncIterable<string> {
    let token: string | undefined
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.cfg.bucket, Prefix: this.cfg.prefix, ContinuationToken: token }))
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(this.cfg.prefix.length)
        if (name !== undefined && SHA1_NAME.test(name)) yield name
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  }

  async redirect (hash: string): Promise<PayloadLocation | null> {
    switch (this.cfg.reads) {
      case 'stream': return null
      case 'redirect': return { url: this.cfg.publicUrl! + this.key(hash), expiring: false }
      case 'presigned': {
        const url = await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.cfg.bucket, Key: this.key(hash) }), { expiresIn: this.cfg.presignSeconds })
        return { url, expiring: true }
      }
    }
  }

  async check (): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.cfg.bucket }))
    } catch (err) {
      throw this.unavailable(err)
    }
  }

  close (): void {
    this.client.destroy()
  }
}
