// Secrets (the Heroku token, AWS keys) never show in util.inspect of the objects that hold them,
// nor in errors (message, stack, inspect, JSON), even when a server echoes them back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { inspect } from 'node:util'
import { dynoshift } from './helpers.mjs'

const TOKEN = 'hrku-NODESECRETTOKEN-6f1c2a9e'
const ACCESS_KEY_ID = 'AKIANODESECRETKEYID4'
const SECRET_ACCESS_KEY = 'nodeSECRETACCESSKEY/K7MDENG+bPxRfiCY'
const SECRETS = [TOKEN, ACCESS_KEY_ID, SECRET_ACCESS_KEY, 'NODESECRET']
const PLAN = JSON.stringify({ hostnames: ['www.example.com'], zone: 'example.com', heroku_target: 'x.herokudns.com', aws_target: 'lb-1.elb.amazonaws.com' })

const leak = (text) => SECRETS.find((s) => text.includes(s))
const assertClean = (what, text) => assert.equal(leak(text), undefined, `${what} leaks a secret: ${text}`)
const everyView = (value) => [
  inspect(value, { showHidden: true, depth: null, getters: true }),
  String(value),
  JSON.stringify(value) ?? '',
  ...(value instanceof Error ? [value.message, value.stack ?? '', inspect(value.cause)] : []),
]

// Answers every request with `status` and a body echoing the request's headers (a misbehaving
// server or proxy), plus the AWS secret key.
async function echoServer(status, contentType, template) {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`).join(' ').replace(/[<>&]/g, ' ')
      const body = template.replace('{headers}', headers).replace('{secret}', SECRET_ACCESS_KEY)
      res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) }
}

test('the check can fail', () => {
  assert.throws(() => assertClean('a careless string', `token=${TOKEN}`))
})

test('objects holding secrets do not show them', () => {
  const client = new dynoshift.HerokuClient({ token: TOKEN, baseUrl: 'https://api.example.test' })
  const dns = new dynoshift.Route53({ endpointUrl: 'http://127.0.0.1:9', accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY })
  for (const obj of [client, dns]) {
    for (const text of everyView(obj)) assertClean(`a view of ${obj.constructor.name}`, text)
  }
})

test('half a key pair is refused without echoing it', () => {
  assert.throws(() => new dynoshift.Route53({ accessKeyId: ACCESS_KEY_ID }), (err) => {
    assert.equal(err.code, 'invalid_input')
    for (const text of everyView(err)) assertClean('the error', text)
    return true
  })
})

test('a 401 echoing the token rejects without it', async () => {
  const server = await echoServer(401, 'application/json', '{"id": "unauthorized", "message": "bad credentials: {headers}"}')
  try {
    const client = new dynoshift.HerokuClient({ token: TOKEN, baseUrl: server.url })
    await assert.rejects(client.formation('shop'), (err) => {
      assert.equal(err.code, 'unauthorized', err.message)
      for (const text of everyView(err)) assertClean('the error', text)
      return true
    })
  } finally {
    await server.close()
  }
})

test('a Route53 403 echoing the keys rejects without them', async () => {
  const server = await echoServer(
    403,
    'text/xml',
    '<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied for {secret}; you sent {headers}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
  )
  try {
    const dns = new dynoshift.Route53({ endpointUrl: server.url, region: 'us-east-1', accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY })
    await assert.rejects(dynoshift.preflight(dynoshift.CutoverPlan.fromJson(PLAN), dns), (err) => {
      assert.equal(err.code, 'unauthorized', err.message)
      assert.ok(err.message.includes('AccessDenied'), err.message)
      for (const text of everyView(err)) assertClean('the error', text)
      return true
    })
  } finally {
    await server.close()
  }
})
