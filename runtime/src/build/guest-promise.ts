// Part of the guest prelude. The QuickJS runtime we build with (componentize-qjs, non-async) never
// runs its job queue inside a call, so a native `.then` callback or code after an `await` would never
// run. The prelude replaces `Promise` with this one, whose jobs sit in a queue the prelude owns and
// `__nexusRunHandler` drains before the export returns; the bundler lowers `async`/`await` to
// generators driven by this `Promise` (guestBundleOptions.supported). Pure JavaScript, no clock:
// every replica runs the same jobs in the same order, and each job is metered like any other code.
export const guestPromise = `
{
  const queue = []
  globalThis.__nexusDrainJobs = () => {
    try {
      for (let i = 0; i < queue.length; i++) queue[i]()
    } finally {
      queue.length = 0
    }
  }
  globalThis.__nexusClearJobs = () => { queue.length = 0 }
  const slots = new WeakMap()
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function')
  const react = (r, state, value) => {
    const h = state === 1 ? r.onFulfilled : r.onRejected
    if (typeof h !== 'function') return state === 1 ? r.resolve(value) : r.reject(value)
    let out
    try { out = h(value) } catch (e) { return r.reject(e) }
    r.resolve(out)
  }
  const settle = (p, state, value) => {
    const s = slots.get(p)
    if (s.state !== 0) return
    s.state = state
    s.value = value
    const reactions = s.reactions
    s.reactions = undefined
    for (const r of reactions) queue.push(() => react(r, state, value))
  }
  const resolvers = (p) => {
    let done = false
    const reject = (e) => { if (!done) { done = true; settle(p, 2, e) } }
    const resolve = (v) => {
      if (done) return
      done = true
      if (v === p) return settle(p, 2, new TypeError('Chaining cycle detected for promise'))
      if (!isObject(v)) return settle(p, 1, v)
      let then
      try { then = v.then } catch (e) { return settle(p, 2, e) }
      if (typeof then !== 'function') return settle(p, 1, v)
      queue.push(() => {
        const [res, rej] = resolvers(p)
        try { then.call(v, res, rej) } catch (e) { rej(e) }
      })
    }
    return [resolve, reject]
  }
  class Promise {
    constructor(executor) {
      if (typeof executor !== 'function') throw new TypeError('Promise resolver is not a function')
      slots.set(this, { state: 0, value: undefined, reactions: [] })
      const [resolve, reject] = resolvers(this)
      try { executor(resolve, reject) } catch (e) { reject(e) }
    }
    then(onFulfilled, onRejected) {
      const s = slots.get(this)
      if (!s) throw new TypeError('Promise.prototype.then called on a non-Promise')
      let resolve, reject
      const next = new Promise((a, b) => { resolve = a; reject = b })
      const r = { onFulfilled, onRejected, resolve, reject }
      if (s.state === 0) s.reactions.push(r)
      else queue.push(() => react(r, s.state, s.value))
      return next
    }
    catch(onRejected) { return this.then(undefined, onRejected) }
    finally(f) {
      if (typeof f !== 'function') return this.then(f, f)
      return this.then(
        (v) => Promise.resolve(f()).then(() => v),
        (e) => Promise.resolve(f()).then(() => { throw e }),
      )
    }
    get [Symbol.toStringTag]() { return 'Promise' }
    static resolve(v) { return v instanceof Promise ? v : new Promise((resolve) => resolve(v)) }
    static reject(e) { return new Promise((_, reject) => reject(e)) }
    static withResolvers() {
      let resolve, reject
      const promise = new Promise((a, b) => { resolve = a; reject = b })
      return { promise, resolve, reject }
    }
    static all(items) { return gather(items, (v) => v, true) }
    static allSettled(items) {
      return gather(items, null, false)
    }
    static race(items) {
      return new Promise((resolve, reject) => { for (const item of items) Promise.resolve(item).then(resolve, reject) })
    }
    static any(items) {
      return new Promise((resolve, reject) => {
        const errors = []
        let left = 1
        let i = 0
        const fail = () => { if (--left === 0) reject(new AggregateError(errors, 'All promises were rejected')) }
        for (const item of items) {
          const k = i++
          left++
          Promise.resolve(item).then(resolve, (e) => { errors[k] = e; fail() })
        }
        fail()
      })
    }
  }
  // all (map = identity, rejects on the first rejection) and allSettled (map = null: describe each).
  const gather = (items, map, failFast) =>
    new Promise((resolve, reject) => {
      const out = []
      let left = 1
      let i = 0
      const done = () => { if (--left === 0) resolve(out) }
      for (const item of items) {
        const k = i++
        left++
        Promise.resolve(item).then(
          (value) => { out[k] = map ? map(value) : { status: 'fulfilled', value }; done() },
          (reason) => { if (failFast) reject(reason); else { out[k] = { status: 'rejected', reason }; done() } },
        )
      }
      done()
    })
  globalThis.Promise = Promise
}
`
