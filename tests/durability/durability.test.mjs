// SPDX-License-Identifier: MIT
// Durability: every event whose request got a 2xx survives `kill -9`.
// Usage: node durability.test.mjs <path-to-eventlens>
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import http from 'node:http'
import assert from 'node:assert/strict'

const binary = process.argv[2]
const dir = mkdtempSync(join(tmpdir(), 'eventlens-durability-'))
const session = join(dir, 'run.elsession')
const env = { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, QT_QPA_PLATFORM: 'offscreen' }

function start() {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--headless', '--quiet', '--port', '0', '--session', session], { env })
    let err = ''
    child.stderr.on('data', (d) => {
      err += d
      const m = err.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)
      if (m) resolve({ child, port: Number(m[1]), log: () => err })
    })
    child.on('exit', (code) => reject(new Error(`eventlens exited early (${code}): ${err}`)))
  })
}

function request(port, method, path, body) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false,
      headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {} },
    (res) => {
      let data = ''
      res.on('data', (d) => (data += d))
      res.on('end', () => resolve({ status: res.statusCode, body: data }))
      res.on('error', () => resolve({ status: 0 }))
    })
    req.on('error', () => resolve({ status: 0 }))
    if (body) req.write(body)
    req.end()
  })
}

const acked = new Set()
let sent = 0
try {
  const first = await start()
  let stop = false
  // Four concurrent senders, each a batch of 5 events per request.
  const sender = async (worker) => {
    while (!stop) {
      const batch = []
      for (let i = 0; i < 5; i++) {
        const uuid = `w${worker}-${sent++}`
        batch.push({ event: 'durability_probe', distinct_id: 'd', uuid, properties: { n: sent } })
      }
      const r = await request(first.port, 'POST', '/batch/', JSON.stringify({ api_key: 'phc_k', batch }))
      if (r.status === 200) batch.forEach((e) => acked.add(e.uuid))
    }
  }
  const workers = [0, 1, 2, 3].map(sender)
  await new Promise((r) => setTimeout(r, 1500))
  first.child.kill('SIGKILL') // mid-stream
  stop = true
  await Promise.all(workers)
  assert.ok(acked.size > 50, `too few events acknowledged before the kill (${acked.size})`)

  const second = await start()
  assert.match(second.log(), /session file .*run\.elsession/)
  const res = await request(second.port, 'GET', '/eventlens/v1/events?limit=100000')
  const events = JSON.parse(res.body).events
  const present = new Set(events.map((e) => e.uuid))
  const missing = [...acked].filter((u) => !present.has(u))
  assert.equal(missing.length, 0, `${missing.length} acknowledged events lost, e.g. ${missing.slice(0, 5)}`)
  // Nothing duplicated, seqs strictly increasing.
  assert.equal(present.size, events.length, 'an event is in the session twice')
  for (let i = 1; i < events.length; i++) assert.ok(events[i].seq > events[i - 1].seq)
  // The restarted sink continues the session: a new event gets a higher seq.
  const before = events.at(-1)?.seq ?? 0
  const r = await request(second.port, 'POST', '/batch/', JSON.stringify({ api_key: 'k', batch: [{ event: 'after_restart', distinct_id: 'd' }] }))
  assert.equal(r.status, 200)
  const after = JSON.parse((await request(second.port, 'GET', `/eventlens/v1/events?since=${before}`)).body).events
  assert.equal(after.length, 1)
  assert.ok(after[0].seq > before)
  second.child.kill('SIGTERM')
  await new Promise((r) => second.child.on('exit', r))
  console.log(`ok: ${acked.size} acknowledged, ${events.length} recovered after SIGKILL, none lost`)
} catch (e) {
  console.error(e)
  process.exitCode = 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}
