// The log-drain receiver embedded in Node: a Promise that resolves once it listens,
// Heroku-shaped POSTs over loopback, the profiles it holds, bad credentials refused, stop(),
// and the state kept for the next start.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dynoshift } from './helpers.mjs'

const FRAME = '<158>1 2024-03-01T10:00:01+00:00 host app router - at=info method=GET path=/ host=a.example dyno=web.1 connect=1ms service=20ms status=200 bytes=1\n'
const BODY = `${Buffer.byteLength(FRAME)} ${FRAME}`
const AUTH = 'logplex:s3cret'

const post = (url, frameId, auth = AUTH) =>
  fetch(url, {
    method: 'POST',
    body: BODY,
    headers: {
      'Content-Type': 'application/logplex-1',
      'Logplex-Msg-Count': '1',
      'Logplex-Frame-Id': frameId,
      'Logplex-Drain-Token': 'd.1234',
      Authorization: `Basic ${Buffer.from(auth).toString('base64')}`,
    },
  }).then((r) => r.status)

test('serveDrain receives batches, holds their profiles, and stops', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dynoshift-drain-'))
  try {
    const server = await dynoshift.serveDrain({ listen: '127.0.0.1:0', stateDir: join(dir, 'state'), auth: AUTH, checkpointEvery: 2 })
    assert.equal(server.url, `http://${server.addr}/drain`)
    for (const id of ['f0', 'f1', 'f2', 'f0']) assert.equal(await post(server.url, id), 204)
    assert.equal(await post(server.url, 'f9', 'logplex:wrong'), 403)
    const profiles = server.profiles()
    assert.deepEqual(Object.keys(profiles), ['d.1234'])
    assert.equal(profiles['d.1234'].lines.records, 3)
    assert.equal(JSON.parse(profiles['d.1234'].toJson()).process_types.web.router.requests, 3)
    await server.stop()
    await server.stop()

    const again = await dynoshift.serveDrain({ listen: '127.0.0.1:0', stateDir: join(dir, 'state'), auth: AUTH })
    try {
      assert.equal(again.profiles()['d.1234'].lines.records, 3)
    } finally {
      await again.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('bad options reject with code invalid_input', async () => {
  await assert.rejects(dynoshift.serveDrain({ listen: 'localhost', stateDir: tmpdir() }), (e) => e.code === 'invalid_input')
  await assert.rejects(dynoshift.serveDrain({ listen: '127.0.0.1:0', stateDir: tmpdir(), auth: 'no-colon' }), (e) => e.code === 'invalid_input')
})
