// Bulk memory instructions (memory.copy, memory.fill, memory.init; memory.grow, which zeroes pages) move any number of bytes for the
// price of one instruction: `Uint8Array(64 MiB).copyWithin(0, 1)` was ≈ 41 fuel and ≈ 7–19 ms. This
// pass makes each of them pay for the bytes it moves before it moves them: its size operand is
// wrapped in a call to a charging function that takes ceil(size / BULK_BYTES_PER_FUEL) units from the
// same fuel global the rest of the metering uses, traps below zero and returns the size unchanged.
// Wrapping the size operand (the last one evaluated) keeps the operands' evaluation order, and the
// charge happens before the copy, so a copy that cannot be paid for never runs.
import binaryen from 'binaryen'
import { BULK_BYTES_PER_FUEL } from '../sandbox/fuel-schedule.ts'

// binaryen.js has these expression classes; its typings do not declare them.
type SizeOperand = { getSize(expr: binaryen.ExpressionRef): binaryen.ExpressionRef; setSize(expr: binaryen.ExpressionRef, size: binaryen.ExpressionRef): void }
const ops = binaryen as unknown as {
  MemoryCopy: SizeOperand
  MemoryFill: SizeOperand
  MemoryInit: SizeOperand
  MemoryGrow: { getDelta(expr: binaryen.ExpressionRef): binaryen.ExpressionRef; setDelta(expr: binaryen.ExpressionRef, delta: binaryen.ExpressionRef): void }
}

const CHARGE = 'nexus_bulk_charge'
const GROW_CHARGE = 'nexus_grow_charge'

/**
 * Instruments every memory.copy / memory.fill / memory.init / memory.grow in the module's defined functions.
 * `fuelGlobal` is the name of the (already imported) mutable i64 fuel global; `capPages` the memory cap (meter.ts).
 */
export function meterBulkMemory(module: binaryen.Module, fuelGlobal: string, capPages: number): number {
  const sites: binaryen.ExpressionRef[] = []
  const functions: binaryen.FunctionRef[] = []
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const fn = module.getFunctionByIndex(i)
    if (!binaryen.getFunctionInfo(fn).module) functions.push(fn)
  }
  for (const fn of functions) collectBulkOps(binaryen.getFunctionInfo(fn).body, sites)
  if (sites.length === 0) return 0
  addChargeFunction(module, fuelGlobal)
  if (sites.some((site) => binaryen.getExpressionId(site) === binaryen.MemoryGrowId)) addGrowChargeFunction(module, fuelGlobal, capPages)
  for (const site of sites) {
    const id = binaryen.getExpressionId(site)
    if (id === binaryen.MemoryGrowId) {
      // A grown page is zeroed like a memory.fill of 64 KiB: priced the same.
      ops.MemoryGrow.setDelta(site, module.call(GROW_CHARGE, [ops.MemoryGrow.getDelta(site)], binaryen.i32))
      continue
    }
    const api = id === binaryen.MemoryCopyId ? ops.MemoryCopy : id === binaryen.MemoryFillId ? ops.MemoryFill : ops.MemoryInit
    const size = api.getSize(site)
    if (binaryen.getExpressionType(size) !== binaryen.i32) throw new Error('metering: 64-bit bulk memory operations are not supported')
    api.setSize(site, module.call(CHARGE, [size], binaryen.i32))
  }
  return sites.length
}

/** (size: i32) -> i32: fuel -= ceil(size / BULK_BYTES_PER_FUEL); trap when below zero; return size. */
function addChargeFunction(module: binaryen.Module, fuelGlobal: string): void {
  const shift = Math.log2(BULK_BYTES_PER_FUEL)
  if (!Number.isInteger(shift)) throw new Error('BULK_BYTES_PER_FUEL must be a power of two')
  const fuel = () => module.global.get(fuelGlobal, binaryen.i64)
  const size = () => module.local.get(0, binaryen.i32)
  const units = module.i64.shr_u(
    module.i64.add(module.i64.extend_u(size()), module.i64.const(BigInt(BULK_BYTES_PER_FUEL - 1))),
    module.i64.const(BigInt(shift)),
  )
  module.addFunction(
    CHARGE,
    binaryen.createType([binaryen.i32]),
    binaryen.i32,
    [],
    module.block(
      null,
      [module.global.set(fuelGlobal, module.i64.sub(fuel(), units)), module.if(module.i64.lt_s(fuel(), module.i64.const(0n)), module.unreachable()), size()],
      binaryen.i32,
    ),
  )
}

/**
 * (pages: i32) -> i32: when the grow can succeed (current size + pages within the memory's maximum),
 * fuel -= pages × 64 KiB / BULK_BYTES_PER_FUEL, trapping below zero; returns pages. A grow the cap
 * refuses costs nothing here, so it stays QuickJS's "out of memory" (status 3), as before.
 * Modules with one memory (all jco/QuickJS core modules); grows of another memory are priced the same.
 */
function addGrowChargeFunction(module: binaryen.Module, fuelGlobal: string, capPages: number): void {
  // An imported memory declares no maximum here; it is defined, and capped at `capPages`, in another core module.
  const maxPages = BigInt(Math.min(module.getMemoryInfo().max ?? capPages, capPages))
  const fuel = () => module.global.get(fuelGlobal, binaryen.i64)
  const pages = () => module.local.get(0, binaryen.i32)
  const fits = module.i64.le_u(module.i64.add(module.i64.extend_u(module.memory.size()), module.i64.extend_u(pages())), module.i64.const(maxPages))
  const units = module.i64.mul(module.i64.extend_u(pages()), module.i64.const(BigInt(65536 / BULK_BYTES_PER_FUEL)))
  module.addFunction(
    GROW_CHARGE,
    binaryen.createType([binaryen.i32]),
    binaryen.i32,
    [],
    module.block(
      null,
      [
        module.if(
          fits,
          module.block(null, [
            module.global.set(fuelGlobal, module.i64.sub(fuel(), units)),
            module.if(module.i64.lt_s(fuel(), module.i64.const(0n)), module.unreachable()),
          ]),
        ),
        pages(),
      ],
      binaryen.i32,
    ),
  )
}

/** Child expressions by expression id; an id not listed here is refused, so no operation escapes metering unseen. */
const CHILDREN: Record<number, string[]> = {}
function children(ids: number[], fields: string[]) {
  for (const id of ids) CHILDREN[id] = fields
}
children(
  [
    binaryen.NopId,
    binaryen.LocalGetId,
    binaryen.GlobalGetId,
    binaryen.ConstId,
    binaryen.MemorySizeId,
    binaryen.UnreachableId,
    binaryen.PopId,
    binaryen.RefNullId,
    binaryen.RefFuncId,
    binaryen.DataDropId,
    binaryen.AtomicFenceId,
    binaryen.RethrowId,
    binaryen.TableSizeId,
    binaryen.ElemDropId,
  ],
  [],
)
children([binaryen.BlockId], ['children'])
children([binaryen.IfId], ['condition', 'ifTrue', 'ifFalse'])
children([binaryen.LoopId], ['body'])
children([binaryen.BreakId, binaryen.SwitchId], ['condition', 'value'])
children([binaryen.CallId, binaryen.ThrowId, binaryen.TupleMakeId], ['operands'])
children([binaryen.CallIndirectId], ['target', 'operands'])
children([binaryen.LocalSetId, binaryen.GlobalSetId, binaryen.UnaryId, binaryen.DropId, binaryen.ReturnId, binaryen.RefIsNullId, binaryen.RefAsId], ['value'])
children([binaryen.LoadId, binaryen.SIMDLoadId], ['ptr'])
children([binaryen.StoreId, binaryen.AtomicRMWId], ['ptr', 'value'])
children([binaryen.BinaryId, binaryen.SIMDShuffleId, binaryen.RefEqId], ['left', 'right'])
children([binaryen.SelectId], ['ifTrue', 'ifFalse', 'condition'])
children([binaryen.MemoryGrowId], ['delta'])
children([binaryen.AtomicCmpxchgId], ['ptr', 'expected', 'replacement'])
children([binaryen.AtomicWaitId], ['ptr', 'expected', 'timeout'])
children([binaryen.AtomicNotifyId], ['ptr', 'notifyCount'])
children([binaryen.SIMDExtractId], ['vec'])
children([binaryen.SIMDReplaceId], ['vec', 'value'])
children([binaryen.SIMDTernaryId], ['a', 'b', 'c'])
children([binaryen.SIMDShiftId], ['vec', 'shift'])
children([binaryen.SIMDLoadStoreLaneId], ['ptr', 'vec'])
children([binaryen.MemoryInitId], ['dest', 'offset', 'size'])
children([binaryen.MemoryCopyId], ['dest', 'source', 'size'])
children([binaryen.MemoryFillId], ['dest', 'value', 'size'])
children([binaryen.TableGetId], ['index'])
children([binaryen.TableSetId], ['index', 'value'])
children([binaryen.TableGrowId], ['value', 'delta'])
children([binaryen.TryId], ['body', 'catchBodies'])
children([binaryen.TupleExtractId], ['tuple'])

const BULK = new Set([binaryen.MemoryCopyId, binaryen.MemoryFillId, binaryen.MemoryInitId, binaryen.MemoryGrowId])

/** Depth-first over one function body with an explicit stack (bodies nest thousands of blocks deep). */
function collectBulkOps(body: binaryen.ExpressionRef, sites: binaryen.ExpressionRef[]): void {
  const stack = body ? [body] : []
  while (stack.length > 0) {
    const expr = stack.pop()!
    const id = binaryen.getExpressionId(expr)
    const fields = CHILDREN[id]
    if (!fields) throw new Error(`metering: unsupported instruction (binaryen expression id ${id})`)
    if (fields.length === 0) continue
    if (BULK.has(id)) sites.push(expr)
    const info = binaryen.getExpressionInfo(expr) as unknown as Record<string, unknown>
    for (const field of fields) {
      const child = info[field]
      if (Array.isArray(child))
        for (const c of child) {
          if (c) stack.push(c as number)
        }
      else if (typeof child === 'number' && child !== 0) stack.push(child)
    }
  }
}
