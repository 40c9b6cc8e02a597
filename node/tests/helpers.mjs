import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { createServer as createTcpServer, connect } from 'node:net'
import { join, dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const dynoshift = createRequire(import.meta.url)('../index.js')

export function loadVectors() {
  const root = join(REPO, 'tests', 'vectors')
  const files = []
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.json')) files.push(path)
    }
  }
  walk(root)
  return files.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')).map((c) => ({ ...c, file: relative(root, f) })))
}

export function apiSurface() {
  return JSON.parse(readFileSync(join(REPO, 'tests', 'api-surface.json'), 'utf8'))
}

export const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())

/** Every key `expected` names must match in `actual`; arrays by length and element; numbers within 1e-9. */
export function assertSubset(expected, actual, path = '') {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object') throw new Error(`${path}: expected an object, got ${JSON.stringify(actual)}`)
    for (const [k, v] of Object.entries(expected)) assertSubset(v, actual[k] ?? null, `${path}.${k}`)
  } else if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) throw new Error(`${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`)
    expected.forEach((e, i) => assertSubset(e, actual[i], `${path}[${i}]`))
  } else if (typeof expected === 'number') {
    if (typeof actual !== 'number' || Math.abs(expected - actual) > 1e-9 * Math.max(1, Math.abs(expected))) throw new Error(`${path}: expected ${expected}, got ${actual}`)
  } else if (expected !== actual) {
    throw new Error(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
  }
}

export const HEROKU_FIXTURES = join(REPO, 'tests', 'fixtures', 'heroku-api')
export const GOOD_TOKEN = 'hk-test-0123456789abcdef'

/**
 * A loopback Platform API serving tests/fixtures/heroku-api: `PATH.json` whole, `PATH.pages.json`
 * paged by the `Range` header (see its README); 401 on a wrong token, 404 for unknown paths.
 * Resolves to `{ url, seen, close }`; `seen` lists `{ path, headers }` of every request.
 */
export async function startRecordedApi() {
  const seen = []
  const server = createServer((req, res) => {
    seen.push({ path: req.url, headers: req.headers })
    const send = (status, body, headers = {}) => { res.writeHead(status, { ...headers, 'content-type': 'application/json' }); res.end(body) }
    if (req.headers.authorization !== `Bearer ${GOOD_TOKEN}`) return send(401, '{"id":"unauthorized","message":"Invalid credentials provided."}')
    const file = resolve(HEROKU_FIXTURES, `.${req.url}.json`)
    const pages = resolve(HEROKU_FIXTURES, `.${req.url}.pages.json`)
    if (file.startsWith(HEROKU_FIXTURES) && existsSync(file)) return send(200, readFileSync(file))
    if (pages.startsWith(HEROKU_FIXTURES) && existsSync(pages)) {
      const page = JSON.parse(readFileSync(pages, 'utf8')).find((p) => p.range === (req.headers.range ?? null))
      if (page) return send(page.status, JSON.stringify(page.body), page.headers)
      return send(416, '{"id":"bad_request","message":"Range not satisfiable."}')
    }
    send(404, '{"id":"not_found","message":"Couldn\'t find that app."}')
  })
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok))
  const url = `http://127.0.0.1:${server.address().port}`
  // close() alone would wait for the client's pooled keep-alive connection to idle out (90 s
  // in the core's HTTP client): end it too.
  const close = () => new Promise((ok) => { server.close(ok); server.closeAllConnections() })
  return { url, seen, close }
}

async function freePort () {
  return new Promise((resolve, reject) => {
    const srv = createTcpServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)) })
  })
}

const accepts = (port) => new Promise((resolve) => {
  const s = connect(port, '127.0.0.1')
  s.on('connect', () => { s.destroy(); resolve(true) })
  s.on('error', () => resolve(false))
})

/** moto_server ($DYNOSHIFT_MOTO_SERVER) on a free loopback port: resolves to `{ url, close }`. */
export async function startMotoServer () {
  const binary = process.env.DYNOSHIFT_MOTO_SERVER || join(REPO, '.venv', 'bin', 'moto_server')
  const port = await freePort()
  const child = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
  let exited = null
  child.on('exit', (code) => { exited = code })
  const deadline = Date.now() + 30000
  while (!(await accepts(port))) {
    if (exited !== null) throw new Error(`moto_server exited early with ${exited}`)
    if (Date.now() > deadline) { child.kill(); throw new Error('moto_server did not answer within 30 s') }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { url: `http://127.0.0.1:${port}`, close () { child.kill() } }
}
