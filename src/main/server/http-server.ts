/**
 * The API contract over loopback HTTP, for headless and browser use. Every request needs the
 * per-launch token (query ?token=, `Authorization: Bearer`, or the cookie set on the first page load).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import sirv from 'sirv'
import { API_EVENTS, isApiChannel, type ApiHandlers } from '../../common/ipc/contract'
import { serializeError, UserError } from '../../common/ipc/errors'
import { API_PREFIX, EVENTS_PATH, TOKEN_COOKIE, TOKEN_PARAM, type HttpCallBody } from '../../common/ipc/http'
import type { ApiEventBus } from '../services/events'
import { asId, asVariant } from '../services/validate'

export interface HttpServerOptions {
  handlers: ApiHandlers
  events: ApiEventBus
  imageFile: (imageId: number, variant: ReturnType<typeof asVariant>) => Promise<{ path: string; contentType: string }>
  /** The built renderer (out/renderer); omitted for an API-only server. */
  staticDir?: string
  host?: string
  port?: number
  token?: string
}

export interface RunningServer {
  server: Server
  url: string
  port: number
  token: string
  close: () => Promise<void>
}

const MAX_BODY_BYTES = 1 << 20

function sameToken(given: string | undefined | null, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === TOKEN_COOKIE) return value.join('=')
  }
  return undefined
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(text)
}

async function readBody(req: IncomingMessage): Promise<HttpCallBody> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new UserError('Request body too large', 'too-large')
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  const body = (text ? JSON.parse(text) : { args: [] }) as Partial<HttpCallBody>
  if (!Array.isArray(body.args)) throw new UserError('Request body must be {"args": [...]}', 'invalid-argument')
  return { args: body.args }
}

export function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('hex')
  const host = options.host ?? '127.0.0.1'
  const serveStatic = options.staticDir && existsSync(options.staticDir) ? sirv(options.staticDir, { dev: false, etag: true }) : null

  async function callApi(channel: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, { error: { name: 'HttpError', message: 'Use POST' } })
    if (!isApiChannel(channel)) return sendJson(res, 404, { error: { name: 'HttpError', message: `Unknown channel ${channel}` } })
    try {
      const { args } = await readBody(req)
      const handler = options.handlers[channel] as (...a: unknown[]) => unknown
      const result = await handler(...args)
      sendJson(res, 200, { result: result ?? null })
    } catch (err) {
      const error = serializeError(err)
      sendJson(res, err instanceof UserError || err instanceof SyntaxError ? 400 : 500, { error })
    }
  }

  function streamEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
    res.write(': connected\n\n')
    const unsubscribe = API_EVENTS.map((event) =>
      options.events.on(event, (payload) => res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`))
    )
    const keepAlive = setInterval(() => res.write(': ping\n\n'), 15_000)
    req.on('close', () => {
      clearInterval(keepAlive)
      for (const off of unsubscribe) off()
    })
  }

  async function sendImage(match: RegExpExecArray, res: ServerResponse): Promise<void> {
    try {
      const file = await options.imageFile(asId(Number(match[1]), 'imageId'), asVariant(match[2]))
      res.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'private, max-age=3600' })
      createReadStream(file.path).pipe(res)
    } catch (err) {
      sendJson(res, err instanceof UserError ? 404 : 500, { error: serializeError(err) })
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const queryToken = url.searchParams.get(TOKEN_PARAM)
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const authorised = [queryToken, bearer, cookieToken(req)].some((t) => sameToken(t, token))
    if (!authorised) return sendJson(res, 401, { error: { name: 'Unauthorized', message: 'Missing or wrong token' } })
    if (sameToken(queryToken, token) && !url.pathname.startsWith(API_PREFIX)) {
      // The launch URL carries the token once; the page's own assets then authenticate by cookie.
      res.setHeader('set-cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`)
    }
    if (url.pathname === EVENTS_PATH) return streamEvents(req, res)
    if (url.pathname.startsWith(API_PREFIX)) return void callApi(url.pathname.slice(API_PREFIX.length), req, res)
    const image = /^\/img\/(\d+)\/(\w+)$/.exec(url.pathname)
    if (image) return void sendImage(image, res)
    if (serveStatic) return serveStatic(req, res, () => sendJson(res, 404, { error: { name: 'HttpError', message: 'Not found' } }))
    sendJson(res, 404, { error: { name: 'HttpError', message: 'Not found' } })
  })

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      const { port } = server.address() as AddressInfo
      const shownHost = host.includes(':') ? `[${host}]` : host
      resolve({
        server,
        port,
        token,
        url: `http://${shownHost}:${port}/?${TOKEN_PARAM}=${token}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
}
